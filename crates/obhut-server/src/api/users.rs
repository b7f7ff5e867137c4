//! Staff accounts and API tokens over the API: who the caller is (`/me`) and, for
//! administrators (through the gate), list the accounts, disable and enable one, reset a
//! password, set what an account reaches (role, scope, teams, processor), list, create and
//! revoke tokens. Token secrets leave the server once, in the answer that creates them.

use super::extract::{ApiActor, ApiJson, ApiQuery};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::fmt::rfc3339;
use crate::services;
use crate::services::users::{self as service, AccountChange, StaffAccount};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use obhut_core::ids::UserId;
use obhut_core::user::Role;
use obhut_store::users::{TokenRecord, UserRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_users))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(reset_password))
        .routes(routes!(set_access))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Null for a caller that is no staff account.
    #[schema(required = true)]
    pub id: Option<UserId>,
    pub username: String,
    pub role: Role,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/me", tag = "users", responses((status = 200, body = Me)), security(("bearer" = [])))]
pub async fn me(ApiActor(actor): ApiActor) -> Json<Me> {
    Json(Me { id: actor.user_id, username: actor.name.clone(), role: actor.role })
}

/// A staff account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub username: String,
    pub role: String,
    pub scope: String,
    pub teams: Vec<String>,
    #[schema(required = true)]
    pub processor: Option<String>,
    /// `active`, `disabled` or `must_change_password`.
    pub status: String,
    pub disabled: bool,
    /// RFC 3339; unknown for accounts disabled before this was recorded.
    #[schema(required = true)]
    pub disabled_at: Option<String>,
    /// The password was set by an administrator and must be changed at the next sign-in.
    pub must_change_password: bool,
    /// API tokens neither revoked nor expired (only in the list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_tokens: Option<i64>,
}

impl UserOut {
    fn new(u: UserRecord, live_tokens: Option<i64>) -> Self {
        let status = if u.disabled {
            "disabled"
        } else if u.must_change_password {
            "must_change_password"
        } else {
            "active"
        };
        Self {
            id: u.id.to_string(),
            status: status.into(),
            role: u.role.as_str().into(),
            scope: u.scope.as_str().into(),
            disabled: u.disabled,
            disabled_at: u.disabled_at.map(rfc3339),
            must_change_password: u.must_change_password,
            username: u.username,
            teams: u.teams,
            processor: u.processor_key,
            live_tokens,
        }
    }
}

/// What a step did to an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountChangeOut {
    pub user: UserOut,
    /// False when the account was in that state already (nothing was written).
    pub changed: bool,
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

impl From<AccountChange> for AccountChangeOut {
    fn from(c: AccountChange) -> Self {
        Self { user: UserOut::new(c.user, None), changed: c.changed, sessions_ended: c.sessions_ended, tokens_revoked: c.tokens_revoked }
    }
}

/// An API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub user: String,
    pub user_id: String,
    #[schema(required = true)]
    pub label: Option<String>,
    pub created_at: String,
    /// RFC 3339, or null for a token that never expires.
    #[schema(required = true)]
    pub expires_at: Option<String>,
    /// Written at most about once a minute.
    #[schema(required = true)]
    pub last_used_at: Option<String>,
    #[schema(required = true)]
    pub revoked_at: Option<String>,
    #[schema(required = true)]
    pub revoked_by: Option<String>,
    /// Neither revoked nor expired.
    pub live: bool,
}

impl TokenOut {
    pub fn new(t: TokenRecord, now: i64) -> Self {
        Self {
            live: t.live(now),
            id: t.id,
            user: t.username,
            user_id: t.user_id.to_string(),
            label: t.label,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
            revoked_by: t.revoked_by,
        }
    }
}

/// The staff accounts with their status and number of live tokens.
#[utoipa::path(get, path = "/users", tag = "users",
    responses((status = 200, body = Vec<UserOut>), (status = 401, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_users(State(app): State<App>, ApiActor(actor): ApiActor) -> Result<Json<Vec<UserOut>>, Problem> {
    let list = service::list_accounts(&app, &actor).await?;
    Ok(Json(list.into_iter().map(|StaffAccount { user, live_tokens }| UserOut::new(user, Some(live_tokens))).collect()))
}

/// Disables an account: sign-in is refused, its sessions end and its tokens are revoked, all
/// at once (the next request with them answers 401). Audited as `user.disable`.
#[utoipa::path(post, path = "/users/{username}/disable", tag = "users",
    params(("username" = String, Path, description = "The user name")),
    responses((status = 200, body = AccountChangeOut), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn disable_user(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(username): Path<String>,
) -> Result<Json<AccountChangeOut>, Problem> {
    Ok(Json(service::disable_user(&app, &actor, &username).await?.into()))
}

/// Enables a disabled account: sign-in works again; tokens revoked by disabling stay revoked.
/// Audited as `user.enable`.
#[utoipa::path(post, path = "/users/{username}/enable", tag = "users",
    params(("username" = String, Path, description = "The user name")),
    responses((status = 200, body = AccountChangeOut), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn enable_user(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(username): Path<String>,
) -> Result<Json<AccountChangeOut>, Problem> {
    Ok(Json(service::enable_user(&app, &actor, &username).await?.into()))
}

// No `Debug`: it holds a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// The new password (10 to 256 characters); never logged or audited.
    pub password: String,
}

/// An administrator's password reset: the user must change the password at the next web
/// sign-in; their sessions end and their tokens are revoked. Audited as `user.password_reset`.
#[utoipa::path(put, path = "/users/{username}/password", tag = "users", request_body = PasswordIn,
    params(("username" = String, Path, description = "The user name")),
    responses((status = 200, body = AccountChangeOut), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn reset_password(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<PasswordIn>,
) -> Result<Json<AccountChangeOut>, Problem> {
    Ok(Json(service::reset_password(&app, &actor, &username, &b.password).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// Only this user's tokens.
    pub user: Option<String>,
}

/// Every API token (revoked and expired ones too), newest first per user; never a secret.
#[utoipa::path(get, path = "/tokens", tag = "users", params(TokenQuery),
    responses((status = 200, body = Vec<TokenOut>), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Result<Json<Vec<TokenOut>>, Problem> {
    let list = service::list_tokens(&app, &actor, q.user.as_deref()).await?;
    let now = app.now_ms();
    Ok(Json(list.into_iter().map(|t| TokenOut::new(t, now)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    /// The user name the token acts as.
    pub user: String,
    pub label: Option<String>,
    /// Days until the token expires: default 90, 0 for never, at most 3650.
    pub days: Option<i64>,
}

/// A new token, with its secret: shown this once.
// No `Debug`: it holds the secret.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: String,
    pub user: String,
    #[schema(required = true)]
    pub label: Option<String>,
    pub created_at: String,
    #[schema(required = true)]
    pub expires_at: Option<String>,
    /// The bearer token. It is stored only as a hash and cannot be shown again.
    pub token: String,
}

/// Creates an API token for a user (default expiry 90 days). Audited as `token.create`.
#[utoipa::path(post, path = "/tokens", tag = "users", request_body = TokenIn,
    responses((status = 201, body = TokenCreated), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_token(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<TokenIn>,
) -> Result<(StatusCode, Json<TokenCreated>), Problem> {
    let t = service::issue_token(&app, &actor, &b.user, b.label.as_deref(), b.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id: t.id,
            user: t.username,
            label: t.label,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            token: t.token,
        }),
    ))
}

/// Revokes a token at once: the next request with it answers 401. Revoking a revoked token
/// changes nothing. Audited as `token.revoke` with the token's user.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "users",
    params(("id" = String, Path, description = "The token's id (from the list)")),
    responses((status = 204, description = "Revoked"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revoke_token(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    match service::revoke_token(&app, &actor, &id).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        // An id that cannot be a token's names nothing: 404, like an unknown one.
        Err(crate::error::ServiceError::Validation(_)) => Err(crate::error::ServiceError::NotFound("token").into()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessIn {
    /// admin, dpo, user, hr, guest or processor.
    pub role: String,
    /// own, team or all (default all).
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    /// For the role processor: the processor's key.
    #[serde(default)]
    pub processor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessOut {
    pub username: String,
    pub role: String,
    pub scope: String,
    pub teams: Vec<String>,
    #[schema(required = true)]
    pub processor: Option<String>,
}

/// Sets a user's role, scope, teams and processor. Administrators only; audited.
#[utoipa::path(put, path = "/users/{username}/access", tag = "privacy", params(("username" = String, Path, description = "the user name")), request_body = AccessIn,
    responses((status = 200, body = AccessOut), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_access(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<AccessIn>,
) -> Result<Json<AccessOut>, Problem> {
    let role = obhut_core::user::Role::parse(&b.role).map_err(|m| bad_request("role", m))?;
    let scope = obhut_core::user::Scope::parse(b.scope.as_deref().unwrap_or("all")).map_err(|m| bad_request("scope", m))?;
    let u = services::users::set_access(&app, &actor, &username, role, scope, &b.teams, b.processor.as_deref()).await?;
    Ok(Json(AccessOut {
        username: u.username,
        role: u.role.as_str().into(),
        scope: u.scope.as_str().into(),
        teams: u.teams,
        processor: u.processor_key,
    }))
}
