//! Who is asking: the signed-in session from the `obhut_session` cookie (`__Host-obhut_session`
//! under https), the language, the CSRF checks, and the sanitizing of `next` redirects.

use super::page::{anonymous_error, csrf_failed_page, encode, error_page, render_status, service_error_page, Ctx, LoginPage};
use crate::app::App;
use crate::auth::constant_time_eq;
use crate::error::ServiceError;
use crate::i18n::{negotiate, Lang, Tr};
use crate::services::users::{self, Session};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use obhut_core::user::Role;
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub const SESSION_COOKIE: &str = "obhut_session";
pub const CSRF_COOKIE: &str = "obhut_csrf";
/// A browser that signed in to an account before ([`crate::throttle`]).
pub const DEVICE_COOKIE: &str = "obhut_device";

/// The session cookie's name: under https with the `__Host-` prefix, so the browser accepts it
/// only with `Secure`, `Path=/` and no `Domain`, and no sibling host or plain-http page can set
/// or shadow it.
pub fn session_cookie_name(app: &App) -> &'static str {
    if secure_cookies(app) {
        "__Host-obhut_session"
    } else {
        SESSION_COOKIE
    }
}

/// The CSRF cookie's name (`__Host-` under https, like the session's).
pub fn csrf_cookie_name(app: &App) -> &'static str {
    if secure_cookies(app) {
        "__Host-obhut_csrf"
    } else {
        CSRF_COOKIE
    }
}

/// The device cookie's name (`__Host-` under https, like the session's).
pub fn device_cookie_name(app: &App) -> &'static str {
    if secure_cookies(app) {
        "__Host-obhut_device"
    } else {
        DEVICE_COOKIE
    }
}

/// Where a redirect may go: a local absolute path only (no scheme, no `//host`, no
/// backslash tricks, no control characters). Anything else becomes `/contacts`.
pub fn sanitize_next(next: Option<&str>) -> String {
    const HOME: &str = "/contacts";
    let Some(n) = next.map(str::trim).filter(|n| !n.is_empty()) else { return HOME.into() };
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.contains('\\')
        && !n.chars().any(|c| c.is_control() || c.is_whitespace())
        && n.len() <= 2000
        && !n.starts_with("/login")
        && !n.starts_with("/logout");
    if ok {
        n.to_string()
    } else {
        HOME.into()
    }
}

/// The language a browser without a session gets.
pub fn browser_lang(parts: &Parts) -> Lang {
    negotiate(parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The flash message named in the `flash` query parameter (only known names).
pub fn flash_from(parts: &Parts) -> Option<&'static str> {
    const KNOWN: &[(&str, &str)] = &[
        ("created", "flash.created"),
        ("saved", "flash.saved"),
        ("deleted", "flash.deleted"),
        ("moved", "flash.moved"),
        ("not_moved", "flash.not_moved"),
        ("activity", "flash.activity"),
        ("task_done", "flash.task_done"),
        ("replied", "flash.replied"),
        ("view_saved", "flash.view_saved"),
        ("view_deleted", "flash.view_deleted"),
        ("commented", "flash.commented"),
        ("task_reopened", "flash.task_reopened"),
        ("password", "flash.password"),
        ("language", "flash.language"),
        ("logged_out", "flash.logged_out"),
        ("welcome", "flash.welcome"),
        ("consent_recorded", "consent.flash_recorded"),
        ("consent_requested", "consent.flash_requested"),
        ("consent_withdrawn", "consent.flash_withdrawn"),
        ("consent_notice", "consent.flash_notice"),
        ("dsr_opened", "dsr_ui.flash_opened"),
        ("dsr_code_sent", "dsr_ui.flash_code_sent"),
        ("erase_restricted", "rights.flash_erase_restricted"),
        ("hold_placed", "retention.flash_hold"),
        ("hold_released", "retention.flash_released"),
        ("dsr_verified", "dsr_ui.flash_verified"),
        ("dsr_extended", "dsr_ui.flash_extended"),
        ("dsr_closed", "dsr_ui.flash_closed"),
        ("dsr_erased", "dsr_ui.flash_erased"),
        ("restricted", "rights.flash_restricted"),
        ("restriction_lifted", "rights.flash_lifted"),
        ("erased", "rights.flash_erased"),
        ("rectified", "rights.flash_rectified"),
        ("notified", "rights.flash_notified"),
        ("user_disabled", "users.flash_disabled"),
        ("user_enabled", "users.flash_enabled"),
        ("password_reset", "users.flash_password_reset"),
        ("token_revoked", "users.flash_token_revoked"),
    ];
    let q = parts.uri.query()?;
    let v = q.split('&').find_map(|kv| kv.strip_prefix("flash="))?;
    KNOWN.iter().find(|(k, _)| *k == v).map(|(_, key)| *key)
}

pub fn secure_cookies(app: &App) -> bool {
    app.config.is_https()
}

pub fn session_cookie(app: &App, sid: String) -> Cookie<'static> {
    Cookie::build((session_cookie_name(app), sid)).http_only(true).same_site(SameSite::Lax).path("/").secure(secure_cookies(app)).build()
}

/// The `Set-Cookie` that removes the session cookie (empty, expired), to `add` to a jar: a jar
/// without the request's cookies emits nothing for `remove`. A `__Host-` cookie is only
/// replaced by one that is `Secure` with `Path=/` too.
pub fn session_cookie_removal(app: &App) -> Cookie<'static> {
    let mut c = Cookie::build((session_cookie_name(app), "")).http_only(true).path("/").secure(secure_cookies(app)).build();
    c.make_removal();
    c
}

/// The device cookie: lasts [`crate::throttle::DEVICE_DAYS`], sent only with same-site requests.
pub fn device_cookie(app: &App, token: String) -> Cookie<'static> {
    Cookie::build((device_cookie_name(app), token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure_cookies(app))
        .max_age(time::Duration::days(crate::throttle::DEVICE_DAYS))
        .build()
}

pub fn csrf_cookie(app: &App, token: String) -> Cookie<'static> {
    Cookie::build((csrf_cookie_name(app), token)).http_only(true).same_site(SameSite::Strict).path("/").secure(secure_cookies(app)).build()
}

/// A request by a signed-in user: the session, its actor, the language and the flash message.
pub struct Web {
    pub app: App,
    pub sid: String,
    pub session: Session,
    pub lang: Lang,
    pub flash: Option<&'static str>,
}

impl Web {
    /// Whether `submitted` is this session's CSRF token (for forms not read by [`Posted`]).
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        constant_time_eq(submitted, &self.session.csrf)
    }

    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }
    pub fn actor(&self) -> &crate::gate::Actor {
        &self.session.actor
    }
    /// The page context for the layout; `nav` marks the active menu entry.
    pub fn ctx(&self, nav: &'static str) -> Ctx {
        let tr = self.tr();
        Ctx {
            tr,
            user: Some(self.session.username.clone()),
            csrf: self.session.csrf.clone(),
            nav,
            flash: self.flash.map(|k| tr.t(k).to_string()),
            read_only: self.session.actor.role == Role::Guest,
            privacy: self
                .app
                .gate
                .check_kind(&self.session.actor, crate::gate::Action::Read, crate::gate::Resource::Purpose, "", self.app.today())
                .is_ok(),
        }
    }
}

impl FromRequestParts<App> for Web {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        // After signing in, a GET goes back where it was; a POST starts over.
        let next = if parts.method == Method::GET { parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/") } else { "/" };
        let next = sanitize_next(Some(next));
        let Some(sid) = jar.get(session_cookie_name(app)).map(|c| c.value().to_string()) else {
            return Err(Redirect::to(&format!("/login?next={}", encode(&next))).into_response());
        };
        let session = match users::session(app, &sid).await {
            Ok(s) => s,
            // The session ended (idle, signed out, account disabled, password reset): 401 with
            // the sign-in form, and the stale cookie dropped.
            Err(ServiceError::Unauthorized) => return Err(session_ended(app, browser_lang(parts), jar, next)),
            Err(e) => return Err(anonymous_error(browser_lang(parts), e)),
        };
        if session.must_change_password && !open_before_password_change(&parts.method, parts.uri.path()) {
            return Err(Redirect::to("/settings#password").into_response());
        }
        let lang = session.language.as_deref().and_then(Lang::parse).unwrap_or_else(|| browser_lang(parts));
        Ok(Web { app: app.clone(), sid, session, lang, flash: flash_from(parts) })
    }
}

/// What a user whose password an administrator set may reach before changing it.
fn open_before_password_change(method: &Method, path: &str) -> bool {
    matches!((method, path), (&Method::GET, "/settings") | (&Method::POST, "/settings/password") | (&Method::POST, "/logout"))
}

/// A request before sign-in (login, setup): the browser's language and a flash message.
pub struct Anon {
    pub lang: Lang,
    pub flash: Option<&'static str>,
}

impl Anon {
    pub fn ctx(&self, csrf: String) -> Ctx {
        let tr = Tr::new(self.lang);
        Ctx::anonymous(self.lang, csrf, self.flash.map(|k| tr.t(k).to_string()))
    }
}

impl FromRequestParts<App> for Anon {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _app: &App) -> Result<Self, Self::Rejection> {
        Ok(Anon { lang: browser_lang(parts), flash: flash_from(parts) })
    }
}

/// A form field set with the CSRF token beside it.
#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// A POSTed form of a signed-in user whose CSRF token matched the session's.
pub struct Posted<T> {
    pub web: Web,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<App> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let web = Web::from_request_parts(&mut parts, app).await?;
        let req = Request::from_parts(parts, body);
        let form = match Form::<WithCsrf<T>>::from_request(req, app).await {
            Ok(Form(f)) => f,
            Err(_) => return Err(error_page(web.ctx(""), axum::http::StatusCode::BAD_REQUEST, "error.bad_request", None)),
        };
        if !constant_time_eq(&form.csrf, &web.session.csrf) {
            return Err(csrf_failed_page(web.lang));
        }
        Ok(Posted { web, form: form.inner })
    }
}

/// Double-submit check for the forms shown before a session exists (login, setup).
pub fn anonymous_csrf_ok(app: &App, jar: &CookieJar, submitted: &str) -> bool {
    jar.get(csrf_cookie_name(app)).is_some_and(|c| !c.value().is_empty() && constant_time_eq(c.value(), submitted))
}

/// The double-submit token of this browser, made when it has none yet.
pub fn anonymous_csrf(app: &App, jar: CookieJar) -> (CookieJar, String) {
    match jar.get(csrf_cookie_name(app)).map(|c| c.value().to_string()).filter(|v| v.len() >= 32) {
        Some(v) => (jar, v),
        None => {
            let token = crate::auth::random_secret("");
            (jar.add(csrf_cookie(app, token.clone())), token)
        }
    }
}

impl Web {
    /// The page for a service error, in the layout of the signed-in user.
    pub fn fail(&self, e: ServiceError) -> Response {
        service_error_page(self.ctx(""), e)
    }

    pub fn not_found(&self) -> Response {
        self.fail(ServiceError::NotFound("record"))
    }
}

/// The answer to a request whose session has ended: 401 with the sign-in form, which leads
/// back to `next`, and the stale session cookie removed.
pub(super) fn session_ended(app: &App, lang: Lang, jar: CookieJar, next: String) -> Response {
    let jar = jar.add(session_cookie_removal(app));
    let (jar, csrf) = anonymous_csrf(app, jar);
    let flash = Some(Tr::new(lang).t("login.session_ended").to_string());
    let page = LoginPage { ctx: Ctx::anonymous(lang, csrf, flash), next, username: String::new(), error: None };
    (jar, render_status(StatusCode::UNAUTHORIZED, &page)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_allows_only_local_paths() {
        assert_eq!(sanitize_next(Some("/contacts/123?x=1")), "/contacts/123?x=1");
        assert_eq!(sanitize_next(Some("/deals")), "/deals");
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "contacts",
            "/contacts\nSet-Cookie: x",
            "/a b",
            "",
            "   ",
            "/login?next=/x",
            "/logout",
        ] {
            assert_eq!(sanitize_next(Some(bad)), "/contacts", "{bad:?} must not pass");
        }
        assert_eq!(sanitize_next(None), "/contacts");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("/contacts?q=Müller & Co"), "%2Fcontacts%3Fq%3DM%C3%BCller%20%26%20Co");
        assert_eq!(encode("abc-_.~"), "abc-_.~");
    }
}
