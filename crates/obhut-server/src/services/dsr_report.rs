//! Data subject requests answered from the records themselves: the Art. 15 access report
//! (what is held about a person, why, on which legal basis, from where, for whom and for how
//! long, with a copy of the data) as JSON, HTML and PDF, and the Art. 20 portability archive
//! (the data the person provided, as JSON, CSV and vCard in one zip file).
//!
//! Both are the DPO's work: the gate must let the actor read the purpose registry (the
//! privacy cockpit) and export the contact, and the report also the audit trail and the
//! processors it quotes. Each run is audited (`dsr.access_report`, `dsr.portability`) with
//! counts only. HTML and PDF are rendered from one [`Document`], so both say the same.

mod pdf;

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use crate::web::fmt;
use crate::web::i18n::{Lang, Tr};
use askama::Template;
use obhut_core::contact::{EmailEntry, PhoneEntry, PostalAddress};
use obhut_core::fields::{contact_fields_present, covers, field};
use obhut_core::ids::ContactId;
use obhut_core::purpose::Purpose;
use obhut_store::activities::{ActivityOwner, ActivityRecord};
use obhut_store::contacts::ContactRecord;
use obhut_store::deals::{DealFilter, DealRecord};
use obhut_store::tickets::{TicketFilter, TicketRecord};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// At most this many audit events are listed (the newest); the report says how many it left out.
pub const AUDIT_EVENTS_LISTED: i64 = 10_000;

/// The Art. 15 report: the answer to "what do you hold about me?" and a copy of the data.
#[derive(Clone, Serialize)]
pub struct AccessReport {
    pub subject: Subject,
    /// Art. 15(3): a copy of the personal data, decrypted, with every field.
    pub personal_data: PersonalData,
    pub activities: Vec<ActivityEntry>,
    pub deals: Vec<DealEntry>,
    pub tickets: Vec<TicketEntry>,
    /// The consent ledger with the derived states and permissions.
    pub consents: super::consent::Overview,
    /// Every event about the subject, oldest first, with the values of changes where the
    /// subject's key opens them.
    pub audit_trail: Vec<AuditEntry>,
    /// Art. 15(1)(a): the purposes with their legal basis.
    pub purposes: Vec<PurposeEntry>,
    /// Art. 15(1)(b).
    pub data_categories: Vec<CategoryEntry>,
    /// Art. 15(1)(c), 15(2): recipients, third countries and safeguards.
    pub recipients: Vec<RecipientEntry>,
    /// Art. 15(1)(d): storage period or its criteria, per data category.
    pub retention: Vec<RetentionEntry>,
    /// Art. 15(1)(g): where the data came from.
    pub source: Source,
    /// Art. 15(1)(e), (f): the rights of the data subject.
    pub rights: Vec<Right>,
    /// Art. 15(1)(h).
    pub automated_decision_making: AutomatedDecisions,
}

impl std::fmt::Debug for AccessReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessReport(<redacted>)")
    }
}

#[derive(Clone, Serialize)]
pub struct Subject {
    pub id: String,
    pub generated_at: String,
    pub controller: ControllerInfo,
    /// Processing is restricted (Art. 18).
    pub restricted: bool,
    /// Audit events older than the listed ones (beyond [`AUDIT_EVENTS_LISTED`]).
    pub audit_events_omitted: u64,
}

/// The controller and DPO as the registry names them; placeholders of a new installation are left out.
#[derive(Clone, Serialize)]
pub struct ControllerInfo {
    pub name: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub representative: Option<String>,
    pub dpo_name: Option<String>,
    pub dpo_email: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct PersonalData {
    pub kind: String,
    pub record_class: String,
    pub salutation: Option<String>,
    pub title: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub emails: Vec<EmailEntry>,
    pub phones: Vec<PhoneEntry>,
    pub addresses: Vec<PostalAddress>,
    pub organization_id: Option<String>,
    pub organization: Option<String>,
    pub job_title: Option<String>,
    pub birthday: Option<String>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub team: Option<String>,
    /// The purposes the data was collected for.
    pub collected_for: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Serialize)]
pub struct ActivityEntry {
    pub id: String,
    pub kind: String,
    pub occurred_at: String,
    pub subject: String,
    pub body: Option<String>,
    pub deal_id: Option<String>,
    pub recorded_by: ActorOut,
    pub created_at: String,
}

#[derive(Clone, Serialize)]
pub struct DealEntry {
    pub id: String,
    pub title: String,
    pub stage: Option<String>,
    pub amount_cents: Option<i64>,
    pub currency: String,
    pub expected_close_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Serialize)]
pub struct TicketEntry {
    pub id: String,
    pub number: i64,
    pub kind: String,
    pub status: String,
    pub priority: String,
    pub title: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Who acted, as the person is told it: staff by role and surface, not by name (employees
/// act under the controller's authority, CJEU C-579/21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActorOut {
    Staff {
        role: String,
        channel: String,
    },
    Operator,
    Job {
        name: String,
    },
    DataSubject,
    System,
    /// The details of an old read event were emptied when its retention ended.
    Unknown,
}

#[derive(Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: ActorOut,
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    pub fields: Vec<String>,
    pub purpose: Option<String>,
    pub recipient: Option<String>,
    /// The values before and after a change, opened with the subject's key.
    pub detail: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegalBasisOut {
    /// consent, contract, legal_obligation, vital_interest, public_task, legitimate_interest.
    pub basis: String,
    pub article: String,
    pub dpv_gdpr: String,
    /// The norm or assessment behind the basis.
    pub reference: String,
    pub special_category_condition: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionRule {
    pub purpose: String,
    pub rule: String,
    pub days: Option<u32>,
}

#[derive(Clone, Serialize)]
pub struct PurposeEntry {
    pub purpose: String,
    pub name_de: String,
    pub name_en: String,
    pub description: String,
    pub dpv: String,
    pub legal_basis: LegalBasisOut,
    /// Why it applies: `collection` (collected for it), `compatible` (Art. 6(4)), `consent`,
    /// `disclosure` (the data was exported for it).
    pub grounds: Vec<String>,
    /// The categories of the person's data it processes.
    pub data_categories: Vec<String>,
    pub retention: RetentionRule,
    pub active: bool,
}

#[derive(Clone, Serialize)]
pub struct CategoryEntry {
    /// fideslang-style key, e.g. `user.contact.email`.
    pub category: String,
    pub fields: Vec<String>,
    pub purposes: Vec<String>,
}

#[derive(Clone, Serialize)]
pub struct DisclosureOut {
    pub at: String,
    pub purpose: String,
    /// audience_export, or the audit action that disclosed.
    pub how: String,
    pub channel: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct RecipientEntry {
    pub recipient: String,
    /// internal, processor, third_party, authority, or named (an export's recipient).
    pub kind: String,
    pub country: Option<String>,
    /// Outside the EU/EEA (Chapter V).
    pub third_country: bool,
    pub transfer_mechanism: Option<String>,
    pub safeguard: Option<String>,
    pub purposes: Vec<String>,
    /// disclosure_log, audit_trail, processor_registry, purpose_registry.
    pub known_from: Vec<String>,
    pub disclosures: Vec<DisclosureOut>,
}

#[derive(Clone, Serialize)]
pub struct RetentionEntry {
    pub data_category: String,
    pub rules: Vec<RetentionRule>,
    pub criteria: String,
}

#[derive(Clone, Serialize)]
pub struct Source {
    /// api, ui, cli, import, demo or web_form.
    pub origin_source: String,
    pub origin_detail: Option<String>,
    pub import_run_id: Option<String>,
    /// True for the person's own sign-up, false for imports, none where staff entered it.
    pub collected_from_subject: Option<bool>,
    pub recorded_by: ActorOut,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Right {
    pub right: String,
    pub article: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutomatedDecisions {
    pub used: bool,
    pub profiling: bool,
    pub statement: String,
}

// ---------------------------------------------------------------------------------------------
// Authorization and audit

/// What the report needs of the gate besides exporting the contact: the privacy cockpit (the
/// registry), the audit trail and the processors it quotes.
const REPORT_NEEDS: [(Action, Resource); 3] =
    [(Action::Read, Resource::Purpose), (Action::Read, Resource::Audit), (Action::Read, Resource::Processor)];
/// The portability export holds only the person's own data: the privacy cockpit suffices.
const PORTABILITY_NEEDS: [(Action, Resource); 1] = [(Action::Read, Resource::Purpose)];

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
        && app.gate.check(actor, Action::Export, &super::contacts::target(record), "", today).is_ok()
}

/// Asks the gate (refusals logged), before the contact is even looked up: who may not run
/// requests learns nothing about which ids exist.
async fn authorize(app: &App, actor: &Actor, contact_id: &str, request: Request) -> ServiceResult<ContactRecord> {
    for (a, r) in request.needs() {
        app.authorize(actor, *a, *r).await?;
    }
    app.authorize(actor, Action::Export, Resource::Contact).await?;
    let id = ContactId::parse(contact_id).map_err(|_| ServiceError::NotFound("contact"))?;
    let record = super::contacts::load(app, id).await?;
    app.authorize_record(actor, Action::Export, &super::contacts::target(&record), "", &id.to_string()).await?;
    Ok(record)
}

async fn audit(app: &App, actor: &Actor, action: &str, id: &str, fields: Vec<String>) -> ServiceResult<()> {
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let e = audit_entry(actor, action, "contact", id, Some(id.to_string()), fields);
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    tx.commit().await.map_err(obhut_store::StoreError::from)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Gathering

fn rfc(ms: i64) -> String {
    crate::api::rfc3339(ms)
}

/// The controller's value, unless it is the placeholder of a new installation.
fn real(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && !obhut_core::purpose::Controller::is_placeholder(v)).then(|| v.to_string())
}

/// How the trail's recorded actor is told to the person.
fn actor_out(recorded: &str, roles: &HashMap<String, String>) -> ActorOut {
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

fn is_eea(country: &str) -> bool {
    obhut_core::processor::EEA.contains(&country.trim().to_uppercase().as_str())
}

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

/// Everything the records hold about one contact, decrypted.
struct Holdings {
    activities: Vec<ActivityRecord>,
    deals: Vec<DealRecord>,
    tickets: Vec<TicketRecord>,
    stages: HashMap<String, String>,
    roles: HashMap<String, String>,
}

async fn holdings(app: &App, actor: &Actor, record: &ContactRecord) -> ServiceResult<Holdings> {
    app.authorize(actor, Action::Read, Resource::Activity).await?;
    app.authorize(actor, Action::Read, Resource::Deal).await?;
    app.authorize(actor, Action::Read, Resource::Ticket).await?;
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
    let stages = obhut_store::deals::list_stages(&mut conn).await?.into_iter().map(|s| (s.id.to_string(), s.name)).collect();
    let roles =
        obhut_store::users::list_users(&mut conn).await?.into_iter().map(|u| (u.id.to_string(), u.role.as_str().to_string())).collect();
    Ok(Holdings { activities, deals, tickets, stages, roles })
}

/// The Art. 15 report for one contact (DPO or administrator). Audited as `dsr.access_report`
/// with counts only. An unknown contact is `NotFound`.
pub async fn access_report(app: &App, actor: &Actor, contact_id: &str) -> ServiceResult<AccessReport> {
    let record = authorize(app, actor, contact_id, Request::Access).await?;
    let sid = record.id.to_string();
    let h = holdings(app, actor, &record).await?;
    let consents = super::consent::overview(app, actor, &sid).await?;
    let registry = super::purposes::registry(app).await?;
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
        let total: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE subject_id = $1")
            .bind(&sid)
            .fetch_one(&mut *conn)
            .await
            .map_err(obhut_store::StoreError::from)?;
        (total.0 - AUDIT_EVENTS_LISTED).max(0) as u64
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
        })
        .collect();
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
    let rule_of = |x: &Purpose| RetentionRule { purpose: x.key.clone(), rule: x.retention_rule.clone(), days: x.retention_days };
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
        format!("audit_events={}", report.audit_trail.len()),
        format!("recipients={}", report.recipients.len()),
    ];
    audit(app, actor, "dsr.access_report", &sid, fields).await?;
    Ok(report)
}

/// The data category of the consent ledger (fideslang).
const PRIVACY_PREFERENCES: &str = "user.privacy_preferences";

const RETENTION_CRITERIA: &str = "Kept while at least one of the rules listed still runs: each ends one purpose. Data a legal retention \
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

fn rights() -> Vec<Right> {
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

// ---------------------------------------------------------------------------------------------
// Rendering: one document, as HTML and as PDF

/// A label and its value; a value may span lines (`\n`).
#[derive(Clone, PartialEq, Eq)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// One record within a section: a title line and its fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub title: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Block {
    Text(String),
    Fields(Vec<Field>),
    Entry(Entry),
}

#[derive(Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// The report as text, in one language: what the HTML page and the PDF both show.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    pub lang: &'static str,
    pub title: String,
    pub subtitle: Vec<String>,
    pub sections: Vec<Section>,
    /// The footer line of every page, e.g. "Auskunft nach Art. 15 DSGVO".
    pub footer: String,
    /// "Seite {} von {}": the PDF's page numbers.
    pub page_of: String,
    pub pdf_link_label: String,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Document(<redacted>)")
    }
}

/// Output formats of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "html" => Ok(Self::Html),
            "pdf" => Ok(Self::Pdf),
            other => Err(format!("'{}' is not a report format: use json, html or pdf", other.chars().take(20).collect::<String>())),
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

/// `de` or `en`; anything else is refused.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    match s.trim().to_lowercase().as_str() {
        "de" => Ok(Lang::De),
        "en" => Ok(Lang::En),
        other => Err(format!("'{}' is not a report language: use de or en", other.chars().take(20).collect::<String>())),
    }
}

/// The report in a format: pretty JSON, a standalone printable HTML page (with a link to the
/// PDF where `pdf_link` is given), or an A4 PDF.
pub fn render(report: &AccessReport, format: Format, lang: Lang, pdf_link: Option<&str>) -> ServiceResult<Vec<u8>> {
    match format {
        Format::Json => serde_json::to_vec_pretty(report).map_err(|e| ServiceError::Internal(format!("writing the report: {e}"))),
        Format::Html => Ok(render_html(&document(report, lang), pdf_link)?.into_bytes()),
        Format::Pdf => Ok(pdf::render(&document(report, lang))),
    }
}

#[derive(Template)]
#[template(path = "dsr/report.html")]
struct ReportPage<'a> {
    doc: &'a Document,
    pdf_link: Option<&'a str>,
}

pub fn render_html(doc: &Document, pdf_link: Option<&str>) -> ServiceResult<String> {
    ReportPage { doc, pdf_link }.render().map_err(|e| ServiceError::Internal(format!("rendering the report: {e}")))
}

fn f(label: &str, value: impl Into<String>) -> Field {
    Field { label: label.to_string(), value: value.into() }
}

/// A JSON value as plain text: strings as they are, lists joined, entries by their main value.
fn plain(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) if s.is_empty() => "–".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "–".into(),
        Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join("; "),
        Value::Object(o) => {
            if let Some(x) = o.get("address").or_else(|| o.get("number")) {
                return plain(x);
            }
            let parts: Vec<String> =
                ["street", "postal_code", "city", "country"].iter().filter_map(|k| o.get(*k)).map(plain).filter(|s| s != "–").collect();
            if parts.is_empty() {
                o.iter().map(|(k, v)| format!("{k}: {}", plain(v))).collect::<Vec<_>>().join(", ")
            } else {
                parts.join(", ")
            }
        }
        other => other.to_string(),
    }
}

fn address_text(a: &PostalAddress) -> String {
    let city = [a.postal_code.as_deref(), a.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    [a.street.clone(), Some(city).filter(|c| !c.is_empty()), a.country.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ")
}

fn with_label(value: String, label: &Option<String>) -> String {
    match label.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => format!("{value} ({l})"),
        None => value,
    }
}

/// Reads back an RFC 3339 time of the report for display in the document's language.
fn when(tr: Tr, rfc3339: &str) -> String {
    match time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
        Ok(t) => fmt::datetime(tr.lang, obhut_core::clock::to_millis(t)),
        Err(_) => rfc3339.to_string(),
    }
}

fn day(tr: Tr, iso: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(iso, &format) {
        Ok(d) => fmt::date(tr.lang, d),
        Err(_) => iso.to_string(),
    }
}

fn actor_text(tr: Tr, a: &ActorOut) -> String {
    match a {
        ActorOut::Staff { role, channel } => {
            format!("{} ({}, {})", tr.t("dsr_report.actor_staff"), tr.v("dsr_report.role", role), tr.v("dsr_report.channel", channel))
        }
        ActorOut::Operator => tr.t("dsr_report.actor_operator").into(),
        ActorOut::Job { name } => format!("{} ({name})", tr.t("dsr_report.actor_job")),
        ActorOut::DataSubject => tr.t("dsr_report.actor_subject").into(),
        ActorOut::System => tr.t("dsr_report.actor_system").into(),
        ActorOut::Unknown => tr.t("dsr_report.actor_unknown").into(),
    }
}

/// Article references as the language cites them: "Art. 6(1)(b) GDPR" in English,
/// "Art. 6 Abs. 1 lit. b DSGVO" in German.
fn cite(lang: Lang, text: &str) -> String {
    if lang != Lang::De {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(at) = rest.find("Art. ") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&rest[..digits]);
        rest = &rest[digits..];
        if digits == 0 {
            continue;
        }
        // "(1)" is a paragraph, "(b)" a letter.
        while let Some(inner) = rest.strip_prefix('(').and_then(|r| r.split_once(')')).map(|(i, _)| i) {
            if inner.is_empty() || inner.len() > 3 {
                break;
            }
            if inner.chars().all(|c| c.is_ascii_digit()) {
                out.push_str(&format!(" Abs. {inner}"));
            } else if inner.chars().all(|c| c.is_ascii_lowercase()) {
                out.push_str(&format!(" lit. {inner}"));
            } else {
                break;
            }
            rest = &rest[inner.len() + 2..];
        }
    }
    out.push_str(rest);
    out.replace("GDPR", "DSGVO")
}

/// An audit action as the person reads it: the report's own wording, else the audit browser's.
fn action_text(tr: Tr, action: &str) -> String {
    let own = format!("dsr_report.action.{action}");
    match tr.t(&own) {
        t if t != own => t.to_string(),
        _ => tr.v("audit", action),
    }
}

/// A data category by its name in the document's language, with its key.
fn category_text(tr: Tr, category: &str) -> String {
    let key = format!("dsr_report.category.{category}");
    match tr.t(&key) {
        t if t != key => format!("{t} ({category})"),
        _ => category.to_string(),
    }
}

fn purpose_name(tr: Tr, report: &AccessReport, key: &str) -> String {
    if key == "*" {
        return tr.t("dsr_report.all_purposes").into();
    }
    match report.purposes.iter().find(|p| p.purpose == key) {
        Some(p) if tr.lang == Lang::De => p.name_de.clone(),
        Some(p) => p.name_en.clone(),
        None => key.to_string(),
    }
}

fn none_text(tr: Tr) -> Block {
    Block::Text(tr.t("dsr_report.none").into())
}

/// The report as sections of text in `lang`: the one source of the HTML page and the PDF.
pub fn document(report: &AccessReport, lang: Lang) -> Document {
    let tr = Tr::new(lang);
    let r = report;
    let pd = &r.personal_data;
    let dash = |v: &Option<String>| v.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "–".into());
    let mut sections = Vec::new();

    // The controller, and what this document is.
    let c = &r.subject.controller;
    let mut who = Vec::new();
    if let Some(n) = &c.name {
        who.push(f(
            tr.t("dsr_report.controller"),
            [Some(n.clone()), c.address.clone()].into_iter().flatten().collect::<Vec<_>>().join("\n"),
        ));
    }
    if let Some(e) = &c.email {
        who.push(f(
            tr.t("dsr_report.controller_contact"),
            [Some(e.clone()), c.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(", "),
        ));
    }
    if let Some(rep) = &c.representative {
        who.push(f(tr.t("dsr_report.representative"), rep.clone()));
    }
    if c.dpo_name.is_some() || c.dpo_email.is_some() {
        who.push(f(tr.t("dsr_report.dpo"), [c.dpo_name.clone(), c.dpo_email.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ")));
    }
    who.push(f(tr.t("dsr_report.subject_id"), r.subject.id.clone()));
    who.push(f(tr.t("dsr_report.generated_at"), when(tr, &r.subject.generated_at)));
    let mut intro = vec![Block::Text(tr.t("dsr_report.intro").into()), Block::Fields(who)];
    if r.subject.restricted {
        intro.push(Block::Text(tr.t("dsr_report.restricted").into()));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_about").into(), blocks: intro });

    // Art. 15(3): the copy of the data.
    let mut person = Vec::new();
    let opt = |person: &mut Vec<Field>, key: &str, v: &Option<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            person.push(f(tr.t(key), v.clone()));
        }
    };
    opt(&mut person, "dsr_report.salutation", &pd.salutation);
    opt(&mut person, "dsr_report.academic_title", &pd.title);
    opt(&mut person, "dsr_report.given_name", &pd.given_name);
    opt(&mut person, "dsr_report.family_name", &pd.family_name);
    person.push(f(
        tr.t("dsr_report.emails"),
        if pd.emails.is_empty() {
            "–".into()
        } else {
            pd.emails.iter().map(|e| with_label(e.address.to_string(), &e.label)).collect::<Vec<_>>().join("\n")
        },
    ));
    person.push(f(
        tr.t("dsr_report.phones"),
        if pd.phones.is_empty() {
            "–".into()
        } else {
            pd.phones.iter().map(|p| with_label(p.number.to_string(), &p.label)).collect::<Vec<_>>().join("\n")
        },
    ));
    person.push(f(
        tr.t("dsr_report.addresses"),
        if pd.addresses.is_empty() {
            "–".into()
        } else {
            pd.addresses.iter().map(|a| with_label(address_text(a), &a.label)).collect::<Vec<_>>().join("\n")
        },
    ));
    opt(&mut person, "dsr_report.organization", &pd.organization);
    opt(&mut person, "dsr_report.job_title", &pd.job_title);
    if let Some(b) = &pd.birthday {
        person.push(f(tr.t("dsr_report.birthday"), day(tr, b)));
    }
    if let Some(l) = &pd.language {
        person.push(f(tr.t("dsr_report.language"), tr.v("language_name", l)));
    }
    person.push(f(tr.t("dsr_report.kind"), tr.v("contact_kind", &pd.kind)));
    person.push(f(tr.t("dsr_report.tags"), if pd.tags.is_empty() { "–".into() } else { pd.tags.join(", ") }));
    opt(&mut person, "dsr_report.notes", &pd.notes);
    person
        .push(f(tr.t("dsr_report.collected_for"), pd.collected_for.iter().map(|k| purpose_name(tr, r, k)).collect::<Vec<_>>().join(", ")));
    person.push(f(tr.t("dsr_report.created_at"), when(tr, &pd.created_at)));
    person.push(f(tr.t("dsr_report.updated_at"), when(tr, &pd.updated_at)));
    sections.push(Section {
        heading: tr.t("dsr_report.section_personal_data").into(),
        blocks: vec![Block::Text(tr.t("dsr_report.personal_data_intro").into()), Block::Fields(person)],
    });

    // Art. 15(1)(a): purposes and legal bases.
    let mut blocks = vec![Block::Text(tr.t("dsr_report.purposes_intro").into())];
    for p in &r.purposes {
        let name = if lang == Lang::De { &p.name_de } else { &p.name_en };
        let mut fields = vec![
            f(tr.t("dsr_report.description"), p.description.clone()),
            f(
                tr.t("dsr_report.legal_basis"),
                format!(
                    "{} ({})\n{}",
                    tr.v("legal_basis", &p.legal_basis.basis),
                    cite(lang, &p.legal_basis.article),
                    p.legal_basis.reference
                ),
            ),
        ];
        if let Some(s) = &p.legal_basis.special_category_condition {
            fields.push(f(tr.t("dsr_report.special_category"), s.clone()));
        }
        fields.push(f(tr.t("dsr_report.grounds"), p.grounds.iter().map(|g| tr.v("dsr_report.ground", g)).collect::<Vec<_>>().join(", ")));
        fields.push(f(
            tr.t("dsr_report.data_categories"),
            if p.data_categories.is_empty() {
                "–".into()
            } else {
                p.data_categories.iter().map(|c| category_text(tr, c)).collect::<Vec<_>>().join(", ")
            },
        ));
        fields.push(f(tr.t("dsr_report.retention"), p.retention.rule.clone()));
        if !p.active {
            fields.push(f(tr.t("dsr_report.status"), tr.t("dsr_report.purpose_inactive")));
        }
        blocks.push(Block::Entry(Entry { title: format!("{name} ({})", p.purpose), fields }));
    }
    if r.purposes.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_purposes").into(), blocks });

    // Art. 15(1)(b): categories.
    let mut blocks = vec![Block::Text(tr.t("dsr_report.categories_intro").into())];
    blocks.push(Block::Fields(
        r.data_categories
            .iter()
            .map(|c| {
                let purposes = c.purposes.iter().map(|k| purpose_name(tr, r, k)).collect::<Vec<_>>().join(", ");
                f(
                    &category_text(tr, &c.category),
                    format!(
                        "{}: {}\n{}: {}",
                        tr.t("dsr_report.fields"),
                        c.fields.join(", "),
                        tr.t("dsr_report.purposes"),
                        if purposes.is_empty() { "–".into() } else { purposes }
                    ),
                )
            })
            .collect(),
    ));
    sections.push(Section { heading: tr.t("dsr_report.section_categories").into(), blocks });

    // Art. 15(1)(c), 15(2): recipients.
    let mut blocks = vec![Block::Text(tr.t("dsr_report.recipients_intro").into())];
    for x in &r.recipients {
        let mut fields = vec![f(tr.t("dsr_report.recipient_kind"), tr.v("dsr_report.recipient_kind", &x.kind))];
        if let Some(country) = &x.country {
            let third = if x.third_country { tr.t("dsr_report.third_country") } else { tr.t("dsr_report.eea") };
            fields.push(f(tr.t("dsr_report.country"), format!("{country} ({third})")));
        }
        if let Some(m) = &x.transfer_mechanism {
            fields.push(f(tr.t("dsr_report.transfer_mechanism"), tr.v("dsr_report.mechanism", m)));
        }
        if let Some(s) = &x.safeguard {
            fields.push(f(tr.t("dsr_report.safeguard"), s.clone()));
        }
        if !x.purposes.is_empty() {
            fields.push(f(tr.t("dsr_report.purposes"), x.purposes.iter().map(|k| purpose_name(tr, r, k)).collect::<Vec<_>>().join(", ")));
        }
        fields.push(f(
            tr.t("dsr_report.known_from"),
            x.known_from.iter().map(|k| tr.v("dsr_report.known", k)).collect::<Vec<_>>().join(", "),
        ));
        if !x.disclosures.is_empty() {
            fields.push(f(
                tr.t("dsr_report.disclosures"),
                x.disclosures
                    .iter()
                    .map(|d| {
                        let how = if d.how == "audience_export" {
                            tr.t("dsr_report.audience_export").to_string()
                        } else {
                            action_text(tr, &d.how)
                        };
                        let channel = d.channel.as_deref().map(|c| format!(", {}", tr.v("consent.channel", c))).unwrap_or_default();
                        format!("{}: {how}, {}{channel}", when(tr, &d.at), purpose_name(tr, r, &d.purpose))
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
        blocks.push(Block::Entry(Entry { title: x.recipient.clone(), fields }));
    }
    if r.recipients.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_recipients").into(), blocks });

    // Art. 15(1)(d): storage period or its criteria.
    let mut blocks = vec![Block::Text(tr.t("dsr_report.retention_intro").into())];
    blocks.push(Block::Fields(
        r.retention
            .iter()
            .map(|e| {
                let rules: Vec<String> = e.rules.iter().map(|x| format!("{}: {}", purpose_name(tr, r, &x.purpose), x.rule)).collect();
                f(
                    &category_text(tr, &e.data_category),
                    if rules.is_empty() { tr.t("dsr_report.retention_none").into() } else { rules.join("\n") },
                )
            })
            .collect(),
    ));
    sections.push(Section { heading: tr.t("dsr_report.section_retention").into(), blocks });

    // Art. 15(1)(g): source.
    let s = &r.source;
    let mut fields = vec![f(tr.t("dsr_report.origin"), tr.v("dsr_report.source", &s.origin_source))];
    if let Some(d) = &s.origin_detail {
        fields.push(f(tr.t("dsr_report.origin_detail"), d.clone()));
    }
    fields.push(f(
        tr.t("dsr_report.from_subject"),
        match s.collected_from_subject {
            Some(true) => tr.t("dsr_report.from_subject_yes"),
            Some(false) => tr.t("dsr_report.from_subject_no"),
            None => tr.t("dsr_report.from_subject_staff"),
        },
    ));
    fields.push(f(tr.t("dsr_report.recorded"), format!("{}, {}", when(tr, &s.recorded_at), actor_text(tr, &s.recorded_by))));
    sections.push(Section { heading: tr.t("dsr_report.section_source").into(), blocks: vec![Block::Fields(fields)] });

    // Consents and objections.
    let mut blocks = Vec::new();
    for st in &r.consents.consents {
        let status = format!("{:?}", st.status).to_lowercase();
        let mut fields = vec![
            f(tr.t("dsr_report.channel"), tr.v("consent.channel", st.channel.as_str())),
            f(tr.t("dsr_report.status"), tr.v("consent.status", &status)),
        ];
        if !st.topic.is_empty() {
            fields.push(f(tr.t("dsr_report.topic"), st.topic.clone()));
        }
        if let Some(t) = st.since {
            fields.push(f(tr.t("dsr_report.since"), fmt::datetime(lang, t)));
        }
        if let Some(t) = st.last_used {
            fields.push(f(tr.t("dsr_report.last_used"), fmt::datetime(lang, t)));
        }
        blocks.push(Block::Entry(Entry { title: purpose_name(tr, r, &st.purpose), fields }));
    }
    if !r.consents.objections.is_empty() {
        blocks.push(Block::Fields(vec![f(
            tr.t("dsr_report.objections"),
            r.consents.objections.iter().map(|c| tr.v("consent.channel", c.as_str())).collect::<Vec<_>>().join(", "),
        )]));
    }
    if !r.consents.events.is_empty() {
        blocks.push(Block::Fields(
            r.consents
                .events
                .iter()
                .map(|e| {
                    let mut v = format!(
                        "{}, {}, {}",
                        purpose_name(tr, r, &e.purpose),
                        tr.v("consent.channel", e.channel.as_str()),
                        tr.v("consent.method", e.method.as_str())
                    );
                    if let Some(n) = &e.notice {
                        v.push_str(&format!("\n{} {} ({}), SHA-256 {}", tr.t("dsr_report.notice"), n.version, n.language, n.sha256));
                    }
                    if let Some(ev) = &e.evidence {
                        let parts: Vec<String> =
                            [&ev.address, &ev.recording_ref, &ev.ip, &ev.reason, &ev.note].into_iter().flatten().cloned().collect();
                        if !parts.is_empty() {
                            v.push_str(&format!("\n{}: {}", tr.t("dsr_report.evidence"), parts.join(", ")));
                        }
                    }
                    f(&format!("{} · {}", fmt::datetime(lang, e.at), tr.v("consent.kind", e.kind.as_str())), v)
                })
                .collect(),
        ));
    }
    if blocks.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_consents").into(), blocks });

    // What is held across the records.
    let mut blocks: Vec<Block> = r
        .activities
        .iter()
        .map(|a| {
            let mut fields = vec![f(tr.t("dsr_report.subject_line"), a.subject.clone())];
            if let Some(b) = &a.body {
                fields.push(f(tr.t("dsr_report.body"), b.clone()));
            }
            fields.push(f(tr.t("dsr_report.recorded_by"), actor_text(tr, &a.recorded_by)));
            Block::Entry(Entry { title: format!("{} · {}", when(tr, &a.occurred_at), tr.v("activity_kind", &a.kind)), fields })
        })
        .collect();
    if blocks.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_activities").into(), blocks });
    let mut blocks: Vec<Block> = r
        .deals
        .iter()
        .map(|d| {
            let mut fields = vec![f(tr.t("dsr_report.stage"), dash(&d.stage))];
            if let Some(a) = d.amount_cents {
                fields.push(f(tr.t("dsr_report.amount"), fmt::amount(lang, a, &d.currency)));
            }
            if let Some(e) = &d.expected_close_on {
                fields.push(f(tr.t("dsr_report.expected_close"), day(tr, e)));
            }
            fields.push(f(tr.t("dsr_report.created_at"), when(tr, &d.created_at)));
            Block::Entry(Entry { title: d.title.clone(), fields })
        })
        .collect();
    if blocks.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_deals").into(), blocks });
    let mut blocks: Vec<Block> = r
        .tickets
        .iter()
        .map(|t| {
            let mut fields = vec![
                f(tr.t("dsr_report.ticket_kind"), tr.v("ticket_kind", &t.kind)),
                f(tr.t("dsr_report.status"), tr.v("ticket_status", &t.status)),
            ];
            if let Some(d) = &t.description {
                fields.push(f(tr.t("dsr_report.body"), d.clone()));
            }
            fields.push(f(tr.t("dsr_report.created_at"), when(tr, &t.created_at)));
            Block::Entry(Entry { title: format!("#{} {}", t.number, t.title), fields })
        })
        .collect();
    if blocks.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_tickets").into(), blocks });

    // The trail: who did what, when, why.
    let mut blocks = vec![Block::Text(tr.t("dsr_report.audit_intro").into())];
    if r.subject.audit_events_omitted > 0 {
        blocks.push(Block::Text(tr.f("dsr_report.audit_omitted", r.subject.audit_events_omitted)));
    }
    for e in &r.audit_trail {
        let mut fields = vec![f(tr.t("dsr_report.actor"), actor_text(tr, &e.actor))];
        if !e.fields.is_empty() {
            fields.push(f(tr.t("dsr_report.fields"), e.fields.join(", ")));
        }
        if let Some(p) = &e.purpose {
            fields.push(f(tr.t("dsr_report.purpose"), purpose_name(tr, r, p)));
        }
        if let Some(x) = &e.recipient {
            fields.push(f(tr.t("dsr_report.recipient"), x.clone()));
        }
        if let Some(d) = &e.detail {
            let (before, after) = (&d["before"], &d["after"]);
            let changes: Vec<String> = match after.as_object() {
                Some(o) => o
                    .iter()
                    .map(|(k, a)| {
                        format!("{k}: {} „{}“, {} „{}“", tr.t("dsr_report.before"), plain(&before[k]), tr.t("dsr_report.after"), plain(a))
                    })
                    .collect(),
                None => vec![plain(d)],
            };
            fields.push(f(tr.t("dsr_report.changes"), changes.join("\n")));
        }
        blocks.push(Block::Entry(Entry { title: format!("{} · {}", when(tr, &e.at), action_text(tr, &e.action)), fields }));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_audit").into(), blocks });

    // Art. 15(1)(h).
    sections.push(Section {
        heading: tr.t("dsr_report.section_automated").into(),
        blocks: vec![Block::Text(tr.t("dsr_report.automated_none").into())],
    });

    // Art. 15(1)(e), (f): rights.
    let mut fields: Vec<Field> = r
        .rights
        .iter()
        .map(|x| {
            f(&format!("{} ({})", tr.v("dsr_report.right", &x.right), cite(lang, &x.article)), tr.v("dsr_report.right_text", &x.right))
        })
        .collect();
    if let Some(e) = c.dpo_email.as_ref().or(c.email.as_ref()) {
        fields.push(f(tr.t("dsr_report.how_to_exercise"), e.clone()));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_rights").into(), blocks: vec![Block::Fields(fields)] });

    let mut subtitle = vec![format!("{}: {}", tr.t("dsr_report.generated_at"), when(tr, &r.subject.generated_at))];
    let name = [pd.given_name.as_deref(), pd.family_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if !name.is_empty() {
        subtitle.insert(0, format!("{}: {name}", tr.t("dsr_report.for")));
    }
    Document {
        lang: lang.code(),
        title: tr.t("dsr_report.title").into(),
        subtitle,
        sections,
        footer: tr.t("dsr_report.footer").into(),
        page_of: tr.t("dsr_report.page_of").into(),
        pdf_link_label: tr.t("dsr_report.pdf_link").into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Art. 20: portability

/// Activities that are the person's own messages and transactions: mails, complaints, orders.
const OWN_ACTIVITY_KINDS: [&str; 3] = ["email", "complaint", "order"];

/// Ledger events that are the person's own declarations.
fn own_declaration(kind: obhut_core::consent::EventKind) -> bool {
    use obhut_core::consent::EventKind as K;
    matches!(kind, K::Given | K::Confirmed | K::Renewed | K::Refused | K::Withdrawn | K::Objected | K::ObjectionLifted)
}

/// The Art. 20 archive: one zip file with `data.json`, `data.csv` and `contact.vcf`, holding
/// the data the person provided: the contact's fields, their consent declarations, their
/// tickets and their own messages. Audited as `dsr.portability`.
pub async fn portability(app: &App, actor: &Actor, contact_id: &str) -> ServiceResult<Vec<u8>> {
    let record = authorize(app, actor, contact_id, Request::Portability).await?;
    let sid = record.id.to_string();
    let h = holdings(app, actor, &record).await?;
    let consents = super::consent::overview(app, actor, &sid).await?;
    let p = &record.personal;
    let now = app.now_ms();

    let contact = json!({
        "id": sid,
        "kind": record.kind.as_str(),
        "salutation": p.salutation,
        "title": p.title,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "emails": p.emails.iter().map(|e| json!({"address": e.address.to_string(), "label": e.label})).collect::<Vec<_>>(),
        "phones": p.phones.iter().map(|e| json!({"number": e.number.to_string(), "label": e.label})).collect::<Vec<_>>(),
        "addresses": p.addresses.iter().map(|a| json!({"label": a.label, "street": a.street, "postal_code": a.postal_code, "city": a.city, "country": a.country})).collect::<Vec<_>>(),
        "organization": record.organization_name,
        "job_title": p.job_title,
        "birthday": p.birthday.map(|b| b.to_string()),
        "language": record.language,
    });
    let declarations: Vec<Value> = consents
        .events
        .iter()
        .filter(|e| own_declaration(e.kind))
        .map(|e| {
            json!({"at": rfc(e.at), "kind": e.kind.as_str(), "purpose": e.purpose, "channel": e.channel.as_str(), "topic": e.topic,
                "method": e.method.as_str(), "notice": e.notice.as_ref().map(|n| json!({"version": n.version, "language": n.language, "sha256": n.sha256}))})
        })
        .collect();
    let tickets: Vec<Value> = h
        .tickets
        .iter()
        .map(|t| {
            json!({"number": t.number, "created_at": rfc(t.created_at), "kind": t.draft.kind.as_str(), "status": t.draft.status.as_str(),
                "title": t.draft.text.title, "description": t.draft.text.description})
        })
        .collect();
    let messages: Vec<Value> = h
        .activities
        .iter()
        .filter(|a| OWN_ACTIVITY_KINDS.contains(&a.kind.as_str()))
        .map(|a| json!({"at": rfc(a.occurred_at), "kind": a.kind.as_str(), "subject": a.text.subject, "body": a.text.body}))
        .collect();
    let data = json!({
        "format": "Obhut data export (Art. 20 GDPR)",
        "generated_at": rfc(now),
        "contact": contact,
        "consents": declarations,
        "tickets": tickets,
        "messages": messages,
    });
    let json_bytes = serde_json::to_vec_pretty(&data).map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))?;
    let csv_bytes = portability_csv(&data)?;
    // What staff wrote about the person (notes, tags) is not data the person provided.
    let mut own = p.clone();
    own.notes = None;
    let vcf = obhut_core::vcard::write_vcard(&sid, record.kind, &own, record.organization_name.as_deref(), record.language.as_deref(), &[]);
    let zip = zip_files(now, &[("data.json", &json_bytes), ("data.csv", &csv_bytes), ("contact.vcf", vcf.as_bytes())])?;
    let fields = vec![
        "files=data.json,data.csv,contact.vcf".to_string(),
        format!("consents={}", declarations.len()),
        format!("tickets={}", tickets.len()),
        format!("messages={}", messages.len()),
    ];
    audit(app, actor, "dsr.portability", &sid, fields).await?;
    Ok(zip)
}

/// The export as one table: `section, record, at, field, value`, one row per value, every
/// cell guarded against spreadsheet formulas.
fn portability_csv(data: &Value) -> ServiceResult<Vec<u8>> {
    let err = |e: csv::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(["section", "record", "at", "field", "value"]).map_err(err)?;
    let g = obhut_core::import::guard;
    let row = |w: &mut csv::Writer<Vec<u8>>, section: &str, record: &str, at: &str, field: &str, value: &Value| -> ServiceResult<()> {
        let text = match value {
            Value::Null => return Ok(()),
            Value::String(s) if s.is_empty() => return Ok(()),
            Value::String(s) => s.clone(),
            other => plain(other),
        };
        // E.164 numbers (`+` and digits) are no formula, and a guard would spoil them.
        let e164 = text.strip_prefix('+').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        let text = if e164 { text } else { g(&text) };
        w.write_record([section, &g(record), at, field, &text]).map_err(err)
    };
    if let Some(c) = data["contact"].as_object() {
        let id = c.get("id").and_then(Value::as_str).unwrap_or("");
        for (k, v) in c {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        row(&mut w, "contact", id, "", &format!("{k}[{i}]"), item)?;
                    }
                }
                _ if k == "id" => {}
                _ => row(&mut w, "contact", id, "", k, v)?,
            }
        }
    }
    for (section, key) in [("consent", "consents"), ("ticket", "tickets"), ("message", "messages")] {
        for (i, item) in data[key].as_array().into_iter().flatten().enumerate() {
            let at = item.get("at").or_else(|| item.get("created_at")).and_then(Value::as_str).unwrap_or("");
            let rec = match item.get("number") {
                Some(n) => n.to_string(),
                None => (i + 1).to_string(),
            };
            for (k, v) in item.as_object().into_iter().flatten() {
                if k != "at" && k != "created_at" {
                    row(&mut w, section, &rec, at, k, v)?;
                }
            }
        }
    }
    w.into_inner().map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))
}

/// A zip file (deflate) of named files, dated `now`.
fn zip_files(now: i64, files: &[(&str, &[u8])]) -> ServiceResult<Vec<u8>> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let err = |e: zip::result::ZipError| ServiceError::Internal(format!("writing the archive: {e}"));
    let t = obhut_core::clock::from_millis(now);
    let mut options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o644);
    if let Ok(dt) = zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    ) {
        options = options.last_modified_time(dt);
    }
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        z.start_file(*name, options).map_err(err)?;
        z.write_all(bytes).map_err(|e| ServiceError::Internal(format!("writing the archive: {e}")))?;
    }
    Ok(z.finish().map_err(err)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_actors_are_told_by_role_and_surface_not_by_name() {
        let roles: HashMap<String, String> = [("0193".to_string(), "dpo".to_string())].into_iter().collect();
        assert_eq!(actor_out("ui:user:0193", &roles), ActorOut::Staff { role: "dpo".into(), channel: "ui".into() });
        assert_eq!(actor_out("cli:root", &roles), ActorOut::Operator);
        assert_eq!(actor_out("job:consent-review", &roles), ActorOut::Job { name: "consent-review".into() });
        assert_eq!(actor_out("data-subject", &roles), ActorOut::DataSubject);
        assert_eq!(actor_out("", &roles), ActorOut::Unknown);
    }

    #[test]
    fn values_of_changes_read_as_text() {
        assert_eq!(plain(&json!("a")), "a");
        assert_eq!(plain(&Value::Null), "–");
        assert_eq!(
            plain(&json!([{"address": "x@example.org"}, {"address": "y@example.org", "label": "work"}])),
            "x@example.org; y@example.org"
        );
        assert_eq!(plain(&json!([{"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}])), "Hauptstr. 1, 10115, Berlin");
    }

    #[test]
    fn every_text_the_document_uses_exists_in_both_languages() {
        use crate::web::i18n::t;
        let src = include_str!("dsr_report.rs");
        let mut keys: Vec<String> = Vec::new();
        for (i, _) in src.match_indices(".t(\"dsr_report.") {
            let rest = &src[i + 4..];
            if let Some(end) = rest.find('"') {
                keys.push(rest[..end].to_string());
            }
        }
        let rights: Vec<String> = rights().into_iter().map(|r| r.right).collect();
        let roles: Vec<&str> = obhut_core::user::Role::ALL.iter().map(|r| r.as_str()).collect();
        let families: [(&str, Vec<&str>); 10] = [
            ("dsr_report.role", roles),
            ("dsr_report.channel", vec!["ui", "api", "cli", "job"]),
            ("dsr_report.ground", vec!["collection", "compatible", "consent", "disclosure"]),
            ("dsr_report.known", vec!["disclosure_log", "audit_trail", "processor_registry", "purpose_registry"]),
            ("dsr_report.mechanism", obhut_core::processor::TRANSFER_MECHANISMS.to_vec()),
            ("dsr_report.source", vec!["api", "ui", "cli", "import", "demo", "web_form"]),
            ("dsr_report.recipient_kind", vec!["internal", "processor", "third_party", "authority", "named"]),
            ("dsr_report.right", rights.iter().map(String::as_str).collect()),
            ("dsr_report.right_text", rights.iter().map(String::as_str).collect()),
            (
                "dsr_report.category",
                obhut_core::fields::CATALOG.iter().map(|d| d.category).chain([PRIVACY_PREFERENCES, "user.contact.organization"]).collect(),
            ),
        ];
        for (prefix, values) in families {
            keys.extend(values.into_iter().map(|v| format!("{prefix}.{v}")));
        }
        assert!(keys.len() > 100);
        for lang in [Lang::De, Lang::En] {
            let missing: Vec<&String> = keys.iter().filter(|k| t(lang, k) == k.as_str()).collect();
            assert!(missing.is_empty(), "{lang:?}: {missing:?}");
        }
    }

    #[test]
    fn articles_are_cited_as_each_language_cites_them() {
        assert_eq!(cite(Lang::De, "Art. 6(1)(b) GDPR"), "Art. 6 Abs. 1 lit. b DSGVO");
        assert_eq!(cite(Lang::De, "Art. 7(3) GDPR"), "Art. 7 Abs. 3 DSGVO");
        assert_eq!(cite(Lang::De, "Art. 77 GDPR"), "Art. 77 DSGVO");
        assert_eq!(cite(Lang::En, "Art. 6(1)(b) GDPR"), "Art. 6(1)(b) GDPR");
    }

    #[test]
    fn formats_and_languages_are_parsed_at_the_edge() {
        assert_eq!(Format::parse("PDF"), Ok(Format::Pdf));
        assert!(Format::parse("docx").is_err());
        assert_eq!(parse_lang("en"), Ok(Lang::En));
        assert!(parse_lang("fr").is_err());
    }
}
