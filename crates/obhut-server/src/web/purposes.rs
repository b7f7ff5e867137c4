//! The purpose registry's pages: the list, one purpose with its history, and the form that
//! creates and edits a purpose (Art. 5(1)(b), Art. 30).

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render, render_status, see_other, Ctx, Errs, Opt};
use super::privacy::*;
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::audit::{self as audit_service, ActorNames};
use crate::services::purposes::{self as service, Expect, PurposeVersion};
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::purpose::{LegalBasis, Purpose, Recipient, Transfer};
use serde::Deserialize;

/// Kinds of recipients the form's recipient lines take (processors have their own box).
const RECIPIENT_KINDS: &[&str] = &["internal", "third_party", "authority"];
/// The transfer mechanisms of Art. 45–49.
const MECHANISMS: &[&str] = &["adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules", "art_49_derogation"];
/// Art. 9(2)(a)–(j).
const ART9_LETTERS: &[char] = &['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

pub(super) struct PurposeRow {
    key: String,
    name: String,
    basis: String,
    article: String,
    retention: String,
    version: i64,
    last_review: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "privacy/purposes.html")]
pub(super) struct PurposeListPage {
    ctx: Ctx,
    rows: Vec<PurposeRow>,
}

/// `GET /privacy/purposes`.
pub async fn purpose_list(web: Web) -> PageResult {
    let tr = web.tr();
    let purposes = service::list(&web.app, web.actor()).await.or_fail(&web)?;
    let rows = purposes
        .iter()
        .map(|p| PurposeRow {
            key: p.key.clone(),
            name: purpose_name(tr, p),
            basis: tr.v("legal_basis", p.legal_basis.as_str()),
            article: basis_article(tr, p.legal_basis),
            retention: p.retention_rule.clone(),
            version: p.version,
            last_review: review_date(tr, &p.last_review),
            active: p.active,
        })
        .collect();
    Ok(render(&PurposeListPage { ctx: web.ctx("privacy"), rows }))
}

pub(super) struct VersionRow {
    version: i64,
    at: String,
    by: String,
    /// The fields this version changed against the one before (labels).
    changed: Vec<String>,
}

#[derive(Template)]
#[template(path = "privacy/purpose.html")]
pub(super) struct PurposePage {
    ctx: Ctx,
    p: PurposeView,
    history: Vec<VersionRow>,
}

pub(super) fn version_rows(tr: Tr, names: &ActorNames, history: &[PurposeVersion]) -> Vec<VersionRow> {
    let mut rows: Vec<VersionRow> = history
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let changed = match i.checked_sub(1).and_then(|j| history.get(j)) {
                Some(before) => service::changed_fields(&before.purpose, &v.purpose)
                    .into_iter()
                    .filter(|f| f != "version")
                    .map(|f| tr.v("purpose_field", f))
                    .collect(),
                None => vec![tr.t("privacy.history_created").to_string()],
            };
            VersionRow { version: v.version, at: fmt::datetime(tr.lang, v.changed_at), by: names.display(&v.changed_by), changed }
        })
        .collect();
    rows.reverse();
    rows
}

/// `GET /privacy/purposes/{key}`.
pub async fn purpose_page(web: Web, Path(key): Path<String>) -> PageResult {
    let tr = web.tr();
    let p = service::get(&web.app, web.actor(), &key).await.or_fail(&web)?;
    let (history, names) =
        match (service::history(&web.app, web.actor(), &key).await, audit_service::actor_names(&web.app, web.actor()).await) {
            (Ok(h), Ok(n)) => (h, n),
            (Err(e), _) | (_, Err(e)) => return Err(web.failure(e)),
        };
    Ok(render(&PurposePage { ctx: web.ctx("privacy"), p: PurposeView::new(tr, &p), history: version_rows(tr, &names, &history) }))
}

/// The purpose form as typed: lists one entry per line.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PurposeForm {
    key: String,
    name_de: String,
    name_en: String,
    description: String,
    description_de: String,
    dpv_purpose: String,
    legal_basis: String,
    special_category_condition: String,
    basis_reference: String,
    data_subject_categories: String,
    data_categories: String,
    recipients: String,
    processors: String,
    transfers: String,
    retention_rule: String,
    retention_rule_de: String,
    retention_days: String,
    measures: String,
    measures_de: String,
    dpia_required: String,
    compatible_with: String,
    last_review: String,
    active: String,
    version: String,
}

pub(super) const PURPOSE_FIELDS: &[&str] = &[
    "key",
    "name_de",
    "name_en",
    "description",
    "description_de",
    "dpv_purpose",
    "legal_basis",
    "special_category_condition",
    "basis_reference",
    "data_subject_categories",
    "data_categories",
    "recipients",
    "processors",
    "transfers",
    "retention_rule",
    "retention_rule_de",
    "retention_days",
    "measures",
    "measures_de",
    "compatible_with",
    "last_review",
];

/// `a; b; c` split into trimmed parts.
pub(super) fn parts(line: &str) -> Vec<String> {
    line.split(';').map(|p| p.trim().to_string()).collect()
}

pub(super) fn country_ok(c: &str) -> bool {
    c.len() == 2 && c.chars().all(|c| c.is_ascii_uppercase())
}

impl PurposeForm {
    fn blank(today: &str) -> Self {
        Self { active: "on".into(), last_review: today.to_string(), ..Self::default() }
    }

    fn from_purpose(p: &Purpose) -> Self {
        let (processors, recipients): (Vec<&Recipient>, Vec<&Recipient>) = p.recipients.iter().partition(|r| r.kind == "processor");
        let check = |b: bool| if b { "on".to_string() } else { String::new() };
        Self {
            key: p.key.clone(),
            name_de: p.name_de.clone(),
            name_en: p.name_en.clone(),
            description: p.description.clone(),
            description_de: p.description_de.clone(),
            dpv_purpose: p.dpv_purpose.clone(),
            legal_basis: p.legal_basis.as_str().to_string(),
            special_category_condition: p.special_category_condition.clone().unwrap_or_default(),
            basis_reference: p.basis_reference.clone(),
            data_subject_categories: p.data_subject_categories.join("\n"),
            data_categories: p.data_categories.join("\n"),
            recipients: recipients.iter().map(|r| format!("{}; {}; {}", r.name, r.kind, r.country)).collect::<Vec<_>>().join("\n"),
            processors: processors.iter().map(|r| format!("{}; {}", r.name, r.country)).collect::<Vec<_>>().join("\n"),
            transfers: p
                .transfers
                .iter()
                .map(|t| format!("{}; {}; {}; {}", t.country, t.recipient, t.mechanism, t.safeguard_document))
                .collect::<Vec<_>>()
                .join("\n"),
            retention_rule: p.retention_rule.clone(),
            retention_rule_de: p.retention_rule_de.clone(),
            retention_days: p.retention_days.map(|d| d.to_string()).unwrap_or_default(),
            measures: p.measures.join("\n"),
            measures_de: p.measures_de.join("\n"),
            dpia_required: check(p.dpia_required),
            compatible_with: p.compatible_with.join("\n"),
            last_review: p.last_review.clone(),
            active: check(p.active),
            version: p.version.to_string(),
        }
    }

    /// The purpose the form describes, or its problems keyed by form field. `key` is the
    /// purpose's key when editing (the form cannot rename one); `known` the registry's keys.
    fn to_purpose(&self, tr: Tr, key: Option<&str>, known: &[String]) -> Result<Purpose, Errs> {
        let mut errs = Errs::none();
        let legal_basis = LegalBasis::parse(self.legal_basis.trim());
        if legal_basis.is_none() {
            errs.add("legal_basis", tr.t("privacy.err_legal_basis"));
        }
        let special = non_empty(&self.special_category_condition).map(String::from);
        if let Some(s) = &special {
            let ok = s.strip_prefix("A9-2-").is_some_and(|l| l.len() == 1 && l.chars().all(|c| ART9_LETTERS.contains(&c)));
            if !ok {
                errs.add("special_category_condition", tr.t("privacy.err_art9"));
            }
        }
        let mut recipients = Vec::new();
        for (i, line) in lines(&self.recipients).iter().enumerate() {
            match parts(line).as_slice() {
                [name, kind, country] if !name.is_empty() && RECIPIENT_KINDS.contains(&kind.as_str()) && country_ok(country) => {
                    recipients.push(Recipient { name: name.clone(), kind: kind.clone(), country: country.clone() })
                }
                _ => errs.add("recipients", tr.f("privacy.err_recipient_line", i + 1)),
            }
        }
        for (i, line) in lines(&self.processors).iter().enumerate() {
            match parts(line).as_slice() {
                [name, country] if !name.is_empty() && country_ok(country) => {
                    recipients.push(Recipient { name: name.clone(), kind: "processor".into(), country: country.clone() })
                }
                _ => errs.add("processors", tr.f("privacy.err_processor_line", i + 1)),
            }
        }
        let mut transfers = Vec::new();
        for (i, line) in lines(&self.transfers).iter().enumerate() {
            let mut p = parts(line);
            p.resize(4, String::new());
            let (country, recipient, mechanism, safeguard) = (&p[0], &p[1], &p[2], &p[3]);
            let too_many = parts(line).len() > 4;
            if too_many
                || !country_ok(country)
                || recipient.is_empty()
                || (!mechanism.is_empty() && !MECHANISMS.contains(&mechanism.as_str()))
            {
                errs.add("transfers", tr.f("privacy.err_transfer_line", i + 1));
            }
            transfers.push(Transfer {
                country: country.clone(),
                recipient: recipient.clone(),
                mechanism: mechanism.clone(),
                safeguard_document: safeguard.clone(),
            });
        }
        let retention_days = match non_empty(&self.retention_days) {
            None => None,
            Some(d) => match d.parse::<u32>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errs.add("retention_days", tr.t("privacy.err_days"));
                    None
                }
            },
        };
        let last_review = self.last_review.trim().to_string();
        let date_fmt = time::macros::format_description!("[year]-[month]-[day]");
        if !last_review.is_empty() && time::Date::parse(&last_review, &date_fmt).is_err() {
            errs.add("last_review", tr.t("privacy.err_date"));
        }
        let compatible_with: Vec<String> =
            self.compatible_with.split(['\n', ',']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        if let Some(unknown) = compatible_with.iter().find(|k| !known.contains(k)) {
            errs.add("compatible_with", tr.f("privacy.err_unknown_purpose", unknown));
        }
        let p = Purpose {
            key: key.map(String::from).unwrap_or_else(|| self.key.trim().to_string()),
            name_de: self.name_de.trim().to_string(),
            name_en: self.name_en.trim().to_string(),
            description: self.description.trim().to_string(),
            description_de: self.description_de.trim().to_string(),
            dpv_purpose: self.dpv_purpose.trim().to_string(),
            legal_basis: legal_basis.unwrap_or(LegalBasis::Consent),
            special_category_condition: special,
            basis_reference: self.basis_reference.trim().to_string(),
            data_subject_categories: lines(&self.data_subject_categories),
            data_categories: lines(&self.data_categories),
            recipients,
            transfers,
            retention_rule: self.retention_rule.trim().to_string(),
            retention_rule_de: self.retention_rule_de.trim().to_string(),
            retention_days,
            measures: lines(&self.measures),
            measures_de: lines(&self.measures_de),
            dpia_required: !self.dpia_required.is_empty(),
            compatible_with,
            active: !self.active.is_empty(),
            version: 0,
            last_review,
        };
        // The registry's own rules, so one submit names as much as it can.
        if let Err(e) = p.check() {
            let (field, message) = e.split_once(": ").unwrap_or(("", e.as_str()));
            match check_error(tr, &p, field, message) {
                ("", text) => errs.other.push(text),
                (field, text) => errs.add(field, text),
            }
        }
        if errs.any() {
            Err(errs)
        } else {
            Ok(p)
        }
    }
}

/// A refusal of the registry (field and English message) as a form field and a translated text.
pub(super) fn check_error(tr: Tr, p: &Purpose, field: &str, message: &str) -> (&'static str, String) {
    match field {
        "key" if message.contains("exists") => ("key", tr.t("privacy.err_key_taken").to_string()),
        "key" => ("key", tr.t("privacy.check_key").to_string()),
        "name" if p.name_de.trim().is_empty() => ("name_de", tr.t("privacy.check_name").to_string()),
        "name" => ("name_en", tr.t("privacy.check_name").to_string()),
        "basis_reference" => ("basis_reference", tr.t("privacy.check_basis_reference").to_string()),
        "data_subject_categories" => ("data_subject_categories", tr.t("privacy.check_data_subject_categories").to_string()),
        "data_categories" => ("data_categories", tr.t("privacy.check_data_categories").to_string()),
        "retention_rule" => ("retention_rule", tr.t("privacy.check_retention_rule").to_string()),
        "transfers" => ("transfers", tr.t("privacy.check_transfers").to_string()),
        _ => ("", tr.message(message)),
    }
}

#[derive(Template)]
#[template(path = "privacy/purpose_form.html")]
pub(super) struct PurposeFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    /// Editing: the key is fixed.
    editing: bool,
    form: PurposeForm,
    errs: Errs,
    bases: Vec<Opt>,
    art9: Vec<Opt>,
}

pub(super) fn show_form(web: &Web, editing: Option<&Purpose>, form: PurposeForm, errs: Errs) -> Response {
    let tr = web.tr();
    let (heading, action, cancel) = match editing {
        Some(p) => (
            tr.f("privacy.purpose_edit_heading", purpose_name(tr, p)),
            format!("/privacy/purposes/{}/edit", p.key),
            format!("/privacy/purposes/{}", p.key),
        ),
        None => (tr.t("privacy.purpose_new").to_string(), "/privacy/purposes/new".into(), "/privacy/purposes".into()),
    };
    let bases = LegalBasis::ALL.iter().map(|b| Opt::new(b.as_str(), basis_label(tr, *b))).collect();
    let art9 = ART9_LETTERS.iter().map(|l| Opt::new(format!("A9-2-{l}"), tr.v("art9", l))).collect();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(
        status,
        &PurposeFormPage { ctx: web.ctx("privacy"), heading, action, cancel, editing: editing.is_some(), form, errs, bases, art9 },
    )
}

pub(super) fn known_keys(list: &[Purpose]) -> Vec<String> {
    list.iter().map(|p| p.key.clone()).collect()
}

/// `GET /privacy/purposes/new`.
pub async fn new_purpose_page(web: Web) -> PageResult {
    // Asked only so those who may not see the registry get the refusal, not a form.
    service::list(&web.app, web.actor()).await.or_fail(&web)?;
    let today = web.app.clock.now().date().to_string();
    Ok(show_form(&web, None, PurposeForm::blank(&today), Errs::none()))
}

/// `POST /privacy/purposes/new`.
pub async fn create_purpose(Posted { web, form }: Posted<PurposeForm>) -> Response {
    let known = match service::list(&web.app, web.actor()).await {
        Ok(l) => known_keys(&l),
        Err(e) => return web.fail(e),
    };
    let p = match form.to_purpose(web.tr(), None, &known) {
        Ok(p) => p,
        Err(errs) => return show_form(&web, None, form, errs),
    };
    match service::save_expecting(&web.app, web.actor(), &p, Expect::New).await {
        Ok(_) => see_other(&format!("/privacy/purposes/{}?flash=created", p.key)),
        Err(ServiceError::Validation(v)) => {
            let errs = service_errors(web.tr(), &p, &v);
            show_form(&web, None, form, errs)
        }
        Err(e) => web.fail(e),
    }
}

pub(super) fn service_errors(tr: Tr, p: &Purpose, v: &obhut_core::ValidationErrors) -> Errs {
    let mut errs = Errs::none();
    for fe in &v.0 {
        let (field, text) = check_error(tr, p, &fe.field, &fe.message);
        if PURPOSE_FIELDS.contains(&field) {
            errs.add(field, text);
        } else {
            errs.other.push(text);
        }
    }
    errs
}

/// `GET /privacy/purposes/{key}/edit`.
pub async fn edit_purpose_page(web: Web, Path(key): Path<String>) -> Response {
    match service::get(&web.app, web.actor(), &key).await {
        Ok(p) => show_form(&web, Some(&p), PurposeForm::from_purpose(&p), Errs::none()),
        Err(e) => web.fail(e),
    }
}

/// `POST /privacy/purposes/{key}/edit`: saves the next version.
pub async fn update_purpose(Path(key): Path<String>, Posted { web, mut form }: Posted<PurposeForm>) -> PageResult {
    // The key is fixed; a form shown again shows the purpose's own.
    form.key = key.clone();
    let list = service::list(&web.app, web.actor()).await.or_fail(&web)?;
    let Some(current) = list.iter().find(|p| p.key == key) else { return Err(web.failure(ServiceError::NotFound("purpose"))) };
    let p = match form.to_purpose(web.tr(), Some(&key), &known_keys(&list)) {
        Ok(p) => p,
        Err(errs) => return Ok(show_form(&web, Some(current), form, errs)),
    };
    let expect = form.version.trim().parse().map(Expect::Version).unwrap_or(Expect::Any);
    match service::save_expecting(&web.app, web.actor(), &p, expect).await {
        Ok(_) => Ok(see_other(&format!("/privacy/purposes/{key}?flash=saved"))),
        Err(ServiceError::Validation(v)) => {
            let errs = service_errors(web.tr(), &p, &v);
            Ok(show_form(&web, Some(current), form, errs))
        }
        Err(e) => Err(web.failure(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn filled() -> PurposeForm {
        PurposeForm {
            key: "events".into(),
            name_de: "Veranstaltungen".into(),
            name_en: "Events".into(),
            legal_basis: "consent".into(),
            basis_reference: "Art. 6(1)(a) GDPR".into(),
            data_subject_categories: "customer\n\nprospect\n".into(),
            data_categories: "user.name\nuser.contact.email".into(),
            recipients: "Sales; internal; DE".into(),
            processors: "Mailer GmbH; DE".into(),
            transfers: "US; Cloud Inc.; standard_contractual_clauses; SCC of 2024-01-10".into(),
            retention_rule: "Until withdrawn".into(),
            retention_days: "30".into(),
            active: "on".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_form_becomes_a_purpose_with_lists_one_per_line() {
        let p = filled().to_purpose(Tr::new(Lang::En), None, &[]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.data_subject_categories, vec!["customer", "prospect"]);
        assert_eq!(p.recipients.len(), 2);
        assert_eq!(p.recipients[1].kind, "processor");
        assert_eq!(p.transfers[0].mechanism, "standard_contractual_clauses");
        assert_eq!(p.retention_days, Some(30));
        assert!(p.active && !p.dpia_required);
        // And back: the form of the purpose gives the same purpose again.
        let again = PurposeForm::from_purpose(&p).to_purpose(Tr::new(Lang::En), None, &[]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(again, p);
    }

    #[test]
    fn problems_are_named_at_their_fields() {
        let form = PurposeForm {
            legal_basis: String::new(),
            basis_reference: " ".into(),
            recipients: "Sales; nobody; Germany".into(),
            transfers: "US; Cloud Inc.".into(),
            retention_days: "ewig".into(),
            compatible_with: "unknown_key".into(),
            ..filled()
        };
        let e = form.to_purpose(Tr::new(Lang::De), None, &["contract".into()]).err().unwrap_or_else(|| panic!("accepted"));
        for f in ["legal_basis", "recipients", "retention_days", "compatible_with", "basis_reference"] {
            assert!(e.get(f).is_some(), "no error at {f}: {e:?}");
        }
        assert!(e.get("legal_basis").is_some_and(|m| m.contains("Rechtsgrundlage")));
    }
}
