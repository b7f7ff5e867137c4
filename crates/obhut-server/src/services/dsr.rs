//! Data subject rights: erasure (Art. 17) by crypto-shredding, with a journal of erasures
//! kept beside the database so that restoring an older backup erases again.
//!
//! Requests are run by whoever administers the audit trail: the DPO and administrators.

use super::cases::{authorize, case_audit, load_case, parse_date, require_open, stored_date, text, today, view, CaseView};
use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use crate::gate::Actor;
use obhut_core::ids::ContactId;
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Request cases

use obhut_core::dsr::{CaseKind, CaseStatus, IdentityCheck, ReceivedVia};
use obhut_store::dsr::Case;

/// A new request.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub contact_id: String,
    /// access, rectification, erasure, restriction, portability, objection, withdrawal.
    pub kind: String,
    /// YYYY-MM-DD; default today.
    #[serde(default)]
    pub received_on: Option<String>,
    /// email, letter, phone, web_form, in_person.
    pub received_via: String,
    /// known_identity (with `identity_evidence`), email_code or manual (with `identity_note`).
    #[serde(default)]
    pub identity_check: Option<String>,
    /// For known_identity: the email address or phone number the request came from.
    #[serde(default)]
    pub identity_evidence: Option<String>,
    #[serde(default)]
    pub identity_note: Option<String>,
}

/// Checks the requester's identity against what the contact is known by.
fn check_identity(
    record: &obhut_store::contacts::ContactRecord,
    check: IdentityCheck,
    evidence: Option<&str>,
    note: Option<&str>,
) -> ServiceResult<()> {
    match check {
        IdentityCheck::KnownIdentity => {
            let e = evidence
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .ok_or_else(|| ServiceError::field("identity_evidence", "give the email address or phone number the request came from"))?;
            let by_email = obhut_core::email::EmailAddress::parse(e)
                .map(|a| record.personal.emails.iter().any(|m| m.address.normalized() == a.normalized()))
                .unwrap_or(false);
            let by_phone = obhut_core::phone::PhoneNumber::parse(e)
                .map(|p| record.personal.phones.iter().any(|m| m.number.as_str() == p.as_str()))
                .unwrap_or(false);
            if !(by_email || by_phone) {
                return Err(ServiceError::field(
                    "identity_evidence",
                    "this address or number is not one the contact is known by: check the identity another way",
                ));
            }
        }
        // The code itself is checked against the one sent (see `check_code`).
        IdentityCheck::EmailCode => {}
        IdentityCheck::Manual => {
            if note.map(str::trim).is_none_or(str::is_empty) {
                return Err(ServiceError::field("identity_note", "say how the identity was checked"));
            }
        }
    }
    Ok(())
}

/// Opens a case for a request: its deadline is set by Art. 12(3) and cannot be moved except
/// by one extension.
pub async fn open_case(app: &App, actor: &Actor, input: &NewCase) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    let kind = CaseKind::parse(&input.kind).map_err(|m| ServiceError::field("kind", m))?;
    let via = ReceivedVia::parse(&input.received_via).map_err(|m| ServiceError::field("received_via", m))?;
    let received = match input.received_on.as_deref() {
        Some(d) => parse_date("received_on", d)?,
        None => today(app),
    };
    if received > today(app) {
        return Err(ServiceError::field("received_on", "a request cannot be received in the future"));
    }
    let check =
        input.identity_check.as_deref().map(IdentityCheck::parse).transpose().map_err(|m| ServiceError::field("identity_check", m))?;
    let note = text("identity_note", input.identity_note.as_deref(), None)?;
    let id = ContactId::parse(input.contact_id.trim()).map_err(|_| ServiceError::field("contact_id", "not a contact id"))?;
    let record = match super::contacts::load(app, id).await {
        Err(ServiceError::NotFound(_)) => return Err(ServiceError::field("contact_id", "no such contact")),
        Err(ServiceError::Gone(m)) => return Err(ServiceError::Conflict(format!("{m}: there is nothing left to ask about"))),
        other => other?,
    };
    if let Some(check) = check {
        if check == IdentityCheck::EmailCode {
            return Err(ServiceError::field(
                "identity_check",
                "a code is sent once the case is open: open it without the check, then send the code",
            ));
        }
        check_identity(&record, check, input.identity_evidence.as_deref(), note.as_deref())?;
    }
    let sid = id.to_string();
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if let Some(r) = obhut_store::dsr::open_case(&mut w.tx, &sid, kind.as_str()).await? {
        return Err(ServiceError::Conflict(format!("case {r} of this kind is already open for this contact")));
    }
    let due = obhut_core::dsr::due_date(received).to_string();
    let case = Case {
        id: uuid::Uuid::now_v7().to_string(),
        reference: obhut_store::dsr::next_reference(&mut w.tx, today(app).year()).await?,
        kind: kind.as_str().into(),
        contact_id: sid,
        received_on: received.to_string(),
        received_via: via.as_str().into(),
        due_on: due.clone(),
        first_due_on: due,
        extended_at: None,
        extension_reason: None,
        person_informed_on: None,
        identity_check: check.map(|c| c.as_str().to_string()),
        identity_note: note,
        identity_checked_at: check.map(|_| now),
        status: if check.is_some() { CaseStatus::InProgress } else { CaseStatus::Received }.as_str().into(),
        closing_reason: None,
        closed_at: None,
        reminded: None,
        created_by: actor.audit_name(),
        created_at: now,
        updated_at: now,
        rectified_at: None,
        rectified_fields: Vec::new(),
    };
    obhut_store::dsr::insert(&mut w.tx, &app.store.crypto, &case).await?;
    w.record(&[case_audit(actor, "dsr.open", &case, &["kind", "received_on", "due_on"])]);
    w.commit(app).await?;
    view(app, case)
}

/// One case by id or reference.
pub async fn get_case(app: &App, actor: &Actor, id: &str) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    view(app, load_case(app, id).await?)
}

/// Cases by due date, open first (the DPO's cockpit).
pub async fn list_cases(app: &App, actor: &Actor, open_only: bool, limit: i64) -> ServiceResult<Vec<CaseView>> {
    authorize(app, actor).await?;
    let mut conn = app.conn().await?;
    obhut_store::dsr::list(&mut conn, &app.store.crypto, open_only, limit.clamp(1, 10_000))
        .await?
        .into_iter()
        .map(|c| view(app, c))
        .collect()
}

async fn save(app: &App, actor: &Actor, c: &Case, action: &str, fields: &[&str]) -> ServiceResult<()> {
    let mut tx = app.begin_write().await?;
    obhut_store::dsr::update(&mut tx, &app.store.crypto, c).await?;
    obhut_store::audit::append(&mut tx, &app.store.crypto, c.updated_at, &[case_audit(actor, action, c, fields)]).await?;
    tx.commit().await?;
    Ok(())
}

/// How long an identity code holds, and how many wrong tries it takes.
const CODE_VALID_MS: i64 = 30 * 60 * 1000;
const CODE_ATTEMPTS: i64 = 5;

fn code_hash(app: &App, case_id: &str, code: &str) -> Vec<u8> {
    app.store.crypto.blind("dsr-identity-code", &format!("{case_id}:{code}")).to_vec()
}

/// Where an identity code went, shown without the whole address.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    /// `e***@example.org`.
    pub sent_to: String,
    /// Milliseconds since 1970.
    pub expires_at: i64,
}

/// Sends the requester a six-digit code at an address the contact is known by (the first one,
/// or `address` if it is one of them), for the identity check `email_code` (Art. 12(6)). A new
/// code replaces an earlier one; it holds 30 minutes and five tries.
pub async fn send_identity_code(app: &App, actor: &Actor, id: &str, address: Option<&str>) -> ServiceResult<CodeSent> {
    use rand::Rng;
    authorize(app, actor).await?;
    let c = load_case(app, id).await?;
    if require_open(&c)? != CaseStatus::Received {
        return Err(ServiceError::Conflict(format!("case {}: the identity is checked already", c.reference)));
    }
    let cid = ContactId::parse(&c.contact_id).map_err(|_| ServiceError::Internal("case contact id".into()))?;
    let record = super::contacts::load(app, cid).await?;
    let to = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => {
            let a = obhut_core::email::EmailAddress::parse(a).map_err(|m| ServiceError::field("address", m))?;
            record
                .personal
                .emails
                .iter()
                .find(|e| e.address.normalized() == a.normalized())
                .ok_or_else(|| ServiceError::field("address", "this address is not one the contact is known by"))?
                .address
                .as_str()
                .to_string()
        }
        None => record
            .personal
            .emails
            .first()
            .ok_or_else(|| ServiceError::field("identity_check", "the contact has no email address: check the identity another way"))?
            .address
            .as_str()
            .to_string(),
    };
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32));
    let now = app.now_ms();
    let expires_at = now + CODE_VALID_MS;
    let german = record.language.as_deref().is_none_or(|l| l.starts_with("de"));
    let (subject, text) = if german {
        (
            format!("Ihr Bestätigungscode zu Ihrer Anfrage {}", c.reference),
            format!(
                "Guten Tag,\n\nzur Bearbeitung Ihrer Anfrage {} nach der DSGVO prüfen wir, dass sie von Ihnen stammt. \
                 Ihr Bestätigungscode lautet:\n\n    {code}\n\nBitte nennen Sie ihn uns innerhalb von 30 Minuten. \
                 Haben Sie keine Anfrage gestellt, beachten Sie diese Nachricht bitte nicht.\n",
                c.reference
            ),
        )
    } else {
        (
            format!("Your confirmation code for your request {}", c.reference),
            format!(
                "Hello,\n\nto handle your request {} under the GDPR we check that it comes from you. \
                 Your confirmation code is:\n\n    {code}\n\nPlease tell it to us within 30 minutes. \
                 If you made no request, please ignore this message.\n",
                c.reference
            ),
        )
    };
    let html = format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;").replace("\n\n", "</p><p>").replace('\n', "<br>"));
    let from = super::mail::sender(app).await;
    let outbox_id = uuid::Uuid::now_v7().to_string();
    let name = record.personal.display_name();
    let compose = super::mail::Compose {
        to_name: (!name.is_empty()).then_some(name.as_str()),
        to: &to,
        subject: &subject,
        text,
        html,
        language: if german { "de" } else { "en" },
        unsubscribe: None,
    };
    let (message_id, queued) = super::mail::compose(&from, &outbox_id, &compose)?;
    let mut w = app.audited(now).await?;
    obhut_store::dsr::put_identity_code(&mut w.tx, &c.id, &code_hash(app, &c.id, &code), expires_at, now).await?;
    obhut_store::consent::enqueue(
        &mut w.tx,
        &app.store.crypto,
        &outbox_id,
        "dsr_identity_code",
        Some(&c.contact_id),
        &message_id,
        &queued,
        now,
    )
    .await?;
    w.record(&[case_audit(actor, "dsr.identity_code_sent", &c, &["identity_check"])]);
    w.commit(app).await?;
    app.outbox_wake.notify_one();
    let (user, domain) = to.split_once('@').unwrap_or((to.as_str(), ""));
    let sent_to = format!("{}***@{domain}", user.chars().next().unwrap_or('*'));
    Ok(CodeSent { sent_to, expires_at })
}

/// Checks the code the requester gave (in `evidence`) against the one sent; a wrong code
/// counts, and after five the code is void.
async fn check_code(app: &App, c: &Case, evidence: Option<&str>) -> ServiceResult<()> {
    let given: String = evidence.unwrap_or_default().chars().filter(|ch| !ch.is_whitespace()).collect();
    if given.is_empty() {
        return Err(ServiceError::field("identity_evidence", "give the code the requester received"));
    }
    let mut tx = app.begin_write().await?;
    let Some((hash, expires_at, attempts)) = obhut_store::dsr::identity_code(&mut tx, &c.id).await? else {
        return Err(ServiceError::field("identity_evidence", "no code was sent for this case: send one first"));
    };
    if expires_at < app.now_ms() {
        return Err(ServiceError::field("identity_evidence", "the code has expired: send a new one"));
    }
    if attempts >= CODE_ATTEMPTS {
        return Err(ServiceError::field("identity_evidence", "too many wrong codes: send a new one"));
    }
    // Five tries of a million codes: a timing side channel would tell nothing worth having.
    if hash != code_hash(app, &c.id, &given) {
        obhut_store::dsr::count_code_attempt(&mut tx, &c.id).await?;
        tx.commit().await?;
        return Err(ServiceError::field("identity_evidence", "the code is not the one sent"));
    }
    obhut_store::dsr::delete_identity_code(&mut tx, &c.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Records how the requester's identity was checked; the case moves on to in progress.
pub async fn verify_identity(
    app: &App,
    actor: &Actor,
    id: &str,
    check: &str,
    evidence: Option<&str>,
    note: Option<&str>,
) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    let mut c = load_case(app, id).await?;
    require_open(&c)?;
    let check = IdentityCheck::parse(check).map_err(|m| ServiceError::field("identity_check", m))?;
    let note = text("identity_note", note, None)?;
    let cid = ContactId::parse(&c.contact_id).map_err(|_| ServiceError::Internal("case contact id".into()))?;
    let record = super::contacts::load(app, cid).await?;
    check_identity(&record, check, evidence, note.as_deref())?;
    if check == IdentityCheck::EmailCode {
        check_code(app, &c, evidence).await?;
    }
    let now = app.now_ms();
    c.identity_check = Some(check.as_str().into());
    c.identity_note = note;
    c.identity_checked_at = Some(now);
    c.status = CaseStatus::InProgress.as_str().into();
    c.updated_at = now;
    save(app, actor, &c, "dsr.identity_checked", &["identity_check"]).await?;
    view(app, c)
}

/// Extends the deadline once, by up to two further months (Art. 12(3)): with the reason, and
/// only before the first deadline, the person told of it on `informed_on`. Without `new_due`
/// the latest permitted date is taken.
pub async fn extend(app: &App, actor: &Actor, id: &str, reason: &str, informed_on: &str, new_due: Option<&str>) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    let mut c = load_case(app, id).await?;
    require_open(&c)?;
    let reason = text("reason", Some(reason), Some("say why the request needs more time (its complexity or number)"))?;
    let informed = parse_date("informed_on", informed_on)?;
    let received = stored_date(&c.received_on)?;
    let due = stored_date(&c.due_on)?;
    let new_due = match new_due {
        Some(d) => parse_date("new_due", d)?,
        None => obhut_core::dsr::latest_extension(received),
    };
    let now_day = today(app);
    obhut_core::dsr::check_extension(received, due, c.extended_at.is_some(), now_day, new_due).map_err(|m| {
        if now_day > due || c.extended_at.is_some() {
            ServiceError::Conflict(m)
        } else {
            ServiceError::field("new_due", m)
        }
    })?;
    if informed > now_day || informed > due || informed < received {
        return Err(ServiceError::field(
            "informed_on",
            format!("the person must be told between the receipt and the deadline ({received} – {due}), not later than today"),
        ));
    }
    let now = app.now_ms();
    c.due_on = new_due.to_string();
    c.extended_at = Some(now);
    c.extension_reason = reason;
    c.person_informed_on = Some(informed.to_string());
    c.reminded = None;
    c.updated_at = now;
    save(app, actor, &c, "dsr.extend", &["due_on", "extension_reason", "person_informed_on"]).await?;
    view(app, c)
}

/// Closes a case: completed (the identity must have been checked), rejected (with the reason;
/// the person is told of the right to complain to a supervisory authority, Art. 77) or
/// cancelled (with the reason).
pub async fn close_case(app: &App, actor: &Actor, id: &str, status: &str, reason: Option<&str>) -> ServiceResult<CaseView> {
    authorize(app, actor).await?;
    let mut c = load_case(app, id).await?;
    let current = require_open(&c)?;
    let status = CaseStatus::parse(status).map_err(|m| ServiceError::field("status", m))?;
    let reason = match status {
        CaseStatus::Completed => {
            if current != CaseStatus::InProgress {
                return Err(ServiceError::Conflict(format!(
                    "case {} cannot be completed before the requester's identity is checked",
                    c.reference
                )));
            }
            text("reason", reason, None)?
        }
        CaseStatus::Rejected => text("reason", reason, Some("say why the request is refused; the person is told of the right to complain (Art. 77)"))?
            .map(|r| format!("{r}\n— The person was told of the right to lodge a complaint with a supervisory authority (Art. 77 GDPR) and to seek a judicial remedy (Art. 79).")),
        CaseStatus::Cancelled => text("reason", reason, Some("say why the case is cancelled"))?,
        _ => return Err(ServiceError::field("status", "close as completed, rejected or cancelled")),
    };
    let now = app.now_ms();
    c.status = status.as_str().into();
    c.closing_reason = reason;
    c.closed_at = Some(now);
    c.updated_at = now;
    save(app, actor, &c, "dsr.close", &["status"]).await?;
    view(app, c)
}

/// The daily look at deadlines: an open case within seven days of its deadline raises a
/// reminder, a case past it is flagged overdue; each once, in the audit trail. Returns the
/// numbers raised.
pub async fn remind(app: &App) -> ServiceResult<(usize, usize)> {
    let mut conn = app.conn().await?;
    let open = obhut_store::dsr::list(&mut conn, &app.store.crypto, true, 100_000).await?;
    drop(conn);
    let now_day = today(app);
    let (mut soon, mut overdue) = (0, 0);
    let job = Actor::job("dsr-deadlines");
    for mut c in open {
        let due = stored_date(&c.due_on)?;
        let stage = if now_day > due {
            "overdue"
        } else if (due - now_day).whole_days() <= 7 {
            "due_soon"
        } else {
            continue;
        };
        if c.reminded.as_deref() == Some(stage) {
            continue;
        }
        c.reminded = Some(stage.into());
        c.updated_at = app.now_ms();
        save(app, &job, &c, &format!("dsr.{stage}"), &["due_on"]).await?;
        if stage == "overdue" {
            overdue += 1;
        } else {
            soon += 1;
        }
    }
    Ok((soon, overdue))
}
