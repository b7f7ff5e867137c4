//! Sign-in, sign-out, first-run setup and the user's own settings.

use super::failure::{OrFail, PageResult};
use super::page::{anonymous_error, csrf_failed_page, error_page, render, render_status, see_other, Ctx, Errs, LoginPage, Opt};
use super::session::{
    anonymous_csrf, anonymous_csrf_ok, device_cookie, device_cookie_name, sanitize_next, session_cookie, session_cookie_name,
    session_cookie_removal, Anon,
};
use super::session::{Posted, Web};
use crate::app::App;
use crate::client::ClientIp;
use crate::error::ServiceError;
use crate::services::users;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the sign-in form; a signed-in browser goes straight on.
pub async fn login_page(State(app): State<App>, anon: Anon, jar: CookieJar, Query(q): Query<NextQuery>) -> Response {
    let next = sanitize_next(q.next.as_deref());
    if let Some(sid) = jar.get(session_cookie_name(&app)).map(|c| c.value().to_string()) {
        if users::session(&app, &sid).await.is_ok() {
            return see_other(&next);
        }
    }
    let (jar, csrf) = anonymous_csrf(&app, jar);
    (jar, render(&LoginPage { ctx: anon.ctx(csrf), next, username: String::new(), error: None })).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: wrong name and wrong password get the same answer; a throttled attempt
/// answers 429 with `Retry-After`.
pub async fn login(State(app): State<App>, anon: Anon, ClientIp(ip): ClientIp, jar: CookieJar, Form(f): Form<LoginForm>) -> Response {
    if !anonymous_csrf_ok(&app, &jar, &f.csrf) {
        return csrf_failed_page(anon.lang);
    }
    let next = sanitize_next(Some(&f.next));
    let tr = crate::i18n::Tr::new(anon.lang);
    let from = users::SignInFrom { ip: Some(ip), device: jar.get(device_cookie_name(&app)).map(|c| c.value().to_string()) };
    let (status, error, retry) = match users::login_from(&app, &f.username, &f.password, &from).await {
        Ok(s) => {
            // A password set by an administrator is changed first.
            let to = if s.session.must_change_password { "/settings#password" } else { next.as_str() };
            return (signed_in(&app, jar, s), Redirect::to(to)).into_response();
        }
        Err(ServiceError::Unauthorized) => (StatusCode::OK, tr.t("login.failed").to_string(), None),
        Err(ServiceError::RateLimited(secs)) => (StatusCode::TOO_MANY_REQUESTS, tr.f("login.rate_limited", secs), Some(secs)),
        Err(e) => return anonymous_error(anon.lang, e),
    };
    let page = LoginPage { ctx: anon.ctx(f.csrf), next, username: f.username, error: Some(error) };
    let mut resp = render_status(status, &page);
    if let Some(secs) = retry {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// The cookies of a new session: the session's, then (in that order) the device's when it
/// is new.
fn signed_in(app: &App, jar: CookieJar, s: users::SignedIn) -> impl axum::response::IntoResponseParts {
    let device = (!s.device.is_empty()).then(|| device_cookie(app, s.device).to_string());
    (jar.add(session_cookie(app, s.sid)), axum::response::AppendHeaders(device.map(|d| (header::SET_COOKIE, d))))
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /logout`: ends the session on the server and drops the cookie.
pub async fn logout(Posted { web, .. }: Posted<Empty>) -> PageResult {
    users::logout(&web.app, &web.sid).await.or_fail(&web)?;
    let jar = CookieJar::new().add(session_cookie_removal(&web.app));
    Ok((jar, Redirect::to("/login?flash=logged_out")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupQuery {
    token: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    ctx: Ctx,
    token: String,
    username: String,
    errs: Errs,
}

fn setup_invalid(anon: &Anon) -> Response {
    let tr = crate::i18n::Tr::new(anon.lang);
    error_page(anon.ctx(String::new()), StatusCode::FORBIDDEN, "setup.invalid", Some(tr.t("setup.invalid_detail").to_string()))
}

/// `GET /setup?token=…`: the form for the first administrator, with the one-time link.
pub async fn setup_page(State(app): State<App>, anon: Anon, jar: CookieJar, Query(q): Query<SetupQuery>) -> Response {
    match users::setup_token_valid(&app, &q.token).await {
        Ok(true) => {}
        Ok(false) => return setup_invalid(&anon),
        Err(e) => return anonymous_error(anon.lang, e),
    }
    let (jar, csrf) = anonymous_csrf(&app, jar);
    (jar, render(&SetupPage { ctx: anon.ctx(csrf), token: q.token, username: String::new(), errs: Errs::none() })).into_response()
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

/// `POST /setup`: creates the first administrator and signs them in.
pub async fn setup(State(app): State<App>, anon: Anon, ClientIp(ip): ClientIp, jar: CookieJar, Form(f): Form<SetupForm>) -> Response {
    if !anonymous_csrf_ok(&app, &jar, &f.csrf) {
        return csrf_failed_page(anon.lang);
    }
    let tr = crate::i18n::Tr::new(anon.lang);
    let again = |errs: Errs| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetupPage { ctx: anon.ctx(f.csrf.clone()), token: f.token.clone(), username: f.username.clone(), errs },
        )
    };
    if f.password != f.password_repeat {
        let mut errs = Errs::none();
        errs.add("password_repeat", tr.t("val.password_repeat"));
        return again(errs);
    }
    match users::complete_setup(&app, &f.token, &f.username, &f.password).await {
        Ok(_) => {}
        Err(ServiceError::Validation(v)) => return again(Errs::from_validation(tr, &v, &[], &["username", "password"])),
        Err(ServiceError::Forbidden(_)) => return setup_invalid(&anon),
        Err(e) => return anonymous_error(anon.lang, e),
    }
    match users::login_from(&app, &f.username, &f.password, &users::SignInFrom { ip: Some(ip), device: None }).await {
        Ok(s) => (signed_in(&app, jar, s), Redirect::to("/contacts?flash=welcome")).into_response(),
        Err(e) => anonymous_error(anon.lang, e),
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    ctx: Ctx,
    username: String,
    role: String,
    language: String,
    languages: Vec<Opt>,
    errs: Errs,
    /// An administrator set the password: it must be changed before anything else.
    must_change_password: bool,
    /// The link to the staff accounts (shown to those the gate lets administer them).
    accounts: bool,
    /// The work address task reminders go to.
    reminder_mail: String,
}

async fn settings(web: &Web, errs: Errs, typed_mail: Option<String>) -> SettingsPage {
    let tr = web.tr();
    let reminder_mail = match typed_mail {
        Some(m) => m,
        None => crate::services::tasks::own_mail(&web.app, web.actor()).await.ok().flatten().unwrap_or_default(),
    };
    SettingsPage {
        reminder_mail,
        must_change_password: web.session.must_change_password,
        accounts: users::may_administer_accounts(&web.app, web.actor()),
        ctx: web.ctx("settings"),
        username: web.session.username.clone(),
        role: tr.v("role", web.session.actor.role.as_str()),
        language: web.session.language.clone().unwrap_or_default(),
        languages: vec![Opt::new("", tr.t("settings.language_browser")), Opt::new("de", "Deutsch"), Opt::new("en", "English")],
        errs,
    }
}

/// `GET /settings`.
pub async fn settings_page(web: Web) -> Response {
    render(&settings(&web, Errs::none(), None).await)
}

#[derive(Deserialize)]
pub struct ReminderMailForm {
    #[serde(default)]
    email: String,
}

/// `POST /settings/reminders`: the work address task reminders go to (empty: none).
pub async fn set_reminder_mail(Posted { web, form }: Posted<ReminderMailForm>) -> Response {
    match crate::services::tasks::set_own_mail(&web.app, web.actor(), Some(form.email.as_str())).await {
        Ok(_) => see_other("/settings?flash=saved"),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], &["email"]);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &settings(&web, errs, Some(form.email)).await)
        }
        Err(e) => web.fail(e),
    }
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

/// `POST /settings/language`: de, en, or empty for the browser's choice.
pub async fn set_language(Posted { web, form }: Posted<LanguageForm>) -> Response {
    match users::set_language(&web.app, web.actor(), Some(form.language.as_str())).await {
        Ok(()) => see_other("/settings?flash=language"),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], &["language"]);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &settings(&web, errs, None).await)
        }
        Err(e) => web.fail(e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

/// `POST /settings/password`: checks the current password; other sessions end.
pub async fn change_password(Posted { web, form }: Posted<PasswordForm>) -> Response {
    let tr = web.tr();
    let mut errs = Errs::none();
    if form.new_password != form.repeat_password {
        errs.add("repeat_password", tr.t("val.password_repeat"));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &settings(&web, errs, None).await);
    }
    match users::change_password(&web.app, web.actor(), &form.current_password, &form.new_password, Some(&web.sid)).await {
        Ok(()) => see_other("/settings?flash=password"),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(tr, &v, &[], &["current_password", "new_password"]);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &settings(&web, errs, None).await)
        }
        Err(e) => web.fail(e),
    }
}
