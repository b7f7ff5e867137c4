//! Purposes of processing and the record of processing activities (Art. 30(1) GDPR).
//!
//! A purpose is the unit the GDPR reasons in: what is done with personal data, on which legal
//! basis, about whom, with which data, shared with whom, kept how long, protected how. The
//! registry of purposes *is* the Art. 30 record; the export renders it.

use serde::{Deserialize, Serialize};

/// Art. 6(1) legal bases, with their DPV and DPV-GDPR identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterest,
    PublicTask,
    LegitimateInterest,
}

impl LegalBasis {
    pub const ALL: [Self; 6] =
        [Self::Consent, Self::Contract, Self::LegalObligation, Self::VitalInterest, Self::PublicTask, Self::LegitimateInterest];

    /// The key as stored and in forms (`consent`, `legitimate_interest` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Contract => "contract",
            Self::LegalObligation => "legal_obligation",
            Self::VitalInterest => "vital_interest",
            Self::PublicTask => "public_task",
            Self::LegitimateInterest => "legitimate_interest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The letter of Art. 6(1): `a` for consent … `f` for legitimate interest.
    pub fn letter(self) -> char {
        match self {
            Self::Consent => 'a',
            Self::Contract => 'b',
            Self::LegalObligation => 'c',
            Self::VitalInterest => 'd',
            Self::PublicTask => 'e',
            Self::LegitimateInterest => 'f',
        }
    }

    pub fn article(self) -> &'static str {
        match self {
            Self::Consent => "Art. 6(1)(a) GDPR",
            Self::Contract => "Art. 6(1)(b) GDPR",
            Self::LegalObligation => "Art. 6(1)(c) GDPR",
            Self::VitalInterest => "Art. 6(1)(d) GDPR",
            Self::PublicTask => "Art. 6(1)(e) GDPR",
            Self::LegitimateInterest => "Art. 6(1)(f) GDPR",
        }
    }
    /// The DPV-GDPR identifier (`eu-gdpr:A6-1-a` …).
    pub fn dpv_gdpr(self) -> &'static str {
        match self {
            Self::Consent => "eu-gdpr:A6-1-a",
            Self::Contract => "eu-gdpr:A6-1-b",
            Self::LegalObligation => "eu-gdpr:A6-1-c",
            Self::VitalInterest => "eu-gdpr:A6-1-d",
            Self::PublicTask => "eu-gdpr:A6-1-e",
            Self::LegitimateInterest => "eu-gdpr:A6-1-f",
        }
    }
    /// The DPV legal basis concept.
    pub fn dpv(self) -> &'static str {
        match self {
            Self::Consent => "dpv:Consent",
            Self::Contract => "dpv:Contract",
            Self::LegalObligation => "dpv:LegalObligation",
            Self::VitalInterest => "dpv:VitalInterest",
            Self::PublicTask => "dpv:PublicTask",
            Self::LegitimateInterest => "dpv:LegitimateInterest",
        }
    }
}

/// Whom data is disclosed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recipient {
    pub name: String,
    /// internal, processor, third_party, authority.
    pub kind: String,
    /// ISO country code where the recipient processes the data.
    pub country: String,
}

/// A transfer to a third country (Art. 44–49) and what makes it lawful.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    pub country: String,
    pub recipient: String,
    /// adequacy_decision, standard_contractual_clauses, binding_corporate_rules, art_49_derogation.
    pub mechanism: String,
    /// Where the safeguard is documented (the signed SCCs, the adequacy decision …).
    pub safeguard_document: String,
}

/// One purpose of processing: an Art. 30(1) entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Purpose {
    /// Our key, e.g. `newsletter`.
    pub key: String,
    pub name_de: String,
    pub name_en: String,
    /// What the processing is, in English (the Art. 30 record's and the UI's text in English).
    pub description: String,
    /// The same in German (empty: the English text is shown).
    #[serde(default)]
    pub description_de: String,
    /// The DPV purpose concept, e.g. `dpv:DirectMarketing`.
    pub dpv_purpose: String,
    pub legal_basis: LegalBasis,
    /// An Art. 9(2) condition where special categories are processed (`A9-2-a` …).
    pub special_category_condition: Option<String>,
    /// The norm or assessment behind the basis: "§ 147 AO", "§ 7 Abs. 3 UWG", the
    /// legitimate-interest assessment and where it lies.
    pub basis_reference: String,
    /// customer, prospect, supplier_vendor, employee …
    pub data_subject_categories: Vec<String>,
    /// fideslang-style data categories, e.g. `user.contact.email`.
    pub data_categories: Vec<String>,
    pub recipients: Vec<Recipient>,
    pub transfers: Vec<Transfer>,
    /// The time limit for erasure: start point and period, in words and in days.
    pub retention_rule: String,
    /// The time limit in German (empty: the English text is shown).
    #[serde(default)]
    pub retention_rule_de: String,
    pub retention_days: Option<u32>,
    /// Technical and organisational measures (Art. 32(1)) that apply beyond the general ones.
    pub measures: Vec<String>,
    /// The measures in German (empty: the English ones are shown).
    #[serde(default)]
    pub measures_de: Vec<String>,
    pub dpia_required: bool,
    /// Purposes data collected for this one may also serve (Art. 6(4) compatibility).
    pub compatible_with: Vec<String>,
    pub active: bool,
    /// Set by the registry on every change.
    #[serde(default)]
    pub version: i64,
    /// The last review, `YYYY-MM-DD`.
    pub last_review: String,
}

impl Purpose {
    /// The description in `lang` ("de" or "en"), the English where no German is given.
    pub fn description_in(&self, lang: &str) -> &str {
        if lang == "de" && !self.description_de.trim().is_empty() { &self.description_de } else { &self.description }
    }

    /// The retention rule in `lang`, the English where no German is given.
    pub fn retention_rule_in(&self, lang: &str) -> &str {
        if lang == "de" && !self.retention_rule_de.trim().is_empty() { &self.retention_rule_de } else { &self.retention_rule }
    }

    /// The measures in `lang`, the English where no German are given.
    pub fn measures_in(&self, lang: &str) -> &[String] {
        if lang == "de" && !self.measures_de.is_empty() { &self.measures_de } else { &self.measures }
    }

    /// Gives a purpose whose English texts are still the defaults the default German ones
    /// (an installation from before there were German texts); texts written by a DPO stay.
    pub fn with_default_texts(mut self) -> Self {
        if let Some((_, d, r)) = crate::purpose_texts::DEFAULT_DE.iter().find(|(k, _, _)| *k == self.key) {
            let default = default_purposes("").into_iter().find(|p| p.key == self.key);
            if let Some(def) = default {
                if self.description_de.is_empty() && self.description == def.description {
                    self.description_de = (*d).to_string();
                }
                if self.retention_rule_de.is_empty() && self.retention_rule == def.retention_rule {
                    self.retention_rule_de = (*r).to_string();
                }
            }
        }
        self
    }

    /// What the registry refuses: a purpose without legal basis reference, subjects or data.
    pub fn check(&self) -> Result<(), String> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 64
            && self.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err("key: use 1–64 lowercase letters, digits and _".into());
        }
        if self.name_de.trim().is_empty() || self.name_en.trim().is_empty() {
            return Err("name: give the name in German and English".into());
        }
        if self.basis_reference.trim().is_empty() {
            return Err("basis_reference: name the norm or the legitimate-interest assessment behind the legal basis".into());
        }
        if self.data_subject_categories.is_empty() {
            return Err("data_subject_categories: name whose data this purpose processes".into());
        }
        if self.data_categories.is_empty() {
            return Err("data_categories: name the data this purpose processes".into());
        }
        if self.retention_rule.trim().is_empty() {
            return Err("retention_rule: give the time limit for erasure".into());
        }
        if let Some(t) = self.transfers.iter().find(|t| t.mechanism.trim().is_empty() || t.safeguard_document.trim().is_empty()) {
            return Err(format!("transfers: the transfer to {} needs its mechanism and safeguard document", t.country));
        }
        Ok(())
    }
}

/// Controller and DPO of the installation: Art. 30(1)(a).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    pub name: String,
    pub address: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// The representative in the Union (Art. 27), where the controller has none established.
    pub representative: Option<String>,
    pub joint_controllers: Vec<String>,
    pub dpo_name: String,
    pub dpo_email: String,
    /// Measures that apply to every purpose (Art. 30(1)(g), Art. 32(1)), in English.
    pub general_measures: Vec<String>,
    /// The same in German (empty: the English ones are shown).
    #[serde(default)]
    pub general_measures_de: Vec<String>,
    /// The controller's privacy notice (Art. 13) on the web, linked from the public pages.
    #[serde(default)]
    pub privacy_notice_url: Option<String>,
    /// The imprint (Impressum, § 5 DDG), linked from the public pages.
    #[serde(default)]
    pub imprint_url: Option<String>,
}

impl Controller {
    /// The general measures in `lang`, the English where no German are given (and the default
    /// German where the English are still the defaults).
    pub fn general_measures_in(&self, lang: &str) -> Vec<String> {
        if lang != "de" {
            return self.general_measures.clone();
        }
        if !self.general_measures_de.is_empty() {
            return self.general_measures_de.clone();
        }
        if self.general_measures == Controller::default().general_measures {
            return crate::purpose_texts::GENERAL_MEASURES_DE.iter().map(|m| m.to_string()).collect();
        }
        self.general_measures.clone()
    }

    /// Whether a value is still the placeholder of a new installation ("(to be completed…)").
    pub fn is_placeholder(value: &str) -> bool {
        value.trim().starts_with("(to be completed")
    }
    /// What the record needs of the controller (Art. 30(1)(a)): name, address and a way to
    /// reach the controller and the DPO. Returns `field: message` like [`Purpose::check`].
    pub fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name: give the controller's name".into());
        }
        if self.address.trim().is_empty() {
            return Err("address: give the controller's postal address".into());
        }
        if crate::email::EmailAddress::parse(&self.email).is_err() {
            return Err("email: give a valid email address of the controller".into());
        }
        if self.dpo_name.trim().is_empty() {
            return Err("dpo_name: name the data protection officer".into());
        }
        if crate::email::EmailAddress::parse(&self.dpo_email).is_err() {
            return Err("dpo_email: give a valid email address of the data protection officer".into());
        }
        for (field, url) in [("privacy_notice_url", &self.privacy_notice_url), ("imprint_url", &self.imprint_url)] {
            if url
                .as_deref()
                .is_some_and(|u| !u.starts_with("https://") || u.len() > 500 || u.chars().any(|c| c.is_whitespace() || c.is_control()))
            {
                return Err(format!("{field}: give a web address starting with https://"));
            }
        }
        Ok(())
    }
}

impl Default for Controller {
    fn default() -> Self {
        Self {
            name: "(to be completed: the company's legal name)".into(),
            address: "(to be completed: postal address)".into(),
            email: "(to be completed)".into(),
            phone: None,
            representative: None,
            joint_controllers: vec![],
            dpo_name: "(to be completed: data protection officer)".into(),
            dpo_email: "(to be completed)".into(),
            general_measures: vec![
                "Personal data encrypted at rest per data subject (XChaCha20-Poly1305), keys wrapped by a master key kept apart from the data".into(),
                "Access only through the privacy gate: authenticated staff, role and purpose checked on every read and write".into(),
                "Tamper-evident audit log (SHA-256 hash chain with a signed head) of every change and every read of personal data".into(),
                "Passwords hashed with Argon2id; sessions with HttpOnly, SameSite cookies; CSRF protection; failed logins throttled".into(),
                "Transport encryption (TLS) in front of the server; the server listens on localhost unless configured otherwise".into(),
                "Backups encrypted; erasure reaches backups by destroying the subject's key".into(),
            ],
            privacy_notice_url: None,
            imprint_url: None,
            general_measures_de: vec![],
        }
    }
}

/// One row of the default table below, in the order of its columns.
#[allow(clippy::too_many_arguments)]
fn p(
    key: &str,
    name_de: &str,
    name_en: &str,
    description: &str,
    dpv_purpose: &str,
    legal_basis: LegalBasis,
    basis_reference: &str,
    subjects: &[&str],
    data: &[&str],
    retention: (&str, Option<u32>),
) -> Purpose {
    Purpose {
        key: key.into(),
        name_de: name_de.into(),
        name_en: name_en.into(),
        description: description.into(),
        dpv_purpose: dpv_purpose.into(),
        legal_basis,
        special_category_condition: None,
        basis_reference: basis_reference.into(),
        data_subject_categories: subjects.iter().map(|s| s.to_string()).collect(),
        data_categories: data.iter().map(|s| s.to_string()).collect(),
        recipients: vec![Recipient { name: "Sales and service staff".into(), kind: "internal".into(), country: "DE".into() }],
        transfers: vec![],
        retention_rule: retention.0.into(),
        retention_rule_de: String::new(),
        retention_days: retention.1,
        measures: vec![],
        measures_de: vec![],
        description_de: String::new(),
        dpia_required: false,
        compatible_with: vec![],
        active: true,
        version: 1,
        last_review: String::new(),
    }
}

/// The purpose under which the DPO and administrators read what a data subject request needs.
pub const DATA_SUBJECT_RIGHTS: &str = "data_subject_rights";

/// The registry a new installation starts with: what a German company's CRM typically does.
pub fn default_purposes(today: &str) -> Vec<Purpose> {
    let mut v = vec![
        p(
            "contract",
            "Vertragsdurchführung",
            "Contract performance",
            "Preparing, concluding and performing contracts with customers: offers, orders, delivery, invoicing, correspondence and notes on it; the date of birth where the contract needs proof of identity or legal age.",
            "dpv:ServiceProvision",
            LegalBasis::Contract,
            "Art. 6(1)(b) GDPR: the contract or steps at the customer's request before it",
            &["customer", "prospect"],
            &[
                "user.name",
                "user.contact.email",
                "user.contact.phone_number",
                "user.contact.address",
                "user.contact.organization",
                "user.job_title",
                "user.demographic.date_of_birth",
                "user.content",
            ],
            ("3 years after the end of the calendar year of the last contract contact (§ 195 BGB limitation period), unless a retention duty applies", Some(3 * 365)),
        ),
        p(
            "customer_service",
            "Kundenservice",
            "Customer service",
            "Answering enquiries, handling complaints and service cases (tickets) of customers.",
            "dpv:CustomerCare",
            LegalBasis::Contract,
            "Art. 6(1)(b) GDPR; for enquiries outside a contract Art. 6(1)(f), interest in answering the enquiry",
            &["customer", "prospect"],
            &["user.name", "user.contact.email", "user.contact.phone_number", "user.contact.address", "user.content"],
            ("3 years after the case was closed", Some(3 * 365)),
        ),
        p(
            "accounting_retention",
            "Aufbewahrung nach Handels- und Steuerrecht",
            "Retention under commercial and tax law",
            "Keeping business letters, vouchers and books for the statutory periods; the data is restricted, not used otherwise.",
            "dpv:LegalCompliance",
            LegalBasis::LegalObligation,
            "§ 257 HGB, § 147 AO (10 years books, 8 years vouchers, 6 years business letters)",
            &["customer", "supplier_vendor"],
            &["user.name", "user.contact.address", "user.contact.organization", "user.financial.bank_account"],
            ("6, 8 or 10 years from the end of the calendar year in which the document was made or received, by document type", Some(10 * 365)),
        ),
        p(
            "newsletter",
            "Newsletter per E-Mail",
            "Newsletter by email",
            "Sending the newsletter to people who asked for it by double opt-in.",
            "dpv:DirectMarketing",
            LegalBasis::Consent,
            "Art. 6(1)(a) GDPR with § 7 Abs. 2 Nr. 2 UWG (prior express consent, double opt-in); for existing customers § 7 Abs. 3 UWG",
            &["customer", "prospect"],
            &["user.name", "user.contact.email"],
            ("Until consent is withdrawn; proof of consent kept 3 years after", None),
        ),
        p(
            "phone_marketing",
            "Telefonwerbung",
            "Phone marketing",
            "Calls offering our products to consumers who consented and to businesses with a presumed consent.",
            "dpv:DirectMarketing",
            LegalBasis::Consent,
            "§ 7 Abs. 2 Nr. 1 UWG: prior express consent of consumers, presumed consent of businesses; § 7a UWG proof kept 5 years",
            &["customer", "prospect"],
            &["user.name", "user.contact.phone_number"],
            ("Until consent is withdrawn or objected to; consent proof 5 years after it was given and after each use (§ 7a UWG)", Some(5 * 365)),
        ),
        p(
            "postal_marketing",
            "Briefwerbung",
            "Postal marketing",
            "Sending offers by post to customers and prospects who have not objected.",
            "dpv:DirectMarketing",
            LegalBasis::LegitimateInterest,
            "Art. 6(1)(f) GDPR, recital 47: direct marketing; assessment in the DPO's file 'LIA Briefwerbung'; ends on objection (Art. 21(3))",
            &["customer", "prospect"],
            &["user.name", "user.contact.address"],
            ("Until objection, else 3 years after the last contact", Some(3 * 365)),
        ),
        p(
            "b2b_prospecting",
            "Neukundengewinnung B2B",
            "B2B prospecting",
            "Contacting contact persons of businesses about our products, based on their business role.",
            "dpv:CustomerRelationshipManagement",
            LegalBasis::LegitimateInterest,
            "Art. 6(1)(f) GDPR; assessment in the DPO's file 'LIA B2B'; phone only with presumed consent (§ 7 Abs. 2 Nr. 1 UWG), email only with consent",
            &["prospect"],
            &["user.name", "user.contact.email", "user.contact.phone_number", "user.contact.organization", "user.job_title"],
            ("2 years after the last contact without a business relationship", Some(2 * 365)),
        ),
        p(
            DATA_SUBJECT_RIGHTS,
            "Bearbeitung von Betroffenenrechten",
            "Handling data subject rights",
            "Finding the person a request is about and answering access, rectification, erasure, restriction, portability and objection requests in time.",
            "dpv:LegalCompliance",
            LegalBasis::LegalObligation,
            "Art. 6(1)(c) GDPR with Art. 12 to 22 GDPR; the case file kept to prove the answer (Art. 5(2), 24)",
            &["customer", "prospect", "employee", "applicant"],
            &["user.name", "user.contact.email", "user.contact.phone_number", "user.contact.address"],
            ("The case file 3 years after the request was answered (regular limitation period, §§ 195, 199 BGB)", Some(3 * 365)),
        ),
    ];
    for x in &mut v {
        x.last_review = today.to_string();
        x.measures = vec!["Access limited to the roles that need this purpose".into()];
    }
    // Data collected to perform the contract may serve its service and its retention.
    for p in &mut v {
        if let Some((_, d, r)) = crate::purpose_texts::DEFAULT_DE.iter().find(|(k, _, _)| *k == p.key) {
            p.description_de = (*d).to_string();
            p.retention_rule_de = (*r).to_string();
        }
    }
    v[0].compatible_with = vec!["customer_service".into(), "accounting_retention".into()];
    v[1].compatible_with = vec!["contract".into()];
    v[3].recipients.push(Recipient {
        name: "Email delivery service (processor, Art. 28)".into(),
        kind: "processor".into(),
        country: "DE".into(),
    });
    v
}

/// The Art. 30 record as JSON: our keys with the DPV identifiers beside them.
pub fn ropa_json(controller: &Controller, purposes: &[Purpose], generated_at: &str) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = purposes
        .iter()
        .filter(|p| p.active)
        .map(|p| {
            serde_json::json!({
                "purpose": {"key": p.key, "name_de": p.name_de, "name_en": p.name_en, "description": p.description,
                    "description_de": p.description_in("de"), "dpv": p.dpv_purpose},
                "legal_basis": {"key": p.legal_basis, "article": p.legal_basis.article(), "dpv": p.legal_basis.dpv(), "dpv_gdpr": p.legal_basis.dpv_gdpr(),
                    "reference": p.basis_reference, "special_category_condition": p.special_category_condition},
                "data_subject_categories": p.data_subject_categories,
                "data_categories": p.data_categories,
                "recipients": p.recipients,
                "third_country_transfers": p.transfers,
                "retention": {"rule": p.retention_rule, "rule_de": p.retention_rule_in("de"), "days": p.retention_days},
                "technical_and_organisational_measures": p.measures,
                "technical_and_organisational_measures_de": p.measures_in("de"),
                "dpia_required": p.dpia_required,
                "version": p.version,
                "last_review": p.last_review,
            })
        })
        .collect();
    serde_json::json!({
        "record_of_processing_activities": "Art. 30(1) GDPR",
        "generated_at": generated_at,
        "controller": {"name": controller.name, "address": controller.address, "email": controller.email, "phone": controller.phone,
            "representative": controller.representative, "joint_controllers": controller.joint_controllers},
        "data_protection_officer": {"name": controller.dpo_name, "email": controller.dpo_email},
        "general_technical_and_organisational_measures": controller.general_measures,
        "general_technical_and_organisational_measures_de": controller.general_measures_in("de"),
        "processing_activities": entries,
    })
}

/// The Art. 30 record in Markdown in `lang` ("de" or "en"), one section per purpose with
/// every Art. 30(1) item.
pub fn ropa_markdown(controller: &Controller, purposes: &[Purpose], generated_at: &str, lang: &str) -> String {
    use std::fmt::Write;
    let de = lang == "de";
    let l = |en: &'static str, german: &'static str| if de { german } else { en };
    let mut s = String::new();
    let none = l("none", "keine");
    let list = |v: &[String]| if v.is_empty() { none.to_string() } else { v.join(", ") };
    let _ = writeln!(s, "# {}\n", l("Record of processing activities (Art. 30(1) GDPR)", "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)"));
    let _ = writeln!(s, "{} {generated_at} {}\n", l("Generated", "Erstellt am"), l("from the live purpose registry.", "aus dem aktuellen Zweckregister."));
    let _ = writeln!(s, "## (a) {}\n", l("Controller and data protection officer", "Verantwortlicher und Datenschutzbeauftragter"));
    let _ = writeln!(s, "- {}: {}, {} ({})", l("Controller", "Verantwortlicher"), controller.name, controller.address, controller.email);
    if let Some(phone) = &controller.phone {
        let _ = writeln!(s, "- {}: {phone}", l("Phone", "Telefon"));
    }
    if let Some(r) = &controller.representative {
        let _ = writeln!(s, "- {}: {r}", l("Representative", "Vertreter"));
    }
    let _ = writeln!(s, "- {}: {}", l("Joint controllers", "Gemeinsam Verantwortliche"), list(&controller.joint_controllers));
    let _ = writeln!(s, "- {}: {} ({})\n", l("Data protection officer", "Datenschutzbeauftragter"), controller.dpo_name, controller.dpo_email);
    let _ = writeln!(s, "## (g) {}\n", l("General technical and organisational measures", "Allgemeine technische und organisatorische Maßnahmen"));
    for m in &controller.general_measures_in(lang) {
        let _ = writeln!(s, "- {m}");
    }
    for p in purposes.iter().filter(|p| p.active) {
        let _ = writeln!(s, "\n## {} / {} (`{}`, {} {})\n", p.name_de, p.name_en, p.key, l("version", "Version"), p.version);
        let _ = writeln!(s, "- (b) {}: {} ({})", l("Purpose", "Zweck"), p.description_in(lang), p.dpv_purpose);
        let _ = writeln!(
            s,
            "- {}: {} ({}, {}); {}",
            l("Legal basis", "Rechtsgrundlage"),
            p.legal_basis.article(),
            p.legal_basis.dpv(),
            p.legal_basis.dpv_gdpr(),
            p.basis_reference
        );
        if let Some(c) = &p.special_category_condition {
            let _ = writeln!(s, "- {}: {c}", l("Special categories: Art. 9(2) condition", "Besondere Kategorien: Bedingung nach Art. 9 Abs. 2"));
        }
        let _ = writeln!(s, "- (c) {}: {}", l("Data subjects", "Betroffene Personen"), list(&p.data_subject_categories));
        let _ = writeln!(s, "- (c) {}: {}", l("Data categories", "Datenkategorien"), list(&p.data_categories));
        let recipients: Vec<String> = p.recipients.iter().map(|r| format!("{} ({}, {})", r.name, r.kind, r.country)).collect();
        let _ = writeln!(s, "- (d) {}: {}", l("Recipients", "Empfänger"), list(&recipients));
        let transfers: Vec<String> = p
            .transfers
            .iter()
            .map(|t| format!("{} to {} under {} ({})", t.recipient, t.country, t.mechanism, t.safeguard_document))
            .collect();
        let _ = writeln!(
            s,
            "- (e) {}: {}",
            l("Third-country transfers", "Übermittlungen in Drittländer"),
            if transfers.is_empty() { none.to_string() } else { transfers.join("; ") }
        );
        let _ = writeln!(s, "- (f) {}: {}", l("Retention / erasure", "Aufbewahrung / Löschfrist"), p.retention_rule_in(lang));
        let _ = writeln!(s, "- (g) {}: {}", l("Measures", "Maßnahmen"), list(p.measures_in(lang)));
        let _ = writeln!(
            s,
            "- {}: {}; {}: {}",
            l("DPIA required", "DSFA erforderlich"),
            if p.dpia_required { l("yes", "ja") } else { l("no", "nein") },
            l("last review", "letzte Prüfung"),
            p.last_review
        );
    }
    s
}

/// The Art. 30 record as a self-contained HTML page (the Markdown's content, escaped).
pub fn ropa_html(controller: &Controller, purposes: &[Purpose], generated_at: &str, lang: &str) -> String {
    let esc = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut body = String::new();
    let mut in_list = false;
    for line in ropa_markdown(controller, purposes, generated_at, lang).lines() {
        let close = |body: &mut String, in_list: &mut bool| {
            if *in_list {
                body.push_str("</ul>\n");
                *in_list = false;
            }
        };
        if let Some(h) = line.strip_prefix("# ") {
            close(&mut body, &mut in_list);
            body.push_str(&format!("<h1>{}</h1>\n", esc(h)));
        } else if let Some(h) = line.strip_prefix("## ") {
            close(&mut body, &mut in_list);
            body.push_str(&format!("<h2>{}</h2>\n", esc(&h.replace('`', ""))));
        } else if let Some(item) = line.strip_prefix("- ") {
            if !in_list {
                body.push_str("<ul>\n");
                in_list = true;
            }
            body.push_str(&format!("<li>{}</li>\n", esc(item)));
        } else if !line.trim().is_empty() {
            close(&mut body, &mut in_list);
            body.push_str(&format!("<p>{}</p>\n", esc(line)));
        }
    }
    if in_list {
        body.push_str("</ul>\n");
    }
    let (code, title) = if lang == "de" { ("de", "Verzeichnis von Verarbeitungstätigkeiten") } else { ("en", "Record of processing activities") };
    format!("<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n{body}</body></html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_registry_is_complete_and_every_entry_checks() {
        let v = default_purposes("2026-11-23");
        assert_eq!(v.len(), 8);
        for p in &v {
            p.check().unwrap_or_else(|e| unreachable!("{}: {e}", p.key));
        }
        assert!(v.iter().any(|p| p.key == "newsletter" && p.legal_basis == LegalBasis::Consent));
        assert!(v.iter().any(|p| p.key == DATA_SUBJECT_RIGHTS && p.legal_basis == LegalBasis::LegalObligation));
    }

    #[test]
    fn a_purpose_without_basis_reference_or_data_is_refused() {
        let mut p = default_purposes("2026-11-23").remove(0);
        p.basis_reference = " ".into();
        assert!(p.check().unwrap_err().starts_with("basis_reference"));
        let mut p = default_purposes("2026-11-23").remove(0);
        p.data_categories.clear();
        assert!(p.check().unwrap_err().starts_with("data_categories"));
        let mut p = default_purposes("2026-11-23").remove(0);
        p.key = "Bad Key".into();
        assert!(p.check().is_err());
    }

    #[test]
    fn legal_bases_round_trip_through_their_keys_and_letters() {
        for b in LegalBasis::ALL {
            assert_eq!(LegalBasis::parse(b.as_str()), Some(b));
            assert_eq!(serde_json::to_value(b).ok(), Some(serde_json::Value::String(b.as_str().into())));
            assert!(b.article().contains(&format!("({})", b.letter())));
        }
        assert_eq!(LegalBasis::parse(""), None);
    }

    #[test]
    fn the_controllers_legal_pages_are_https_addresses() {
        let ok = Controller {
            name: "Q".into(),
            address: "A".into(),
            email: "a@example.org".into(),
            dpo_name: "D".into(),
            dpo_email: "d@example.org".into(),
            privacy_notice_url: Some("https://example.org/datenschutz".into()),
            imprint_url: Some("https://example.org/impressum".into()),
            ..Controller::default()
        };
        assert_eq!(ok.check(), Ok(()));
        let plain = Controller { imprint_url: Some("http://example.org/impressum".into()), ..ok.clone() };
        assert!(plain.check().is_err_and(|e| e.starts_with("imprint_url")));
        let spaced = Controller { privacy_notice_url: Some("https://example.org/a b".into()), ..ok };
        assert!(spaced.check().is_err_and(|e| e.starts_with("privacy_notice_url")));
    }

    #[test]
    fn the_controller_needs_name_address_and_reachable_emails() {
        assert!(Controller::default().check().unwrap_err().starts_with("email"));
        let mut c = Controller {
            email: "datenschutz@example.org".into(),
            dpo_email: "dsb@example.org".into(),
            phone: Some("+49 561 1234".into()),
            ..Controller::default()
        };
        assert_eq!(c.check(), Ok(()));
        c.address = " ".into();
        assert!(c.check().unwrap_err().starts_with("address"));
        // Stored before the phone existed: still reads.
        let old = r#"{"name":"A","address":"B","email":"a@example.org","representative":null,"joint_controllers":[],"dpo_name":"D","dpo_email":"d@example.org","general_measures":[]}"#;
        let c: Controller = serde_json::from_str(old).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(c.phone, None);
        assert!(ropa_markdown(&Controller { phone: Some("0561 1".into()), ..c }, &[], "x", "en").contains("- Phone: 0561 1"));
    }

    #[test]
    fn the_record_names_every_art_30_item_in_each_format() {
        let v = default_purposes("2026-11-23");
        let c = Controller::default();
        let json = ropa_json(&c, &v, "2026-11-23").to_string();
        for k in [
            "controller",
            "legal_basis",
            "eu-gdpr:A6-1-a",
            "data_subject_categories",
            "data_categories",
            "recipients",
            "third_country_transfers",
            "retention",
            "technical_and_organisational_measures",
            "newsletter",
        ] {
            assert!(json.contains(k), "JSON lacks {k}");
        }
        let md = ropa_markdown(&c, &v, "2026-11-23", "en");
        for k in [
            "(a) Controller",
            "(b) Purpose",
            "(c) Data subjects",
            "(d) Recipients",
            "(e) Third-country",
            "(f) Retention",
            "(g) Measures",
            "§ 147 AO",
        ] {
            assert!(md.contains(k), "Markdown lacks {k}");
        }
        let html = ropa_html(&c, &v, "2026-11-23", "en");
        assert!(html.contains("<h2>Newsletter per E-Mail / Newsletter by email (newsletter, version 1)</h2>"), "{html}");
        assert!(!html.contains("<script"));
    }
}
