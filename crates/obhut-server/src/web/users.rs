//! Einstellungen → Benutzer: the staff accounts and their API tokens, for administrators.
//! Disable and enable an account, reset a password, create a token (its secret shown once),
//! revoke one. Every form is a plain POST with the session's CSRF token; the services decide
//! who may (others get the 403 page) and write the audit trail.

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render_status, see_other, Ctx, Errs, Opt};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::services::users::{self as service, AccountChange, NewToken, DEFAULT_TOKEN_DAYS};
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

struct AccountRow {
    username: String,
    role: String,
    scope: String,
    /// `active`, `disabled` or `must_change`: the CSS class and the label's key.
    status: &'static str,
    status_label: String,
    disabled: bool,
    live_tokens: i64,
    /// The signed-in administrator's own account: no disable button.
    own: bool,
}

struct TokenRow {
    id: String,
    username: String,
    label: String,
    created: String,
    expires: String,
    last_used: String,
}

/// A token just created, shown once.
struct Created {
    username: String,
    token: String,
    expires: String,
}

/// No `Debug`: it holds a password.
#[derive(Default, Clone, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    reset_user: String,
    reset_password: String,
    reset_repeat: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token_user: String,
    token_label: String,
    token_days: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        Self { token_user: String::new(), token_label: String::new(), token_days: DEFAULT_TOKEN_DAYS.to_string() }
    }
}

#[derive(Template)]
#[template(path = "settings/users.html")]
struct AccountsPage {
    ctx: Ctx,
    accounts: Vec<AccountRow>,
    tokens: Vec<TokenRow>,
    /// Every account, for the password reset.
    users: Vec<Opt>,
    /// Enabled accounts, for a new token.
    enabled: Vec<Opt>,
    reset: ResetForm,
    token: TokenForm,
    errs: Errs,
    created: Option<Created>,
}

async fn show(web: &Web, reset: ResetForm, token: TokenForm, errs: Errs, created: Option<NewToken>) -> PageResult {
    let tr = web.tr();
    let accounts = service::list_accounts(&web.app, web.actor()).await.or_fail(web)?;
    let tokens = service::list_tokens(&web.app, web.actor(), None).await.or_fail(web)?;
    let now = web.app.now_ms();
    let never = tr.t("users.never").to_string();
    let when = |ms: Option<i64>| ms.map(|m| fmt::datetime(tr.lang, m)).unwrap_or_else(|| never.clone());
    let tokens = tokens
        .into_iter()
        .filter(|t| t.live(now))
        .map(|t| TokenRow {
            id: t.id,
            username: t.username,
            label: t.label.unwrap_or_default(),
            created: fmt::datetime(tr.lang, t.created_at),
            expires: when(t.expires_at),
            last_used: when(t.last_used_at),
        })
        .collect();
    let users = accounts.iter().map(|a| Opt::new(a.user.username.clone(), a.user.username.clone())).collect();
    let enabled =
        accounts.iter().filter(|a| !a.user.disabled).map(|a| Opt::new(a.user.username.clone(), a.user.username.clone())).collect();
    let accounts = accounts
        .into_iter()
        .map(|a| {
            let status = match (&a.user.disabled, &a.user.must_change_password) {
                (true, _) => "disabled",
                (false, true) => "must_change",
                (false, false) => "active",
            };
            AccountRow {
                own: web.actor().user_id == Some(a.user.id),
                role: tr.v("role", a.user.role.as_str()),
                scope: tr.v("scope", a.user.scope.as_str()),
                status,
                status_label: tr.v("account_status", status),
                disabled: a.user.disabled,
                live_tokens: a.live_tokens,
                username: a.user.username,
            }
        })
        .collect();
    let created = created.map(|c| Created { username: c.username, token: c.token, expires: when(c.expires_at) });
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = AccountsPage { ctx: web.ctx("settings"), accounts, tokens, users, enabled, reset, token, errs, created };
    Ok(render_status(status, &page))
}

/// `GET /settings/users`.
pub async fn accounts_page(web: Web) -> PageResult {
    show(&web, ResetForm::default(), TokenForm::default(), Errs::none(), None).await
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NoFields {}

fn done(r: Result<AccountChange, ServiceError>, web: &Web, flash: &str) -> Response {
    match r {
        Ok(_) => see_other(&format!("/settings/users?flash={flash}")),
        Err(e) => web.fail(e),
    }
}

/// `POST /settings/users/{username}/disable`: sessions end and tokens are revoked at once.
pub async fn disable_account(Path(username): Path<String>, Posted { web, form: NoFields {} }: Posted<NoFields>) -> Response {
    done(service::disable_user(&web.app, web.actor(), &username).await, &web, "user_disabled")
}

/// `POST /settings/users/{username}/enable`.
pub async fn enable_account(Path(username): Path<String>, Posted { web, form: NoFields {} }: Posted<NoFields>) -> Response {
    done(service::enable_user(&web.app, web.actor(), &username).await, &web, "user_enabled")
}

/// `POST /settings/users/password`: an administrator sets a password the user must change.
pub async fn reset_password(Posted { web, form }: Posted<ResetForm>) -> PageResult {
    let tr = web.tr();
    if form.reset_password != form.reset_repeat {
        let mut errs = Errs::none();
        errs.add("reset_repeat", tr.t("val.password_repeat"));
        return show(&web, form, TokenForm::default(), errs, None).await;
    }
    match service::reset_password(&web.app, web.actor(), &form.reset_user, &form.reset_password).await {
        Ok(_) => Ok(see_other("/settings/users?flash=password_reset")),
        Err(ServiceError::Validation(v)) => {
            let remap = [("user".to_string(), "reset_user"), ("password".to_string(), "reset_password")];
            let errs = Errs::from_validation(tr, &v, &remap, &["reset_user", "reset_password", "reset_repeat"]);
            show(&web, ResetForm { reset_password: String::new(), reset_repeat: String::new(), ..form }, TokenForm::default(), errs, None)
                .await
        }
        Err(e) => Err(web.failure(e)),
    }
}

/// `POST /settings/users/tokens`: creates a token and shows its secret on this answer only
/// (never in a URL, so it is not a redirect).
pub async fn create_token(Posted { web, form }: Posted<TokenForm>) -> PageResult {
    let tr = web.tr();
    let days = match non_empty(&form.token_days) {
        None => None,
        Some(d) => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let mut errs = Errs::none();
                errs.add("token_days", tr.t("users.err_days"));
                return show(&web, ResetForm::default(), form, errs, None).await;
            }
        },
    };
    match service::issue_token(&web.app, web.actor(), &form.token_user, non_empty(&form.token_label), days).await {
        Ok(created) => show(&web, ResetForm::default(), TokenForm::default(), Errs::none(), Some(created)).await,
        Err(ServiceError::Validation(v)) => {
            let remap = [("user".to_string(), "token_user"), ("label".to_string(), "token_label"), ("days".to_string(), "token_days")];
            let errs = Errs::from_validation(tr, &v, &remap, &["token_user", "token_label", "token_days"]);
            show(&web, ResetForm::default(), form, errs, None).await
        }
        Err(e) => Err(web.failure(e)),
    }
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke_token(Path(id): Path<String>, Posted { web, form: NoFields {} }: Posted<NoFields>) -> Response {
    match service::revoke_token(&web.app, web.actor(), &id).await {
        Ok(_) => see_other("/settings/users?flash=token_revoked"),
        Err(ServiceError::Validation(_)) => web.not_found(),
        Err(e) => web.fail(e),
    }
}
