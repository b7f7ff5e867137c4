//! The report's pure parts: actors told by role, the document in both languages.

use super::document::*;
use super::gather::*;
use super::model::*;
use super::render::*;
use crate::i18n::Lang;
use serde_json::{json, Value};
use std::collections::HashMap;

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
    use crate::i18n::t;
    let src = [include_str!("document.rs"), include_str!("gather.rs"), include_str!("render.rs"), include_str!("portability.rs")].concat();
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
