//! The Art. 15 report as data: what is held about a person and why, in the shape the JSON
//! answer has and the document is written from.

use obhut_core::contact::{EmailEntry, PhoneEntry, PostalAddress};
use serde::Serialize;
use serde_json::Value;

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
    /// Tasks and follow-ups staff keep about the person (on the contact, its deals or tickets).
    pub tasks: Vec<TaskEntry>,
    /// The consent ledger with the derived states and permissions.
    pub consents: crate::services::consent::Overview,
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
    /// The conversation: replies to the person, their answers, and staff's internal comments.
    pub messages: Vec<TicketMessageEntry>,
}

#[derive(Clone, Serialize)]
pub struct TicketMessageEntry {
    /// reply, inbound or comment.
    pub kind: String,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Serialize)]
pub struct TaskEntry {
    pub id: String,
    pub number: i64,
    pub kind: String,
    pub title: String,
    pub notes: Option<String>,
    pub due_on: Option<String>,
    pub done: bool,
    pub created_at: String,
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
    /// The rule in German (the English where the registry has no German text).
    pub rule_de: String,
    pub days: Option<u32>,
}

impl RetentionRule {
    /// The rule in the report's language.
    pub fn rule_in(&self, lang: crate::i18n::Lang) -> &str {
        if lang == crate::i18n::Lang::De { &self.rule_de } else { &self.rule }
    }
}

#[derive(Clone, Serialize)]
pub struct PurposeEntry {
    pub purpose: String,
    pub name_de: String,
    pub name_en: String,
    pub description: String,
    /// The description in German (the English where the registry has no German text).
    pub description_de: String,
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
