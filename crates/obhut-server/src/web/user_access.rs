//! The users' access: role, scope, teams and processor of each account, and the form
//! that changes them. Through `services::users`, which refuses users and guests.

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render, render_status, see_other, Ctx, Errs, Opt};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::services::policies as service;
use crate::services::users as user_service;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::user::{Role, Scope};
use serde::Deserialize;

pub(super) struct UserRow {
    username: String,
    role: String,
    scope: String,
    teams: String,
    processor: String,
    disabled: bool,
    /// API tokens neither revoked nor expired.
    live_tokens: i64,
}

#[derive(Template)]
#[template(path = "privacy/users.html")]
pub(super) struct UserListPage {
    ctx: Ctx,
    rows: Vec<UserRow>,
}

/// `GET /privacy/users`.
pub async fn user_list(web: Web) -> PageResult {
    let tr = web.tr();
    let users = user_service::list_users(&web.app, web.actor()).await.or_fail(&web)?;
    let tokens = user_service::live_token_counts(&web.app, web.actor()).await.or_fail(&web)?;
    let rows = users
        .iter()
        .map(|u| UserRow {
            live_tokens: tokens.get(&u.id).copied().unwrap_or(0),
            username: u.username.clone(),
            role: tr.v("role", u.role.as_str()),
            scope: tr.v("scope", u.scope.as_str()),
            teams: u.teams.join(", "),
            processor: u.processor_key.clone().unwrap_or_default(),
            disabled: u.disabled,
        })
        .collect();
    Ok(render(&UserListPage { ctx: web.ctx("privacy"), rows }))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AccessForm {
    role: String,
    scope: String,
    teams: String,
    processor: String,
}

#[derive(Template)]
#[template(path = "privacy/user_form.html")]
pub(super) struct AccessFormPage {
    ctx: Ctx,
    username: String,
    form: AccessForm,
    errs: Errs,
    roles: Vec<Opt>,
    scopes: Vec<Opt>,
    processors: Vec<Opt>,
}

pub(super) async fn show_access_form(web: &Web, username: &str, form: AccessForm, errs: Errs) -> Response {
    let tr = web.tr();
    let processors = match service::list_processors(&web.app, web.actor()).await {
        Ok(l) => l.iter().map(|p| Opt::new(p.key.clone(), format!("{} ({})", p.name, p.key))).collect(),
        Err(e) => return web.fail(e),
    };
    let roles = Role::ALL.iter().map(|r| Opt::new(r.as_str(), tr.v("role", r.as_str()))).collect();
    let scopes = [Scope::Own, Scope::Team, Scope::All].iter().map(|s| Opt::new(s.as_str(), tr.v("scope", s.as_str()))).collect();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(
        status,
        &AccessFormPage { ctx: web.ctx("privacy"), username: username.to_string(), form, errs, roles, scopes, processors },
    )
}

pub(super) async fn find_user(web: &Web, username: &str) -> Result<obhut_store::users::UserRecord, Response> {
    match user_service::list_users(&web.app, web.actor()).await {
        Ok(l) => l.into_iter().find(|u| u.username == username).ok_or_else(|| web.fail(ServiceError::NotFound("user"))),
        Err(e) => Err(web.fail(e)),
    }
}

/// `GET /privacy/users/{username}/edit`.
pub async fn edit_access_page(web: Web, Path(username): Path<String>) -> Response {
    let u = match find_user(&web, &username).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let form = AccessForm {
        role: u.role.as_str().to_string(),
        scope: u.scope.as_str().to_string(),
        teams: u.teams.join(", "),
        processor: u.processor_key.clone().unwrap_or_default(),
    };
    show_access_form(&web, &u.username, form, Errs::none()).await
}

/// `POST /privacy/users/{username}/edit`.
pub async fn update_access(Path(username): Path<String>, Posted { web, form }: Posted<AccessForm>) -> Response {
    let tr = web.tr();
    if let Err(r) = find_user(&web, &username).await {
        return r;
    }
    let mut errs = Errs::none();
    let role = Role::parse(&form.role).map_err(|_| errs.add("role", tr.t("privacy.err_role"))).ok();
    let scope = Scope::parse(&form.scope).map_err(|_| errs.add("scope", tr.t("privacy.err_scope"))).ok();
    let teams: Vec<String> = form.teams.split([',', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect();
    let (Some(role), Some(scope)) = (role, scope) else { return show_access_form(&web, &username, form, errs).await };
    let processor = non_empty(&form.processor);
    match user_service::set_access(&web.app, web.actor(), &username, role, scope, &teams, processor).await {
        Ok(_) => see_other("/privacy/users?flash=saved"),
        Err(ServiceError::Validation(v)) => {
            for fe in &v.0 {
                match fe.field.as_str() {
                    "teams" => errs.add("teams", tr.t("privacy.err_teams")),
                    "processor" if role == Role::Processor && processor.is_none() => {
                        errs.add("processor", tr.t("privacy.err_processor_needed"))
                    }
                    "processor" if role != Role::Processor => errs.add("processor", tr.t("privacy.err_processor_only")),
                    "processor" => errs.add("processor", tr.message(&fe.message)),
                    _ => errs.other.push(tr.message(&fe.message)),
                }
            }
            show_access_form(&web, &username, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}
