//! The public pages behind the links in Obhut's mails, for people who are not users: confirm
//! a double opt-in (the link opens a page; only its POST confirms, since mail scanners fetch
//! links) and unsubscribe (RFC 8058 one-click POST, or the page's button), in German and
//! English. The token in the path is the only authority; no session, no cookie.

use super::page::{render_status, Ctx};
use crate::app::App;
use crate::i18n::{Lang, Tr};
use crate::services::consent::{self as service, Confirmation, Origin, Unsubscribed};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "consent/public.html")]
struct PublicPage {
    ctx: Ctx,
    controller: PublicController,
    heading: String,
    message: Option<String>,
    ok: bool,
    action: Option<String>,
    lead: Option<String>,
    button: String,
    offer_objection: bool,
}

fn origin(app: &App, ext: &Extensions, headers: &HeaderMap) -> Origin {
    let ip = ext.get::<ConnectInfo<SocketAddr>>().map(|c| crate::client::client_ip(c.0.ip(), headers, &app.config.trusted_proxies));
    Origin::new(ip, headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()))
}

fn browser(headers: &HeaderMap) -> Lang {
    crate::i18n::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The controller as the public pages show it: its name ("Obhut" while the registry holds
/// the placeholder of a new installation) and the links to its privacy notice and imprint.
struct PublicController {
    name: String,
    privacy_notice_url: Option<String>,
    imprint_url: Option<String>,
}

async fn public_controller(app: &App) -> PublicController {
    let stored = match app.conn().await {
        Ok(mut c) => obhut_store::purposes::controller(&mut c).await.ok(),
        Err(_) => None,
    };
    match stored {
        Some(c) => PublicController {
            name: if obhut_core::purpose::Controller::is_placeholder(&c.name) { "Obhut".into() } else { c.name },
            privacy_notice_url: c.privacy_notice_url,
            imprint_url: c.imprint_url,
        },
        None => PublicController { name: "Obhut".into(), privacy_notice_url: None, imprint_url: None },
    }
}

async fn page(
    app: &App,
    lang: Lang,
    status: StatusCode,
    heading_key: &str,
    message: Option<(String, bool)>,
    form: Option<(String, String, String, bool)>,
) -> Response {
    let tr = Tr::new(lang);
    let (action, lead, button, offer_objection) = match form {
        Some((a, l, b, o)) => (Some(a), Some(l), b, o),
        None => (None, None, String::new(), false),
    };
    let controller = public_controller(app).await;
    render_status(
        status,
        &PublicPage {
            ctx: Ctx::anonymous(lang, String::new(), None),
            controller,
            heading: tr.t(heading_key).to_string(),
            ok: message.as_ref().is_some_and(|m| m.1),
            message: message.map(|m| m.0),
            action,
            lead,
            button,
            offer_objection,
        },
    )
}

fn lang_of(code: &str, fallback: Lang) -> Lang {
    Lang::parse(code).unwrap_or(fallback)
}

fn failed(e: crate::error::ServiceError) -> Response {
    tracing::warn!("public consent page: {e}");
    let mut r = Response::new(axum::body::Body::from("The service is unavailable; please try again later."));
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    r
}

/// `GET /consent/confirm/{token}`: the page with the button; confirms nothing by itself.
pub async fn confirm_page(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let fallback = browser(&headers);
    match service::peek_confirmation(&app, &token).await {
        Ok((Confirmation::Confirmed { language, .. }, name)) => {
            let lang = lang_of(&language, fallback);
            let tr = Tr::new(lang);
            let form = (
                format!("/consent/confirm/{token}"),
                tr.f("consent_public.confirm_lead", &name),
                tr.t("consent_public.confirm_button").to_string(),
                false,
            );
            page(&app, lang, StatusCode::OK, "consent_public.confirm_title", None, Some(form)).await
        }
        Ok((other, _)) => outcome_page(&app, fallback, other).await,
        Err(e) => failed(e),
    }
}

/// `POST /consent/confirm/{token}`: confirms, once.
pub async fn confirm(State(app): State<App>, Path(token): Path<String>, ext: Extensions, headers: HeaderMap) -> Response {
    match service::confirm(&app, &token, &origin(&app, &ext, &headers)).await {
        Ok(c) => outcome_page(&app, browser(&headers), c).await,
        Err(e) => failed(e),
    }
}

async fn outcome_page(app: &App, fallback: Lang, c: Confirmation) -> Response {
    let (lang, status, key, ok) = match c {
        Confirmation::Confirmed { language, renewed, .. } => (
            lang_of(&language, fallback),
            StatusCode::OK,
            if renewed { "consent_public.renewed" } else { "consent_public.confirmed" },
            true,
        ),
        Confirmation::AlreadyUsed => (fallback, StatusCode::CONFLICT, "consent_public.used", false),
        Confirmation::Expired => (fallback, StatusCode::GONE, "consent_public.expired", false),
        Confirmation::Withdrawn => (fallback, StatusCode::CONFLICT, "consent_public.withdrawn", false),
        Confirmation::Unknown => (fallback, StatusCode::NOT_FOUND, "consent_public.unknown", false),
    };
    let message = Tr::new(lang).t(key).to_string();
    page(app, lang, status, "consent_public.confirm_title", Some((message, ok)), None).await
}

/// `GET /consent/unsubscribe/{token}`: the page with the button (and the offer to object).
pub async fn unsubscribe_page(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let lang = browser(&headers);
    let tr = Tr::new(lang);
    match service::open_unsubscribe_token(&app, &token) {
        Some((_, k)) => {
            let name = purpose_label(&app, &k.purpose, lang).await;
            let form = (
                format!("/consent/unsubscribe/{token}"),
                tr.f("consent_public.unsubscribe_lead", name),
                tr.t("consent_public.unsubscribe_button").to_string(),
                true,
            );
            page(&app, lang, StatusCode::OK, "consent_public.unsubscribe_title", None, Some(form)).await
        }
        None => {
            page(
                &app,
                lang,
                StatusCode::NOT_FOUND,
                "consent_public.unsubscribe_title",
                Some((tr.t("consent_public.unknown").to_string(), false)),
                None,
            )
            .await
        }
    }
}

async fn purpose_label(app: &App, key: &str, lang: Lang) -> String {
    match crate::services::purposes::registry(app).await {
        Ok(reg) => reg
            .iter()
            .find(|p| p.key == key)
            .map(|p| if lang == Lang::En { p.name_en.clone() } else { p.name_de.clone() })
            .unwrap_or_else(|| key.into()),
        Err(_) => key.into(),
    }
}

/// `POST /consent/unsubscribe/{token}`: withdraws at once. Mail clients post
/// `List-Unsubscribe=One-Click` (RFC 8058); the page's form may add `object=yes`.
pub async fn unsubscribe(State(app): State<App>, Path(token): Path<String>, ext: Extensions, headers: HeaderMap, body: Bytes) -> Response {
    let lang = browser(&headers);
    let tr = Tr::new(lang);
    let object = std::str::from_utf8(&body).unwrap_or("").split('&').any(|kv| kv == "object=yes");
    match service::unsubscribe(&app, &token, object, &origin(&app, &ext, &headers)).await {
        Ok(Unsubscribed::Done { objected, .. }) => {
            let key = if objected { "consent_public.objected" } else { "consent_public.unsubscribed" };
            page(&app, lang, StatusCode::OK, "consent_public.unsubscribe_title", Some((tr.t(key).to_string(), true)), None).await
        }
        Ok(Unsubscribed::Unknown) => {
            page(
                &app,
                lang,
                StatusCode::NOT_FOUND,
                "consent_public.unsubscribe_title",
                Some((tr.t("consent_public.unknown").to_string(), false)),
                None,
            )
            .await
        }
        Err(e) => failed(e),
    }
}

#[derive(Template)]
#[template(path = "consent/public_subscribe.html")]
struct SubscribePage {
    ctx: Ctx,
    controller: PublicController,
    purpose: String,
    purpose_name: String,
    notice: Option<String>,
    email: String,
    given_name: String,
    family_name: String,
    email_error: Option<String>,
    name_error: Option<String>,
    message: Option<String>,
    ok: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SubscribeForm {
    purpose: String,
    email: String,
    given_name: String,
    family_name: String,
}

impl SubscribePage {
    async fn new(app: &App, lang: Lang, purpose: &str) -> Option<Self> {
        let reg = crate::services::purposes::registry(app).await.ok()?;
        let p = reg.iter().find(|p| p.active && p.key == purpose && p.legal_basis == obhut_core::purpose::LegalBasis::Consent)?;
        let notice = match app.conn().await {
            Ok(mut c) => obhut_store::consent::current_notice(&mut c, &p.key, obhut_core::consent::Channel::Email, lang.code())
                .await
                .ok()
                .flatten()
                .map(|n| n.text)
                .or_else(|| obhut_core::consent::default_notice(&p.key, obhut_core::consent::Channel::Email, lang.code())),
            Err(_) => None,
        };
        let controller = public_controller(app).await;
        Some(Self {
            ctx: Ctx::anonymous(lang, String::new(), None),
            controller,
            purpose: p.key.clone(),
            purpose_name: if lang == Lang::En { p.name_en.clone() } else { p.name_de.clone() },
            notice,
            email: String::new(),
            given_name: String::new(),
            family_name: String::new(),
            email_error: None,
            name_error: None,
            message: None,
            ok: false,
        })
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SubscribeQuery {
    purpose: String,
}

fn no_offer(lang: Lang) -> Response {
    let tr = Tr::new(lang);
    super::page::error_page(
        Ctx::anonymous(lang, String::new(), None),
        StatusCode::NOT_FOUND,
        "consent_public.subscribe_title",
        Some(tr.t("consent_public.unknown_purpose").into()),
    )
}

/// `GET /consent/subscribe?purpose=newsletter`: the public sign-up form (double opt-in).
pub async fn subscribe_page(
    State(app): State<App>,
    axum::extract::Query(q): axum::extract::Query<SubscribeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = browser(&headers);
    let purpose = if q.purpose.trim().is_empty() { crate::services::purposes::NEWSLETTER } else { q.purpose.trim() };
    match SubscribePage::new(&app, lang, purpose).await {
        Some(page) => render_status(StatusCode::OK, &page),
        None => no_offer(lang),
    }
}

/// `POST /consent/subscribe`: the same answer whether the address is known or not.
pub async fn subscribe(
    State(app): State<App>,
    ext: Extensions,
    headers: HeaderMap,
    axum::extract::Form(f): axum::extract::Form<SubscribeForm>,
) -> Response {
    let lang = browser(&headers);
    let tr = Tr::new(lang);
    let Some(mut page) = SubscribePage::new(&app, lang, f.purpose.trim()).await else { return no_offer(lang) };
    let cut = |s: &str| s.trim().chars().filter(|c| !c.is_control()).take(100).collect::<String>();
    page.email = cut(&f.email);
    page.given_name = cut(&f.given_name);
    page.family_name = cut(&f.family_name);
    let given = Some(page.given_name.as_str()).filter(|s| !s.is_empty());
    let family = Some(page.family_name.as_str()).filter(|s| !s.is_empty());
    match service::subscribe(&app, &f.email, given, family, &page.purpose, lang.code(), &origin(&app, &ext, &headers)).await {
        Ok(()) => {
            page.ok = true;
            page.message = Some(tr.t("consent_public.subscribe_sent").into());
            render_status(StatusCode::OK, &page)
        }
        Err(crate::error::ServiceError::Validation(e)) => {
            for err in &e.0 {
                if err.field.contains("name") {
                    page.name_error = Some(tr.t("consent_public.name_required").to_string());
                } else {
                    page.email_error = Some(tr.t("consent_public.email_invalid").to_string());
                }
            }
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(crate::error::ServiceError::RateLimited(secs)) => {
            page.message = Some(tr.t("consent_public.too_many").into());
            let mut r = render_status(StatusCode::TOO_MANY_REQUESTS, &page);
            r.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
            r
        }
        Err(e) => failed(e),
    }
}
