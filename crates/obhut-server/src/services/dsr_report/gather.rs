//! Gathering the Art. 15 report from the records: who may ask for it (the gate), the
//! holdings of the person, purposes and legal bases, recipients, sources and rights.

use super::model::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use crate::services::audit_entry;
use obhut_core::fields::{contact_fields_present, covers, field};
use obhut_core::ids::ContactId;
use obhut_core::purpose::Purpose;
use obhut_store::activities::{ActivityOwner, ActivityRecord};
use obhut_store::contacts::ContactRecord;
use obhut_store::deals::{DealFilter, DealRecord};
use obhut_store::tickets::{TicketFilter, TicketRecord};
use std::collections::{BTreeMap, HashMap};

/// Pages through a store list until a short page.
macro_rules! all_pages {
    ($page:ident => $fetch:expr) => {{
        let mut out = Vec::new();
        let mut $page: i64 = 0;
        loop {
            let batch = $fetch;
            let n = batch.len();
            out.extend(batch);
            if n < 1000 {
                break;
            }
            $page += 1000;
        }
        out
    }};
}

/// What the report needs of the gate besides exporting the contact: the privacy cockpit (the
/// registry), the audit trail and the processors it quotes.
pub(super) const REPORT_NEEDS: [(Action, Resource); 3] =
    [(Action::Read, Resource::Purpose), (Action::Read, Resource::Audit), (Action::Read, Resource::Processor)];

/// The portability export holds only the person's own data: the privacy cockpit suffices.
pub(super) const PORTABILITY_NEEDS: [(Action, Resource); 1] = [(Action::Read, Resource::Purpose)];

/// Which data subject request a caller asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Access,
    Portability,
}

impl Request {
    fn needs(self) -> &'static [(Action, Resource)] {
        match self {
            Self::Access => &REPORT_NEEDS,
            Self::Portability => &PORTABILITY_NEEDS,
        }
    }
}

/// Whether the gate would let the actor run this request on the contact (for the UI to offer
/// it; nothing is logged).
pub fn permitted(app: &App, actor: &Actor, record: &ContactRecord, request: Request) -> bool {
    let today = app.today();
    request.needs().iter().all(|(a, r)| app.gate.check_kind(actor, *a, *r, "", today).is_ok())
        && app.gate.check(actor, Action::Export, &crate::services::contacts::target(record), "", today).is_ok()
}

/// Asks the gate (refusals logged), before the contact is even looked up: who may not run
/// requests learns nothing about which ids exist.
pub(super) async fn authorize(app: &App, actor: &Actor, contact_id: &str, request: Request) -> ServiceResult<ContactRecord> {
    for (a, r) in request.needs() {
        app.authorize(actor, *a, *r).await?;
    }
    app.authorize(actor, Action::Export, Resource::Contact).await?;
    let id = ContactId::parse(contact_id).map_err(|_| ServiceError::NotFound("contact"))?;
    let record = crate::services::contacts::load(app, id).await?;
    app.authorize_record(actor, Action::Export, &crate::services::contacts::target(&record), "", &id.to_string()).await?;
    Ok(record)
}

pub(super) async fn audit(app: &App, actor: &Actor, action: &str, id: &str, fields: Vec<String>) -> ServiceResult<()> {
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let e = audit_entry(actor, action, "contact", id, Some(id.to_string()), fields);
    w.record(&[e]);
    w.commit(app).await?;
    Ok(())
}

pub(super) fn rfc(ms: i64) -> String {
    crate::fmt::rfc3339(ms)
}

/// The controller's value, unless it is the placeholder of a new installation.
pub(super) fn real(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && !obhut_core::purpose::Controller::is_placeholder(v)).then(|| v.to_string())
}

/// How the trail's recorded actor is told to the person.
pub(super) fn actor_out(recorded: &str, roles: &HashMap<String, String>) -> ActorOut {
    if let Some((channel, id)) = recorded.split_once(":user:") {
        return ActorOut::Staff { role: roles.get(id).cloned().unwrap_or_else(|| "user".into()), channel: channel.to_string() };
    }
    match recorded {
        "" => ActorOut::Unknown,
        "data-subject" => ActorOut::DataSubject,
        "system" => ActorOut::System,
        r if r.starts_with("cli:") => ActorOut::Operator,
        r => match r.strip_prefix("job:") {
            Some(name) => ActorOut::Job { name: name.to_string() },
            None => ActorOut::Unknown,
        },
    }
}

pub(super) fn is_eea(country: &str) -> bool {
    obhut_core::processor::EEA.contains(&country.trim().to_uppercase().as_str())
}

/// Everything the records hold about one contact, decrypted.
pub(super) struct Holdings {
    pub(super) activities: Vec<ActivityRecord>,
    pub(super) deals: Vec<DealRecord>,
    pub(super) tickets: Vec<TicketRecord>,
    /// Each ticket's conversation, oldest first.
    pub(super) ticket_messages: HashMap<obhut_core::ids::TicketId, Vec<obhut_store::ticket_messages::MessageRecord>>,
    pub(super) tasks: Vec<obhut_store::tasks::TaskRecord>,
    pub(super) stages: HashMap<String, String>,
    pub(super) roles: HashMap<String, String>,
}

pub(super) async fn holdings(app: &App, actor: &Actor, record: &ContactRecord) -> ServiceResult<Holdings> {
    app.authorize(actor, Action::Read, Resource::Activity).await?;
    app.authorize(actor, Action::Read, Resource::Deal).await?;
    app.authorize(actor, Action::Read, Resource::Ticket).await?;
    app.authorize(actor, Action::Read, Resource::Task).await?;
    let crypto = &app.store.crypto;
    let cid = record.id;
    let mut conn = app.conn().await?;
    let mut activities: Vec<ActivityRecord> = all_pages!(offset =>
        obhut_store::activities::list_activities(&mut conn, crypto, ActivityOwner::Contact(cid), &Default::default(), 1000, offset).await?.0);
    activities.sort_by_key(|a| (a.occurred_at, a.id));
    let deal_filter = DealFilter { contact_id: Some(cid), ..Default::default() };
    let mut deals: Vec<DealRecord> = all_pages!(offset => obhut_store::deals::list_deals(&mut conn, &deal_filter, 1000, offset).await?.0);
    deals.sort_by_key(|d| (d.created_at, d.id));
    let ticket_filter = TicketFilter { contact_id: Some(cid), ..Default::default() };
    let mut tickets: Vec<TicketRecord> =
        all_pages!(offset => obhut_store::tickets::list_tickets(&mut conn, crypto, &ticket_filter, 1000, offset).await?.0);
    tickets.sort_by_key(|t| (t.created_at, t.number));
    let mut ticket_messages = HashMap::new();
    for t in &tickets {
        ticket_messages.insert(t.id, obhut_store::ticket_messages::list(&mut conn, crypto, t.id).await?);
    }
    // Tasks about the person: on the contact itself and on its deals and tickets.
    let task_filter = obhut_store::tasks::TaskFilter { contact_id: Some(cid), ..Default::default() };
    let tasks: Vec<obhut_store::tasks::TaskRecord> =
        all_pages!(offset => obhut_store::tasks::list_tasks(&mut conn, crypto, &task_filter, 1000, offset).await?.0);
    let stages = obhut_store::deals::list_stages(&mut conn).await?.into_iter().map(|s| (s.id.to_string(), s.name)).collect();
    let roles =
        obhut_store::users::list_users(&mut conn).await?.into_iter().map(|u| (u.id.to_string(), u.role.as_str().to_string())).collect();
    Ok(Holdings { activities, deals, tickets, ticket_messages, tasks, stages, roles })
}

/// The Art. 15 report for one contact (DPO or administrator). Audited as `dsr.access_report`
/// with counts only. An unknown contact is `NotFound`.
pub async fn access_report(app: &App, actor: &Actor, contact_id: &str) -> ServiceResult<AccessReport> {
    let record = authorize(app, actor, contact_id, Request::Access).await?;
    let sid = record.id.to_string();
    let h = holdings(app, actor, &record).await?;
    let consents = crate::services::consent::overview(app, actor, &sid).await?;
    let registry = crate::services::purposes::registry(app).await?;
    let crypto = &app.store.crypto;
    let mut conn = app.conn().await?;
    let controller = obhut_store::purposes::controller(&mut conn).await?;
    let processors = obhut_store::policies::list_processors(&mut conn).await?;
    let disclosures = obhut_store::consent::disclosures_of(&mut conn, &sid).await?;
    let key = obhut_store::consent::contact_key(&mut conn, crypto, &sid).await?;
    let mut events = obhut_store::audit::list_for_subject(&mut conn, &sid, AUDIT_EVENTS_LISTED + 1).await?;
    drop(conn);
    let omitted = if events.len() as i64 > AUDIT_EVENTS_LISTED {
        events.remove(0);
        let mut conn = app.conn().await?;
        let total = obhut_store::audit::count_for_subject(&mut conn, &sid).await?;
        (total - AUDIT_EVENTS_LISTED).max(0) as u64
    } else {
        0
    };

    let p = &record.personal;
    let personal_data = PersonalData {
        kind: record.kind.as_str().into(),
        record_class: record.record_class.as_str().into(),
        salutation: p.salutation.clone(),
        title: p.title.clone(),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        emails: p.emails.clone(),
        phones: p.phones.clone(),
        addresses: p.addresses.clone(),
        organization_id: record.organization_id.map(|o| o.to_string()),
        organization: record.organization_name.clone(),
        job_title: p.job_title.clone(),
        birthday: p.birthday.map(|b| b.to_string()),
        language: record.language.clone(),
        tags: record.tags.clone(),
        notes: p.notes.clone(),
        team: record.team.clone(),
        collected_for: p.collection_purposes(),
        created_at: rfc(record.created_at),
        updated_at: rfc(record.updated_at),
    };
    let activities: Vec<ActivityEntry> = h
        .activities
        .iter()
        .map(|a| ActivityEntry {
            id: a.id.to_string(),
            kind: a.kind.as_str().into(),
            occurred_at: rfc(a.occurred_at),
            subject: a.text.subject.clone(),
            body: a.text.body.clone(),
            deal_id: a.deal_id.map(|d| d.to_string()),
            recorded_by: actor_out(a.created_by.as_deref().unwrap_or(""), &h.roles),
            created_at: rfc(a.created_at),
        })
        .collect();
    let deals: Vec<DealEntry> = h
        .deals
        .iter()
        .map(|d| DealEntry {
            id: d.id.to_string(),
            title: d.draft.title.clone(),
            stage: d.draft.stage_id.and_then(|s| h.stages.get(&s.to_string()).cloned()),
            amount_cents: d.draft.amount_cents,
            currency: d.draft.currency.clone(),
            expected_close_on: d.draft.expected_close_on.map(|x| x.to_string()),
            created_at: rfc(d.created_at),
            updated_at: rfc(d.updated_at),
        })
        .collect();
    let tickets: Vec<TicketEntry> = h
        .tickets
        .iter()
        .map(|t| TicketEntry {
            id: t.id.to_string(),
            number: t.number,
            kind: t.draft.kind.as_str().into(),
            status: t.draft.status.as_str().into(),
            priority: t.draft.priority.as_str().into(),
            title: t.draft.text.title.clone(),
            description: t.draft.text.description.clone(),
            created_at: rfc(t.created_at),
            updated_at: rfc(t.updated_at),
            messages: h
                .ticket_messages
                .get(&t.id)
                .map(|list| {
                    list.iter()
                        .map(|m| super::model::TicketMessageEntry {
                            kind: m.kind.as_str().into(),
                            body: m.text.body.clone(),
                            address: m.text.address.clone(),
                            created_at: rfc(m.created_at),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let mut tasks: Vec<TaskEntry> = h
        .tasks
        .iter()
        .map(|t| TaskEntry {
            id: t.id.to_string(),
            number: t.number,
            kind: t.draft.kind.as_str().into(),
            title: t.draft.text.title.clone(),
            notes: t.draft.text.notes.clone(),
            due_on: t.draft.due_on.map(|x| x.to_string()),
            done: t.draft.done,
            created_at: rfc(t.created_at),
        })
        .collect();
    tasks.sort_by_key(|t| t.number);
    let audit_trail: Vec<AuditEntry> = events
        .iter()
        .map(|e| AuditEntry {
            seq: e.seq,
            at: rfc(e.at),
            actor: actor_out(&e.entry.actor, &h.roles),
            action: e.entry.action.clone(),
            record_type: e.entry.record_type.clone(),
            record_id: e.entry.record_id.clone(),
            fields: e.entry.fields.clone(),
            purpose: e.entry.purpose.clone(),
            recipient: e.entry.recipient.clone(),
            detail: match (&key, &e.entry.detail) {
                (Some(k), Some(sealed)) => obhut_store::audit::open_detail(k, &sid, sealed),
                _ => None,
            },
        })
        .collect();

    // Purposes: those the data was collected for, those they are compatible with (Art. 6(4)),
    // those consented to, and those the data was disclosed for.
    let mut grounds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |k: &str, why: &str| {
        let g = grounds.entry(k.to_string()).or_default();
        if !g.iter().any(|x| x == why) {
            g.push(why.to_string());
        }
    };
    for k in p.all_purposes() {
        add(&k, "collection");
        if let Some(x) = registry.iter().find(|x| x.key == k) {
            for c in &x.compatible_with {
                add(c, "compatible");
            }
        }
    }
    for c in consents.consents.iter().filter(|c| c.status.valid()) {
        add(&c.purpose, "consent");
    }
    for d in &disclosures {
        add(&d.purpose, "disclosure");
    }
    // The purposes the data was collected for first, then consents, disclosures, compatible ones.
    let rank = |k: &str| {
        grounds
            .get(k)
            .into_iter()
            .flatten()
            .map(|g| ["collection", "consent", "disclosure", "compatible"].iter().position(|x| x == g).unwrap_or(4))
            .min()
    };
    let mut applicable: Vec<&Purpose> = registry.iter().filter(|x| grounds.contains_key(&x.key)).collect();
    applicable.sort_by_key(|x| (rank(&x.key), x.key.clone()));

    // Data categories held, by catalogued field.
    let mut held: Vec<(String, Vec<String>)> = Vec::new();
    let mut hold = |category: &str, field_name: String| match held.iter_mut().find(|(c, _)| c == category) {
        Some((_, f)) => f.push(field_name),
        None => held.push((category.to_string(), vec![field_name])),
    };
    for name in contact_fields_present(p) {
        if let Some(def) = field("contact", name) {
            hold(def.category, format!("contact.{name}"));
        }
    }
    if record.organization_id.is_some() {
        hold("user.contact.organization", "contact.organization".into());
    }
    if !h.activities.is_empty() {
        hold("user.content", "activity.subject".into());
        if h.activities.iter().any(|a| a.text.body.is_some()) {
            hold("user.content", "activity.body".into());
        }
    }
    if !h.tickets.is_empty() {
        hold("user.content", "ticket.subject".into());
        if h.tickets.iter().any(|t| t.draft.text.description.is_some()) {
            hold("user.content", "ticket.description".into());
        }
        if h.ticket_messages.values().any(|m| !m.is_empty()) {
            hold("user.content", "ticket.messages".into());
        }
    }
    if !h.tasks.is_empty() {
        hold("user.content", "task.title".into());
        if h.tasks.iter().any(|t| t.draft.text.notes.is_some()) {
            hold("user.content", "task.notes".into());
        }
    }
    let consent_purposes: Vec<String> = {
        let mut v: Vec<String> = consents.events.iter().filter(|e| e.purpose != "*").map(|e| e.purpose.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    if !consents.events.is_empty() {
        hold(PRIVACY_PREFERENCES, "consent.events".into());
    }
    let processing = |category: &str| -> Vec<&Purpose> {
        if category == PRIVACY_PREFERENCES {
            return applicable.iter().copied().filter(|x| consent_purposes.contains(&x.key)).collect();
        }
        applicable.iter().copied().filter(|x| x.data_categories.iter().any(|d| covers(d, category))).collect()
    };
    let data_categories: Vec<CategoryEntry> = held
        .iter()
        .map(|(c, f)| CategoryEntry {
            category: c.clone(),
            fields: f.clone(),
            purposes: processing(c).iter().map(|x| x.key.clone()).collect(),
        })
        .collect();
    let rule_of = |x: &Purpose| RetentionRule {
        purpose: x.key.clone(),
        rule: x.retention_rule.clone(),
        rule_de: x.retention_rule_in("de").to_string(),
        days: x.retention_days,
    };
    let retention: Vec<RetentionEntry> = held
        .iter()
        .map(|(c, _)| RetentionEntry {
            data_category: c.clone(),
            rules: processing(c).into_iter().map(rule_of).collect(),
            criteria: RETENTION_CRITERIA.into(),
        })
        .collect();
    let purposes: Vec<PurposeEntry> = applicable
        .iter()
        .map(|x| PurposeEntry {
            purpose: x.key.clone(),
            name_de: x.name_de.clone(),
            name_en: x.name_en.clone(),
            description: x.description.clone(),
            description_de: x.description_in("de").to_string(),
            dpv: x.dpv_purpose.clone(),
            legal_basis: LegalBasisOut {
                basis: x.legal_basis.as_str().into(),
                article: x.legal_basis.article().into(),
                dpv_gdpr: x.legal_basis.dpv_gdpr().into(),
                reference: x.basis_reference.clone(),
                special_category_condition: x.special_category_condition.clone(),
            },
            grounds: grounds.get(&x.key).cloned().unwrap_or_default(),
            data_categories: held.iter().filter(|(c, _)| processing(c).iter().any(|y| y.key == x.key)).map(|(c, _)| c.clone()).collect(),
            retention: rule_of(x),
            active: x.active,
        })
        .collect();

    let recipients = recipients(&record, &applicable, &processors, &disclosures, &events);
    let source = Source {
        origin_source: record.origin.source.clone(),
        origin_detail: record.origin.detail.clone(),
        import_run_id: record.origin.import_run_id.map(|r| r.to_string()),
        collected_from_subject: match record.origin.source.as_str() {
            "web_form" => Some(true),
            "import" | "demo" => Some(false),
            _ => None,
        },
        recorded_by: actor_out(record.created_by.as_deref().unwrap_or(""), &h.roles),
        recorded_at: rfc(record.created_at),
    };
    let report = AccessReport {
        subject: Subject {
            id: sid.clone(),
            generated_at: rfc(app.now_ms()),
            controller: ControllerInfo {
                name: real(&controller.name),
                address: real(&controller.address),
                email: real(&controller.email),
                phone: controller.phone.as_deref().and_then(real),
                representative: controller.representative.as_deref().and_then(real),
                dpo_name: real(&controller.dpo_name),
                dpo_email: real(&controller.dpo_email),
            },
            restricted: consents.restricted,
            audit_events_omitted: omitted,
        },
        personal_data,
        activities,
        deals,
        tickets,
        tasks,
        consents,
        audit_trail,
        purposes,
        data_categories,
        recipients,
        retention,
        source,
        rights: rights(),
        automated_decision_making: AutomatedDecisions {
            used: false,
            profiling: false,
            statement: "No decision based solely on automated processing, including profiling, that produces legal effects concerning \
                        the data subject or similarly significantly affects them (Art. 22 GDPR) is made. Marketing audiences are \
                        selected by the person's own consents and objections, which is no such decision."
                .into(),
        },
    };
    let fields = vec![
        format!("activities={}", report.activities.len()),
        format!("deals={}", report.deals.len()),
        format!("tickets={}", report.tickets.len()),
        format!("tasks={}", report.tasks.len()),
        format!("audit_events={}", report.audit_trail.len()),
        format!("recipients={}", report.recipients.len()),
    ];
    audit(app, actor, "dsr.access_report", &sid, fields).await?;
    Ok(report)
}

/// The data category of the consent ledger (fideslang).
pub(super) const PRIVACY_PREFERENCES: &str = "user.privacy_preferences";

pub(super) const RETENTION_CRITERIA: &str =
    "Kept while at least one of the rules listed still runs: each ends one purpose. Data a legal retention \
                                  duty still covers is restricted (only stored) until that duty ends, then erased (Art. 17(3)(b)).";

/// Recipients from the disclosure log, the trail, the processors whose scope covers the contact,
/// and the registry's recipients of the purposes that apply; third countries and safeguards
/// where a processor or the registry knows them.
pub(crate) fn recipients(
    record: &ContactRecord,
    applicable: &[&Purpose],
    processors: &[obhut_core::processor::Processor],
    disclosures: &[obhut_store::consent::Disclosure],
    events: &[obhut_store::audit::AuditEvent],
) -> Vec<RecipientEntry> {
    let mut out: Vec<RecipientEntry> = Vec::new();
    fn entry<'a>(out: &'a mut Vec<RecipientEntry>, name: &str, kind: &str) -> &'a mut RecipientEntry {
        let i = match out.iter().position(|r| r.recipient.eq_ignore_ascii_case(name)) {
            Some(i) => i,
            None => {
                out.push(RecipientEntry {
                    recipient: name.to_string(),
                    kind: kind.to_string(),
                    country: None,
                    third_country: false,
                    transfer_mechanism: None,
                    safeguard: None,
                    purposes: vec![],
                    known_from: vec![],
                    disclosures: vec![],
                });
                out.len() - 1
            }
        };
        &mut out[i]
    }
    fn note(v: &mut Vec<String>, s: &str) {
        if !s.is_empty() && !v.iter().any(|x| x == s) {
            v.push(s.to_string());
        }
    }
    let processor_named = |name: &str| {
        let key = name.strip_prefix("processor:").unwrap_or(name);
        processors.iter().find(|p| p.key.eq_ignore_ascii_case(key) || p.name.eq_ignore_ascii_case(name))
    };
    let describe = |e: &mut RecipientEntry, p: &obhut_core::processor::Processor| {
        e.kind = "processor".into();
        e.recipient = p.name.clone();
        e.country = Some(p.country.clone());
        e.third_country = !is_eea(&p.country);
        e.transfer_mechanism = p.transfer_mechanism.clone();
        e.safeguard = p.safeguard_document.clone();
        for k in &p.purposes {
            note(&mut e.purposes, k);
        }
        note(&mut e.known_from, "processor_registry");
    };
    for d in disclosures {
        let p = processor_named(&d.recipient);
        let name = p.map_or(d.recipient.as_str(), |p| p.name.as_str());
        let e = entry(&mut out, name, "named");
        if let Some(p) = p {
            describe(e, p);
        }
        note(&mut e.purposes, &d.purpose);
        note(&mut e.known_from, "disclosure_log");
        e.disclosures.push(DisclosureOut {
            at: rfc(d.at),
            purpose: d.purpose.clone(),
            how: "audience_export".into(),
            channel: Some(d.channel.clone()),
        });
    }
    for ev in events {
        let Some(r) = ev.entry.recipient.as_deref().filter(|r| !r.is_empty()) else { continue };
        let p = processor_named(r);
        let name = p.map_or(r, |p| p.name.as_str());
        let e = entry(&mut out, name, "named");
        if let Some(p) = p {
            describe(e, p);
        }
        let purpose = ev.entry.purpose.clone().unwrap_or_default();
        note(&mut e.purposes, &purpose);
        note(&mut e.known_from, "audit_trail");
        e.disclosures.push(DisclosureOut { at: rfc(ev.at), purpose, how: ev.entry.action.clone(), channel: None });
    }
    for p in processors.iter().filter(|p| record.tags.iter().any(|t| t == &p.scope_tag)) {
        let e = entry(&mut out, &p.name, "processor");
        describe(e, p);
    }
    for x in applicable {
        for r in &x.recipients {
            let e = entry(&mut out, &r.name, &r.kind);
            if e.country.is_none() && !r.country.trim().is_empty() {
                e.country = Some(r.country.clone());
                e.third_country = !is_eea(&r.country);
            }
            if let Some(t) = x.transfers.iter().find(|t| t.recipient.eq_ignore_ascii_case(&r.name)) {
                e.third_country = true;
                e.country = Some(t.country.clone());
                e.transfer_mechanism = Some(t.mechanism.clone());
                e.safeguard = Some(t.safeguard_document.clone());
            }
            note(&mut e.purposes, &x.key);
            note(&mut e.known_from, "purpose_registry");
        }
        // Transfers to recipients the purpose does not list by name.
        for t in x.transfers.iter().filter(|t| !x.recipients.iter().any(|r| r.name.eq_ignore_ascii_case(&t.recipient))) {
            let e = entry(&mut out, &t.recipient, "third_party");
            e.country = Some(t.country.clone());
            e.third_country = true;
            e.transfer_mechanism = Some(t.mechanism.clone());
            e.safeguard = Some(t.safeguard_document.clone());
            note(&mut e.purposes, &x.key);
            note(&mut e.known_from, "purpose_registry");
        }
    }
    out
}

pub(super) fn rights() -> Vec<Right> {
    let r = |right: &str, article: &str, description: &str| Right {
        right: right.into(),
        article: article.into(),
        description: description.into(),
    };
    vec![
        r(
            "access",
            "Art. 15 GDPR",
            "To learn at any time which personal data is held and to receive a copy of it; this report is that answer.",
        ),
        r("rectification", "Art. 16 GDPR", "To have inaccurate data corrected and incomplete data completed."),
        r(
            "erasure",
            "Art. 17 GDPR",
            "To have the data erased where it is no longer needed, consent is withdrawn, an objection succeeds or it was processed \
             unlawfully; what a law requires to be kept is restricted instead until that duty ends.",
        ),
        r(
            "restriction",
            "Art. 18 GDPR",
            "To have processing restricted, e.g. while the accuracy of the data is checked; restricted data is only stored.",
        ),
        r(
            "portability",
            "Art. 20 GDPR",
            "To receive the data provided in a structured, commonly used, machine-readable format (JSON, CSV, vCard), or to have it \
             transmitted to another controller.",
        ),
        r(
            "objection",
            "Art. 21 GDPR",
            "To object to processing based on legitimate interests on grounds relating to one's particular situation, and to direct \
             marketing at any time without giving reasons, which then ends at once.",
        ),
        r(
            "withdraw_consent",
            "Art. 7(3) GDPR",
            "To withdraw a consent at any time, as easily as it was given; processing before the withdrawal remains lawful.",
        ),
        r(
            "complaint",
            "Art. 77 GDPR",
            "To lodge a complaint with a data protection supervisory authority, in particular in the Member State of one's habitual \
             residence, place of work or of the alleged infringement.",
        ),
    ]
}
