//! The data subject rights pages' shared parts (the service's messages in the user's language,
//! form errors, the contact's name) and rectification through a request case (Art. 16). The
//! other rights have pages of their own: `restriction`, `erasure`, `recipients`; all go through
//! the services, which let only those who run data subject rights in.

use super::failure::{OrFail, PageResult};
use super::page::{see_other, Errs};
use super::session::Web;
use crate::i18n::Tr;
use crate::services::dsr as dsr_service;
use axum::extract::Path;
use axum::response::Response;
use obhut_core::dsr::{CaseKind, CaseStatus};
use obhut_core::ids::ContactId;

/// A service message at a form field in the user's language.
pub(super) fn message(tr: Tr, msg: &str) -> String {
    const PARTS: &[(&str, &str)] = &[
        ("say why processing is restricted", "rights.err_reason"),
        ("say why the contact is erased", "rights.err_erase_reason"),
        ("at most 500 characters", "rights.err_text_500"),
        ("at most 2000 characters", "rights.err_text_2000"),
        ("a date as YYYY-MM-DD", "rights.err_date"),
        ("ends after today", "rights.err_until_past"),
        ("must be told before a restriction is lifted", "rights.err_informed_missing"),
        ("not a date in the future", "rights.err_informed_future"),
        ("is told of the lifting after the restriction", "rights.err_informed_early"),
        ("no such request case", "rights.err_no_case"),
        ("is not a restriction request of this contact", "rights.err_not_restriction_case"),
        ("is not a request of this contact", "rights.err_not_case_of_contact"),
        ("check the requester's identity first", "rights.err_identity_first"),
        ("restricted already", "rights.err_restricted_already"),
        ("is not restricted", "rights.err_not_restricted"),
        ("say how and when the recipient was told", "rights.err_note"),
        ("is done already", "rights.err_done_already"),
        ("name at least one field to correct", "rights.err_nothing_to_correct"),
        ("the corrected values are the ones stored already", "rights.err_nothing_to_correct"),
        ("must be one of", "rights.err_choice"),
        ("a legal hold", "rights.err_erase_hold"),
    ];
    match PARTS.iter().find(|(m, _)| msg.contains(m)) {
        Some((_, k)) => tr.t(k).to_string(),
        None => tr.message(msg),
    }
}

pub(super) fn errs(tr: Tr, v: &obhut_core::ValidationErrors, known: &[&str]) -> Errs {
    let mut out = Errs::none();
    for fe in &v.0 {
        let msg = message(tr, &fe.message);
        if known.contains(&fe.field.as_str()) {
            out.add(&fe.field, msg);
        } else {
            out.other.push(msg);
        }
    }
    out
}

/// The contact's name for the headings (read through the gate, like the contact page).
pub(super) async fn contact_name(web: &Web, id: &str) -> Result<(ContactId, String), Response> {
    let Ok(cid) = ContactId::parse(id) else { return Err(web.not_found()) };
    match crate::services::contacts::get(&web.app, web.actor(), cid).await {
        Ok(c) => Ok((cid, super::page::display_name(&c, web.tr()))),
        Err(e) => Err(web.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------
// Restriction (Art. 18)

// ---------------------------------------------------------------------------------------
// Erasure (Art. 17)

// ---------------------------------------------------------------------------------------
// Rectification (Art. 16)

/// `GET /contacts/{id}/rectify`: to the open rectification case of the contact (its form), or
/// to the form that opens one.
pub async fn rectify(web: Web, Path(id): Path<String>) -> PageResult {
    let Ok(cid) = ContactId::parse(&id) else { return Ok(web.not_found()) };
    let cases = dsr_service::list_cases(&web.app, web.actor(), true, 10_000).await.or_fail(&web)?;
    let open = cases.iter().find(|c| c.contact_id == cid.to_string() && c.kind == CaseKind::Rectification.as_str());
    match open {
        Some(c) if c.status == CaseStatus::InProgress.as_str() => Ok(see_other(&format!("/privacy/requests/{}#rectify", c.id))),
        Some(c) => Ok(see_other(&format!("/privacy/requests/{}#verify", c.id))),
        None => Ok(see_other(&format!("/privacy/requests?contact={cid}&kind=rectification#new-case"))),
    }
}

// ---------------------------------------------------------------------------------------
// Recipients (Art. 19)
