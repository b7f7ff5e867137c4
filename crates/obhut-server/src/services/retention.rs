//! Retention (storage limitation, Art. 5(1)(e) GDPR): the rule catalogue the DPO keeps, legal
//! holds, the daily sweep that applies due rules (erase, anonymize, pseudonymize, restrict),
//! what falls due next (the Wiedervorlage), and resolving pseudonyms, each resolution logged.
//!
//! The sweep walks the contacts in id order in batches; each batch is one transaction with
//! its audit events. A dry run decides the same way and changes nothing.

use super::audit_entry;
use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use crate::gate::Actor;
use obhut_core::ids::{ActivityId, ContactId, TicketId};
use obhut_core::retention::{plan, ContactStep, DataType, Period, Reason, RetentionAction, RetentionRule, SubjectFacts};
use obhut_store::retention::{self as store, Hold, RunCounts, Selection};
use serde::{Deserialize, Serialize};
use time::Date;

/// Contacts decided and changed per transaction.
const BATCH: i64 = 500;

fn today(app: &App) -> Date {
    app.clock.now().date()
}

/// Retention is the DPO's (and administrators') business, like the other rights.
async fn authorize(app: &App, actor: &Actor) -> ServiceResult<()> {
    super::cases::authorize(app, actor).await
}

/// Adds the default rules the catalogue lacks (at start-up).
pub async fn seed_defaults(app: &App, conn: &mut obhut_store::Conn) -> ServiceResult<()> {
    store::seed_rules(conn, &obhut_core::retention::default_rules(), app.now_ms()).await?;
    Ok(())
}

/// The catalogue, one rule per data type.
pub async fn rules(app: &App, actor: &Actor) -> ServiceResult<Vec<RetentionRule>> {
    authorize(app, actor).await?;
    let mut conn = app.conn().await?;
    Ok(store::list_rules(&mut conn).await?)
}

/// A change to one rule; what is left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    /// `6y`, `18m`, `30d`, `2y6m`.
    pub period: Option<String>,
    pub year_end: Option<bool>,
    /// erase, anonymize, pseudonymize or restrict.
    pub action: Option<String>,
    pub purpose: Option<String>,
    pub legal_basis: Option<String>,
    pub legal_reference: Option<String>,
    pub description: Option<String>,
}

fn short_text(field: &str, v: &str, max: usize) -> ServiceResult<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(|c| c.is_control()) {
        return Err(ServiceError::field(field, format!("1 to {max} characters, without control characters")));
    }
    Ok(v.to_string())
}

/// Changes the rule of a data type; the catalogue stays one valid rule per data type, and a
/// legal duty's period cannot be cut short.
pub async fn set_rule(app: &App, actor: &Actor, data_type: &str, change: &RuleChange) -> ServiceResult<RetentionRule> {
    authorize(app, actor).await?;
    let t = DataType::parse(data_type).map_err(|m| ServiceError::field("data_type", m))?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let rules = store::list_rules(&mut w.tx).await?;
    let before = rules.iter().find(|r| r.data_type == t).cloned().ok_or(ServiceError::NotFound("retention rule"))?;
    let mut r = before.clone();
    if let Some(p) = &change.period {
        r.period = Period::parse(p).map_err(|m| ServiceError::field("period", m))?;
    }
    if let Some(y) = change.year_end {
        r.year_end = y;
    }
    if let Some(a) = &change.action {
        r.action = RetentionAction::parse(a).map_err(|m| ServiceError::field("action", m))?;
    }
    if let Some(p) = &change.purpose {
        r.purpose = short_text("purpose", p, 64)?;
        if super::purposes::registry(app).await?.iter().all(|x| x.key != r.purpose) {
            return Err(ServiceError::field("purpose", "not a purpose in the registry"));
        }
    }
    if let Some(v) = &change.legal_basis {
        r.legal_basis = short_text("legal_basis", v, 200)?;
    }
    if let Some(v) = &change.legal_reference {
        r.legal_reference = short_text("legal_reference", v, 300)?;
    }
    if let Some(v) = &change.description {
        r.description = short_text("description", v, 500)?;
    }
    r.check().map_err(|(f, m)| ServiceError::field(f, m))?;
    if r == before {
        return Ok(r);
    }
    store::save_rule(&mut w.tx, &r, &actor.audit_name(), now).await?;
    let fields = vec![
        format!("period={}->{}", before.period, r.period),
        format!("year_end={}->{}", before.year_end, r.year_end),
        format!("action={}->{}", before.action.as_str(), r.action.as_str()),
    ];
    w.record(&[audit_entry(actor, "retention.rule_change", "retention_rule", t.as_str(), None, fields)]);
    w.commit(app).await?;
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// The sweep

/// One record a step handles.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordStep {
    pub id: String,
    pub data_type: DataType,
    pub action: RetentionAction,
    pub why: String,
}

/// What the sweep does (or would do) to one contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub contact_id: String,
    pub data_type: DataType,
    /// erase, anonymize, pseudonymize, restrict, restrict_until, held or records (only records
    /// of the contact fall due).
    pub action: String,
    /// For `restrict_until`: the day the duty that keeps the contact ends; for `held`: the
    /// hold's end, if it has one.
    pub until: Option<String>,
    pub why: String,
    pub reason: Reason,
    pub records: Vec<RecordStep>,
    /// The person asked for erasure: what a duty keeps goes as soon as the duty ends.
    pub erasure_requested: bool,
}

/// The outcome of a sweep or a dry run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SweepReport {
    #[schema(value_type = String)]
    #[serde(with = "obhut_core::retention::day")]
    pub at: Date,
    pub dry_run: bool,
    pub contacts_seen: i64,
    pub counts: RunCounts,
    /// The steps, up to the limit asked for.
    pub steps: Vec<Step>,
    pub steps_total: i64,
    pub run_id: Option<String>,
}

fn step_of(cid: &str, f: &SubjectFacts, p: &obhut_core::retention::Plan) -> Option<Step> {
    let (action, until) = match &p.step {
        ContactStep::Keep if p.items.is_empty() && p.items_held == 0 => return None,
        ContactStep::Keep => ("records".to_string(), None),
        ContactStep::Held { until } => ("held".to_string(), until.map(|d| d.to_string())),
        ContactStep::RestrictUntil(d) => ("restrict_until".to_string(), Some(d.to_string())),
        ContactStep::Apply(a) => (a.as_str().to_string(), None),
    };
    let why = match &p.step {
        ContactStep::Held { .. } => format!("a legal hold postpones it; {}", p.reason.explain()),
        ContactStep::RestrictUntil(d) => {
            let head = if f.erasure_requested { "erasure asked for".to_string() } else { p.reason.explain() };
            format!("{head}; records a legal duty keeps run until {d}: restricted until then, the rest erased")
        }
        ContactStep::Apply(_) if f.erasure_requested => "erasure asked for; no legal duty keeps anything any more".into(),
        ContactStep::Apply(_) => p.reason.explain(),
        ContactStep::Keep if p.items.is_empty() => format!("{} records due but held", p.items_held),
        ContactStep::Keep => "records due under their own rules".into(),
    };
    let records = p
        .items
        .iter()
        .map(|(i, a, r)| RecordStep { id: f.items[*i].id.clone(), data_type: f.items[*i].data_type, action: *a, why: r.explain() })
        .collect();
    Some(Step {
        contact_id: cid.to_string(),
        data_type: p.data_type,
        action,
        until,
        why,
        reason: p.reason.clone(),
        records,
        erasure_requested: f.erasure_requested,
    })
}

/// Runs the sweep as of `at` (today unless given): applies every due rule, or with `dry_run`
/// only says what it would do and why. `limit` caps the steps listed, not the work done.
pub async fn sweep(app: &App, actor: &Actor, at: Option<Date>, dry_run: bool, limit: usize) -> ServiceResult<SweepReport> {
    authorize(app, actor).await?;
    let today = today(app);
    let at = at.unwrap_or(today);
    if !dry_run && at > today {
        return Err(ServiceError::field("at", "a sweep that changes data runs as of today or earlier; look ahead with a dry run"));
    }
    let rules = {
        let mut conn = app.conn().await?;
        store::list_rules(&mut conn).await?
    };
    obhut_core::retention::check_catalogue(&rules)
        .map_err(|m| ServiceError::Conflict(format!("the retention catalogue is incomplete: {m}")))?;
    let started = app.now_ms();
    let mut report =
        SweepReport { at, dry_run, contacts_seen: 0, counts: RunCounts::default(), steps: Vec::new(), steps_total: 0, run_id: None };
    let mut after = String::new();
    loop {
        // A dry run reads a snapshot and leaves the writers alone.
        let mut tx = if dry_run { app.store.begin().await? } else { app.begin_write().await? };
        let batch = store::load_facts(&mut tx, Selection::After(&after, BATCH), at).await?;
        let Some(last) = batch.last().map(|b| b.0.clone()) else { break };
        report.contacts_seen += batch.len() as i64;
        let mut applied = Applied::default();
        for (cid, f) in &batch {
            let Some(p) = plan(&rules, f, at) else { continue };
            let Some(step) = step_of(cid, f, &p) else { continue };
            count(&mut report.counts, &step, p.items_held);
            report.steps_total += 1;
            if !dry_run {
                apply(app, actor, &mut tx, &step, None, &mut applied).await?;
            }
            if report.steps.len() < limit {
                report.steps.push(step);
            }
        }
        if !applied.audit.is_empty() {
            let now = app.now_ms();
            for chunk in applied.audit.chunks(1000) {
                obhut_store::audit::append(&mut tx, &app.store.crypto, now, chunk).await?;
            }
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
            applied.finish(app).await?;
        }
        after = last;
    }
    if !dry_run {
        let id = uuid::Uuid::now_v7().to_string();
        let finished = app.now_ms();
        let mut tx = app.begin_write().await?;
        store::insert_run(&mut tx, &id, at, &actor.audit_name(), started, finished, &report.counts).await?;
        let c = &report.counts;
        let fields = vec![
            format!("at={at}"),
            format!("contacts_erased={}", c.contacts_erased),
            format!("contacts_anonymized={}", c.contacts_anonymized),
            format!("contacts_pseudonymized={}", c.contacts_pseudonymized),
            format!("contacts_restricted={}", c.contacts_restricted),
            format!("records_erased={}", c.records_erased),
            format!("records_anonymized={}", c.records_anonymized),
            format!("held={}", c.held),
        ];
        obhut_store::audit::append(
            &mut tx,
            &app.store.crypto,
            finished,
            &[audit_entry(actor, "retention.run", "retention_run", &id, None, fields)],
        )
        .await?;
        tx.commit().await?;
        if c.contacts_erased + c.contacts_anonymized + c.records_erased > 0 {
            app.store.checkpoint().await?;
        }
        report.run_id = Some(id);
    }
    Ok(report)
}

fn count(c: &mut RunCounts, s: &Step, items_held: usize) {
    match s.action.as_str() {
        "erase" => c.contacts_erased += 1,
        "anonymize" => c.contacts_anonymized += 1,
        "pseudonymize" => c.contacts_pseudonymized += 1,
        "restrict" | "restrict_until" => c.contacts_restricted += 1,
        "held" => c.held += 1,
        _ => {}
    }
    if items_held > 0 && s.action != "held" {
        c.held += 1;
    }
    for r in &s.records {
        match r.action {
            RetentionAction::Anonymize => c.records_anonymized += 1,
            _ => c.records_erased += 1,
        }
    }
}

/// What a batch leaves to do after its commit: audit events to write with it, erasures to
/// journal and delivered mails to delete.
#[derive(Default)]
struct Applied {
    audit: Vec<obhut_store::audit::AuditEntry>,
    erased: Vec<(String, i64)>,
    message_ids: Vec<String>,
    /// Recipients' notification tasks created (Art. 19).
    notices: usize,
}

impl Applied {
    async fn finish(self, app: &App) -> ServiceResult<()> {
        if !self.erased.is_empty() {
            super::tombstones::append_journal_many(&app.config.data_dir, &self.erased)
                .map_err(|e| ServiceError::Internal(format!("writing the erasure journal: {e}")))?;
        }
        if !self.message_ids.is_empty() {
            super::mail::delete_delivered(&app.config, &self.message_ids)
                .await
                .map_err(|e| ServiceError::Internal(format!("deleting delivered mail: {e}")))?;
        }
        Ok(())
    }
}

/// Applies one step inside the caller's transaction.
async fn apply(app: &App, actor: &Actor, tx: &mut obhut_store::Conn, s: &Step, case: Option<&str>, out: &mut Applied) -> ServiceResult<()> {
    let crypto = &app.store.crypto;
    let now = app.now_ms();
    let cid = ContactId::parse(&s.contact_id).map_err(|_| ServiceError::Internal("bad contact id".into()))?;
    let subject = Some(s.contact_id.clone());
    // Records first: a contact that stays keeps only what no rule ends.
    let mut orders = Vec::new();
    for r in &s.records {
        match (r.data_type, r.action) {
            (DataType::ActivityOrder, RetentionAction::Anonymize) => orders.push(r.id.clone()),
            (DataType::Ticket, _) => {
                let id = TicketId::parse(&r.id).map_err(|_| ServiceError::Internal("bad ticket id".into()))?;
                obhut_store::tickets::delete_ticket(tx, id).await?;
            }
            _ => {
                let id = ActivityId::parse(&r.id).map_err(|_| ServiceError::Internal("bad activity id".into()))?;
                obhut_store::activities::delete_activity(tx, id).await?;
            }
        }
        let (action, record_type) = match r.action {
            RetentionAction::Anonymize => ("retention.anonymize", "activity"),
            _ => ("retention.erase", if r.data_type == DataType::Ticket { "ticket" } else { "activity" }),
        };
        out.audit.push(audit_entry(actor, action, record_type, &r.id, subject.clone(), vec![format!("rule={}", r.data_type.as_str())]));
    }
    store::anonymize_orders(tx, None, &orders, now).await?;
    let rule = format!("rule={}", s.data_type.as_str());
    match s.action.as_str() {
        "erase" | "anonymize" => {
            if s.action == "anonymize" {
                store::anonymize_orders(tx, Some(&s.contact_id), &[], now).await?;
            }
            let why = format!("retention: {}", s.why);
            let erased = obhut_store::erasure::erase_contact(tx, crypto, cid, now, &actor.audit_name(), case, &why).await?;
            if let Some(e) = erased {
                store::forget(tx, &s.contact_id).await?;
                out.erased.push((s.contact_id.clone(), now));
                out.message_ids.extend(e.message_ids);
                let mut entry =
                    audit_entry(actor, &format!("retention.{}", s.action), "contact", &s.contact_id, subject, vec!["*".into(), rule]);
                entry.purpose = Some("storage_limitation".into());
                out.audit.push(entry);
            }
        }
        "pseudonymize" => {
            let Some(c) = obhut_store::contacts::find_contact(tx, crypto, cid).await? else { return Ok(()) };
            let token = crypto.pseudonym(&s.contact_id);
            let plain = serde_json::to_vec(&c.personal).map_err(|e| ServiceError::Internal(e.to_string()))?;
            store::insert_pseudonym(tx, crypto, &token, &s.contact_id, &plain, now).await?;
            let mut draft = c.draft();
            draft.personal = obhut_core::contact::ContactPersonal {
                family_name: Some(token.clone()),
                collected_for: c.personal.collected_for.clone(),
                ..Default::default()
            };
            obhut_store::contacts::update_contact(tx, crypto, cid, &draft, c.version, now).await?;
            out.audit.push(audit_entry(actor, "retention.pseudonymize", "contact", &s.contact_id, subject, vec!["personal".into(), rule]));
        }
        "restrict" | "restrict_until" => {
            let until = s.until.as_deref().map(|u| Date::parse(u, &time::format_description::well_known::Iso8601::DATE)).transpose();
            let until = until.map_err(|_| ServiceError::Internal("bad date".into()))?;
            store::restrict_until(tx, &s.contact_id, until, s.erasure_requested, case, now).await?;
            // The restriction as the rest of the house knows it (who, why, until), and the
            // recipients told (Art. 19).
            let why = format!("retention: {}", s.why);
            out.notices += super::restriction::restrict_within(app, tx, actor, cid, &why, until, None, now).await?;
            let mut fields = vec!["restricted_at".into(), rule];
            if let Some(u) = &s.until {
                fields.push(format!("until={u}"));
            }
            out.audit.push(audit_entry(actor, "retention.restrict", "contact", &s.contact_id, subject, fields));
        }
        _ => {}
    }
    Ok(())
}

/// What an erasure request leaves, when retention answers it: `None` when the contact can be
/// erased outright; otherwise the records a duty keeps were kept, the rest erased, and the
/// contact restricted until the day returned (Art. 17(3)(b)). A legal hold refuses the
/// erasure. Runs inside the erasure's transaction.
pub(crate) async fn before_erasure(
    app: &App,
    actor: &Actor,
    tx: &mut obhut_store::Conn,
    contact_id: &str,
    case: Option<&str>,
) -> ServiceResult<Option<(Date, Vec<String>, Vec<obhut_store::audit::AuditEntry>, usize)>> {
    let today = today(app);
    let holds = store::list_holds(tx, &app.store.crypto, Some(contact_id), Some(today)).await?;
    if let Some(h) = holds.first() {
        let until = h.until_on.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
        return Err(ServiceError::Conflict(format!(
            "a legal hold ({}, placed {}{until}) keeps this contact: release it before erasing",
            h.id,
            store::day_of(h.placed_at)
        )));
    }
    let rules = store::list_rules(tx).await?;
    let Some((_, mut f)) = store::load_facts(tx, Selection::One(contact_id), today).await?.pop() else { return Ok(None) };
    f.erasure_requested = true;
    let Some(p) = plan(&rules, &f, today) else { return Ok(None) };
    let ContactStep::RestrictUntil(until) = p.step else { return Ok(None) };
    let Some(step) = step_of(contact_id, &f, &p) else { return Ok(None) };
    let mut applied = Applied::default();
    apply(app, actor, tx, &step, case, &mut applied).await?;
    let kept: Vec<String> = f
        .items
        .iter()
        .filter(|it| !step.records.iter().any(|r| r.id == it.id))
        .map(|it| format!("{} {}", it.data_type.as_str(), it.id))
        .collect();
    Ok(Some((until, kept, applied.audit, applied.notices)))
}

// ---------------------------------------------------------------------------------------------
// Wiedervorlage: what falls due next

/// One contact whose next retention date lies ahead.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueEntry {
    pub contact_id: String,
    pub data_type: DataType,
    #[schema(value_type = String)]
    #[serde(with = "obhut_core::retention::day")]
    pub due_on: Date,
    /// What happens then (erase, anonymize, …, or `records` when only records fall due).
    pub action: String,
    pub why: String,
}

/// What falls due in the next `days` days, soonest first (at most `limit`), with the count of
/// all of them.
pub async fn due_next(app: &App, actor: &Actor, days: i64, limit: usize) -> ServiceResult<(Vec<DueEntry>, i64)> {
    authorize(app, actor).await?;
    if !(1..=3660).contains(&days) {
        return Err(ServiceError::field("days", "1 to 3660 days"));
    }
    let today = today(app);
    let horizon = today + time::Duration::days(days);
    let mut conn = app.conn().await?;
    let rules = store::list_rules(&mut conn).await?;
    let mut out: Vec<DueEntry> = Vec::new();
    let mut total = 0i64;
    let mut after = String::new();
    loop {
        let batch = store::load_facts(&mut conn, Selection::After(&after, 2000), today).await?;
        let Some(last) = batch.last().map(|b| b.0.clone()) else { break };
        for (cid, f) in &batch {
            let Some(p) = plan(&rules, f, today) else { continue };
            let Some(due) = p.next_due.filter(|d| *d > today && *d <= horizon) else { continue };
            total += 1;
            // What the plan on that day will be.
            let later = plan(&rules, f, due);
            let (action, why) = match later.as_ref().and_then(|l| step_of(cid, f, l)) {
                Some(s) => (s.action, s.why),
                None => ("records".into(), p.reason.explain()),
            };
            out.push(DueEntry { contact_id: cid.clone(), data_type: p.data_type, due_on: due, action, why });
            if out.len() > limit * 2 {
                out.sort_by_key(|e| (e.due_on, e.contact_id.clone()));
                out.truncate(limit);
            }
        }
        after = last;
    }
    out.sort_by_key(|e| (e.due_on, e.contact_id.clone()));
    out.truncate(limit);
    Ok((out, total))
}

// ---------------------------------------------------------------------------------------------
// Legal holds

/// A hold as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    pub id: String,
    pub contact_id: String,
    pub reason: String,
    pub until: Option<String>,
    pub placed_by: String,
    pub placed_at: i64,
    pub released_at: Option<i64>,
    pub released_by: Option<String>,
    pub in_force: bool,
}

fn hold_view(h: Hold, today: Date) -> ServiceResult<HoldView> {
    let in_force = store::in_force(&h, today)?;
    Ok(HoldView {
        id: h.id,
        contact_id: h.contact_id,
        reason: h.reason,
        until: h.until_on,
        placed_by: h.placed_by,
        placed_at: h.placed_at,
        released_at: h.released_at,
        released_by: h.released_by,
        in_force,
    })
}

/// Places a legal hold on a contact (a dispute, an authority's order, litigation): every
/// retention rule of the contact waits, and its erasure is refused, until it is released or
/// its end date passes.
pub async fn place_hold(app: &App, actor: &Actor, contact_id: &str, reason: &str, until: Option<&str>) -> ServiceResult<HoldView> {
    authorize(app, actor).await?;
    let id = ContactId::parse(contact_id.trim()).map_err(|_| ServiceError::field("contact_id", "not a contact id"))?.to_string();
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field("reason", "say why the data must be kept (1 to 500 characters)"));
    }
    let today = today(app);
    let until = match until.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => {
            let d = Date::parse(u, &time::format_description::well_known::Iso8601::DATE)
                .map_err(|_| ServiceError::field("until", "a date as YYYY-MM-DD"))?;
            if d < today {
                return Err(ServiceError::field("until", "the end of a hold cannot lie in the past"));
            }
            Some(d.to_string())
        }
        None => None,
    };
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if obhut_store::erasure::find(&mut w.tx, &app.store.crypto, &id).await?.is_some() {
        return Err(ServiceError::Gone("the contact was erased; there is nothing left to hold".into()));
    }
    if !obhut_store::contacts::contact_exists(&mut w.tx, &id).await? {
        return Err(ServiceError::NotFound("contact"));
    }
    let h = Hold {
        id: uuid::Uuid::now_v7().to_string(),
        contact_id: id.clone(),
        reason: reason.to_string(),
        until_on: until.clone(),
        placed_by: actor.audit_name(),
        placed_at: now,
        released_at: None,
        released_by: None,
    };
    store::insert_hold(&mut w.tx, &app.store.crypto, &h).await?;
    let mut fields = vec!["reason".to_string()];
    if let Some(u) = &until {
        fields.push(format!("until={u}"));
    }
    w.record(&[audit_entry(actor, "retention.hold", "legal_hold", &h.id, Some(id), fields)]);
    w.commit(app).await?;
    hold_view(h, today)
}

/// Releases a hold: the rules it postponed apply at the next sweep.
pub async fn release_hold(app: &App, actor: &Actor, hold_id: &str) -> ServiceResult<HoldView> {
    authorize(app, actor).await?;
    let hold_id = uuid::Uuid::parse_str(hold_id.trim()).map_err(|_| ServiceError::NotFound("legal hold"))?.to_string();
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let h = store::find_hold(&mut w.tx, &app.store.crypto, &hold_id).await?.ok_or(ServiceError::NotFound("legal hold"))?;
    if !store::release_hold(&mut w.tx, &hold_id, &actor.audit_name(), now).await? {
        return Err(ServiceError::Conflict("the hold was already released".into()));
    }
    w.record(&[audit_entry(
        actor,
        "retention.hold_release",
        "legal_hold",
        &hold_id,
        Some(h.contact_id.clone()),
        vec!["released_at".into()],
    )]);
    w.commit(app).await?;
    let h = Hold { released_at: Some(now), released_by: Some(actor.audit_name()), ..h };
    hold_view(h, today(app))
}

/// Holds: of one contact, or all those in force.
pub async fn holds(app: &App, actor: &Actor, contact_id: Option<&str>) -> ServiceResult<Vec<HoldView>> {
    authorize(app, actor).await?;
    let today = today(app);
    let mut conn = app.conn().await?;
    let list = store::list_holds(&mut conn, &app.store.crypto, contact_id, if contact_id.is_some() { None } else { Some(today) }).await?;
    list.into_iter().map(|h| hold_view(h, today)).collect()
}

// ---------------------------------------------------------------------------------------------
// Pseudonyms

/// What a pseudonym stands for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resolved {
    pub token: String,
    pub contact_id: String,
    /// The identifiers the pseudonym replaced.
    #[schema(value_type = Object)]
    pub personal: serde_json::Value,
}

/// Resolves a pseudonym for the DPO; each resolution is logged with its reason.
pub async fn resolve(app: &App, actor: &Actor, token: &str, reason: &str) -> ServiceResult<Resolved> {
    authorize(app, actor).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(|c| c.is_control()) {
        return Err(ServiceError::field("reason", "say why the pseudonym is resolved (1 to 500 characters)"));
    }
    let token = token.trim();
    let mut tx = app.begin_write().await?;
    let (cid, plain) = store::resolve_pseudonym(&mut tx, &app.store.crypto, token).await?.ok_or(ServiceError::NotFound("pseudonym"))?;
    let personal: serde_json::Value = serde_json::from_slice(&plain).map_err(|_| ServiceError::Internal("pseudonym vault".into()))?;
    let mut entry = audit_entry(actor, "pseudonym.resolve", "pseudonym", token, Some(cid.clone()), vec!["personal".into()]);
    // The reason travels sealed under the person's key, like every detail about them.
    if let Some(key) = obhut_store::consent::contact_key(&mut tx, &app.store.crypto, &cid).await? {
        entry.detail = Some(obhut_store::audit::seal_detail(&key, &cid, &serde_json::json!({ "reason": reason })));
    }
    obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[entry]).await?;
    tx.commit().await?;
    Ok(Resolved { token: token.to_string(), contact_id: cid, personal })
}

/// Runs the sweep once a day (called by the server's housekeeping): `Ok(None)` when today's
/// sweep already ran.
pub async fn daily(app: &App) -> ServiceResult<Option<SweepReport>> {
    let today = today(app);
    {
        let mut conn = app.conn().await?;
        if store::last_run_on(&mut conn).await?.as_deref() == Some(today.to_string().as_str()) {
            return Ok(None);
        }
    }
    sweep(app, &Actor::job("retention"), None, false, 0).await.map(Some)
}
