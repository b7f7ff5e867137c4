//! Data subject rights beyond access and erasure: restriction of processing (Art. 18),
//! telling the recipients of a contact's data (Art. 19), and rectification through a request
//! case (Art. 16).
//!
//! A restricted contact is only stored. It leaves every list, search, audience and export, and
//! any other processing is refused (and logged as `contact.restricted_refused`), except for
//! those who run data subject rights: the gate decides who that is (whoever may administer the
//! audit trail: by default the DPO and administrators). Lifting a restriction needs the day the
//! person was told of it (Art. 18(3)).

use super::cases::{authorize, case_audit, load_case, require_open, view, CaseView};
use super::recipients::notify_recipients;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use obhut_core::contact::ContactInput;
use obhut_core::dsr::{CaseKind, CaseStatus};
use obhut_core::ids::ContactId;

// ---------------------------------------------------------------------------------------------
// Art. 19: recipients

// ---------------------------------------------------------------------------------------------
// Art. 18: restriction

// ---------------------------------------------------------------------------------------------
// Art. 16: rectification through a case

/// Corrects a contact through its rectification case (Art. 16): the case must be in progress
/// (identity checked). The change goes through the contacts' update (audited with the values
/// before and after, sealed), is recorded on the case, and the recipients get notification
/// tasks (Art. 19), in one transaction. The case can then be completed.
pub async fn rectify(app: &App, actor: &Actor, case_id: &str, patch: ContactInput) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    let c = load_case(app, case_id).await?;
    if c.kind != CaseKind::Rectification.as_str() {
        return Err(ServiceError::Conflict(format!("case {} is a {} request, not a rectification", c.reference, c.kind)));
    }
    if require_open(&c)? != CaseStatus::InProgress {
        return Err(ServiceError::Conflict(format!("case {}: check the requester's identity first", c.reference)));
    }
    if patch == ContactInput::default() {
        return Err(ServiceError::field("", "name at least one field to correct"));
    }
    let id = ContactId::parse(&c.contact_id).map_err(|_| ServiceError::Internal("case contact id".into()))?;
    let prepared =
        super::contacts::prepare_update(app, actor, id, patch, super::contacts::DEFAULT_READ_PURPOSE, super::contacts::Authority::Request)
            .await?;
    if prepared.fields.is_empty() {
        return Err(ServiceError::field("", "the corrected values are the ones stored already"));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    super::contacts::apply_update(app, &mut w.tx, actor, &prepared, None, now).await?;
    obhut_store::dsr::record_rectification(&mut w.tx, &c.id, now, &prepared.fields).await?;
    let names: Vec<&str> = prepared.fields.iter().map(String::as_str).collect();
    w.record(&[case_audit(actor, "dsr.rectify", &c, &names)]);
    notify_recipients(app, &mut w.tx, actor, id, "rectification", Some(&c.id), now).await?;
    w.commit(app).await?;
    view(app, load_case(app, &c.id).await?)
}
