//! The report as one document in the reader's language (sections of fields, entries and
//! tables), from which both HTML and PDF are rendered, so that both say the same.

use super::model::*;
use crate::fmt;
use crate::i18n::{Lang, Tr};
use obhut_core::contact::PostalAddress;
use serde_json::Value;

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

pub(super) fn f(label: &str, value: impl Into<String>) -> Field {
    Field { label: label.to_string(), value: value.into() }
}

/// A JSON value as plain text: strings as they are, lists joined, entries by their main value.
pub(super) fn plain(v: &Value) -> String {
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

pub(super) fn address_text(a: &PostalAddress) -> String {
    let city = [a.postal_code.as_deref(), a.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    [a.street.clone(), Some(city).filter(|c| !c.is_empty()), a.country.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ")
}

pub(super) fn with_label(value: String, label: &Option<String>) -> String {
    match label.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => format!("{value} ({l})"),
        None => value,
    }
}

/// Reads back an RFC 3339 time of the report for display in the document's language.
pub(super) fn when(tr: Tr, rfc3339: &str) -> String {
    match time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
        Ok(t) => fmt::datetime(tr.lang, obhut_core::clock::to_millis(t)),
        Err(_) => rfc3339.to_string(),
    }
}

pub(super) fn day(tr: Tr, iso: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(iso, &format) {
        Ok(d) => fmt::date(tr.lang, d),
        Err(_) => iso.to_string(),
    }
}

pub(super) fn actor_text(tr: Tr, a: &ActorOut) -> String {
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
pub(super) fn cite(lang: Lang, text: &str) -> String {
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
pub(super) fn action_text(tr: Tr, action: &str) -> String {
    let own = format!("dsr_report.action.{action}");
    match tr.t(&own) {
        t if t != own => t.to_string(),
        _ => tr.v("audit", action),
    }
}

/// A data category by its name in the document's language, with its key.
pub(super) fn category_text(tr: Tr, category: &str) -> String {
    let key = format!("dsr_report.category.{category}");
    match tr.t(&key) {
        t if t != key => format!("{t} ({category})"),
        _ => category.to_string(),
    }
}

pub(super) fn purpose_name(tr: Tr, report: &AccessReport, key: &str) -> String {
    if key == "*" {
        return tr.t("dsr_report.all_purposes").into();
    }
    match report.purposes.iter().find(|p| p.purpose == key) {
        Some(p) if tr.lang == Lang::De => p.name_de.clone(),
        Some(p) => p.name_en.clone(),
        None => key.to_string(),
    }
}

pub(super) fn none_text(tr: Tr) -> Block {
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
            f(tr.t("dsr_report.description"), if lang == Lang::De { p.description_de.clone() } else { p.description.clone() }),
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
        fields.push(f(tr.t("dsr_report.retention"), p.retention.rule_in(lang).to_string()));
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
                let rules: Vec<String> = e.rules.iter().map(|x| format!("{}: {}", purpose_name(tr, r, &x.purpose), x.rule_in(lang))).collect();
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
            for m in &t.messages {
                fields.push(f(&format!("{} · {}", tr.v("ticket_message", &m.kind), when(tr, &m.created_at)), m.body.clone()));
            }
            Block::Entry(Entry { title: format!("#{} {}", t.number, t.title), fields })
        })
        .collect();
    if blocks.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_tickets").into(), blocks });
    let mut blocks: Vec<Block> = r
        .tasks
        .iter()
        .map(|t| {
            let mut fields = vec![f(tr.t("dsr_report.task_kind"), tr.v("task_kind", &t.kind))];
            if let Some(n) = &t.notes {
                fields.push(f(tr.t("dsr_report.body"), n.clone()));
            }
            if let Some(d) = &t.due_on {
                fields.push(f(tr.t("dsr_report.task_due"), day(tr, d)));
            }
            fields.push(f(tr.t("dsr_report.status"), tr.t(if t.done { "tasks.state_done" } else { "tasks.state_open" }).to_string()));
            fields.push(f(tr.t("dsr_report.created_at"), when(tr, &t.created_at)));
            Block::Entry(Entry { title: format!("{} {}", tr.f("tasks.ref", t.number), t.title), fields })
        })
        .collect();
    if blocks.is_empty() {
        blocks.push(none_text(tr));
    }
    sections.push(Section { heading: tr.t("dsr_report.section_tasks").into(), blocks });

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
        // The PDF fills in the numbers once it knows them.
        page_of: tr.args("dsr_report.page_of", [("page", "{page}".into()), ("pages", "{pages}".into())]),
        pdf_link_label: tr.t("dsr_report.pdf_link").into(),
    }
}
