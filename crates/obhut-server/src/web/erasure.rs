//! Erasure (Art. 17) in the UI: the confirmation page that names what goes, and the erasure.

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render_status, see_other, Ctx, Errs};
use super::rights::{contact_name, errs, message};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use serde::Deserialize;

pub(super) const ERASE_FIELDS: &[&str] = &["reason", "confirm"];

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    reason: String,
    confirm: String,
    case: String,
}

#[derive(Template)]
#[template(path = "rights/erase.html")]
pub(super) struct ErasePage {
    ctx: Ctx,
    contact_id: String,
    name: String,
    form: EraseForm,
    errs: Errs,
    refusal: Option<String>,
}

pub(super) async fn erase_page(
    web: &Web,
    id: &str,
    form: EraseForm,
    errs: Errs,
    refusal: Option<String>,
    status: StatusCode,
) -> PageResult {
    crate::services::cases::authorize(&web.app, web.actor()).await.or_fail(web)?;
    let (cid, name) = match contact_name(web, id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    Ok(render_status(status, &ErasePage { ctx: web.ctx("contacts"), contact_id: cid.to_string(), name, form, errs, refusal }))
}

/// `GET /contacts/{id}/erase`: what erasure deletes and keeps, and the confirmation.
pub async fn erase_confirm(web: Web, Path(id): Path<String>) -> PageResult {
    erase_page(&web, &id, EraseForm::default(), Errs::none(), None, StatusCode::OK).await
}

/// `POST /contacts/{id}/erase`: erases once the tick confirms it.
pub async fn erase(Path(id): Path<String>, Posted { web, form }: Posted<EraseForm>) -> PageResult {
    let tr = web.tr();
    if form.confirm.is_empty() {
        let mut e = Errs::none();
        if non_empty(&form.reason).is_none() {
            e.add("reason", tr.t("rights.err_erase_reason"));
        }
        e.add("confirm", tr.t("rights.err_erase_confirm"));
        return erase_page(&web, &id, form, e, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match crate::services::erasure::erase(&web.app, web.actor(), &id, &form.reason, non_empty(&form.case)).await {
        // A legal duty kept records: the contact stays, restricted, and says so.
        Ok(e) if e.restricted_until.is_some() => Ok(see_other(&format!("/contacts/{}?flash=erase_restricted", e.contact_id))),
        Ok(_) => Ok(see_other("/contacts?flash=erased")),
        Err(ServiceError::Validation(v)) => {
            let e = errs(tr, &v, ERASE_FIELDS);
            erase_page(&web, &id, form, e, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Conflict(m)) => {
            let text = message(tr, &m);
            erase_page(&web, &id, form, Errs::none(), Some(text), StatusCode::CONFLICT).await
        }
        Err(e) => Err(web.failure(e)),
    }
}
