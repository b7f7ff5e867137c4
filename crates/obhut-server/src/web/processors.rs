//! The processors (Art. 28 GDPR): the list with their contract windows and the form that
//! creates and edits one. Everything goes through `services::policies`.

use super::failure::{OrFail, PageResult};
use super::page::{non_empty, render, render_status, see_other, show_date, Ctx, Errs, Opt};
use super::privacy::purpose_name;
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::i18n::Tr;
use crate::services::policies as service;
use crate::services::purposes as purpose_service;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::processor::{Processor, EEA, TRANSFER_MECHANISMS};
use serde::Deserialize;

/// A date as the form writes it (YYYY-MM-DD).
pub(super) fn parse_date(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &fmt).ok()
}

pub(super) struct ProcessorRow {
    key: String,
    name: String,
    contract_date: String,
    purposes: Vec<String>,
    scope_tag: String,
    window: String,
    /// `active`, `ended` or `pending` (not begun).
    state: &'static str,
    country: String,
    mechanism: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "privacy/processors.html")]
pub(super) struct ProcessorListPage {
    ctx: Ctx,
    rows: Vec<ProcessorRow>,
}

pub(super) fn window_state(p: &Processor, today: time::Date) -> &'static str {
    match p.window() {
        Ok((_, until)) if until < today => "ended",
        Ok((from, _)) if from > today => "pending",
        Ok(_) => "active",
        Err(_) => "ended",
    }
}

/// `GET /privacy/processors`.
pub async fn processor_list(web: Web) -> PageResult {
    let tr = web.tr();
    let list = service::list_processors(&web.app, web.actor()).await.or_fail(&web)?;
    let today = web.app.clock.now().date();
    let rows = list
        .iter()
        .map(|p| ProcessorRow {
            key: p.key.clone(),
            name: p.name.clone(),
            contract_date: show_date(tr, &p.contract_date),
            purposes: p.purposes.clone(),
            scope_tag: p.scope_tag.clone(),
            window: format!("{} – {}", show_date(tr, &p.valid_from), show_date(tr, &p.valid_until)),
            state: window_state(p, today),
            country: p.country.clone(),
            mechanism: p.transfer_mechanism.as_deref().map(|m| tr.v("mechanism", m)).unwrap_or_default(),
            version: p.version,
        })
        .collect();
    Ok(render(&ProcessorListPage { ctx: web.ctx("privacy"), rows }))
}

/// The processor form as typed: purposes one per line.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ProcessorForm {
    key: String,
    name: String,
    contract_date: String,
    purposes: String,
    scope_tag: String,
    valid_from: String,
    valid_until: String,
    country: String,
    transfer_mechanism: String,
    safeguard_document: String,
    contact: String,
}

pub(super) const PROCESSOR_FIELDS: &[&str] = &[
    "key",
    "name",
    "contract_date",
    "purposes",
    "scope_tag",
    "valid_from",
    "valid_until",
    "country",
    "transfer_mechanism",
    "safeguard_document",
    "contact",
];

impl ProcessorForm {
    fn from_processor(p: &Processor) -> Self {
        Self {
            key: p.key.clone(),
            name: p.name.clone(),
            contract_date: p.contract_date.clone(),
            purposes: p.purposes.join("\n"),
            scope_tag: p.scope_tag.clone(),
            valid_from: p.valid_from.clone(),
            valid_until: p.valid_until.clone(),
            country: p.country.clone(),
            transfer_mechanism: p.transfer_mechanism.clone().unwrap_or_default(),
            safeguard_document: p.safeguard_document.clone().unwrap_or_default(),
            contact: p.contact.clone(),
        }
    }

    /// The processor the form describes, or its problems keyed by form field. `key` is the
    /// processor's key when editing; `active` the keys of the active purposes.
    fn to_processor(&self, tr: Tr, key: Option<&str>, active: &[String]) -> Result<Processor, Errs> {
        let mut errs = Errs::none();
        let p = Processor {
            key: key.map(String::from).unwrap_or_else(|| self.key.trim().to_string()),
            name: self.name.trim().to_string(),
            contract_date: self.contract_date.trim().to_string(),
            purposes: self.purposes.split(['\n', ',']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
            scope_tag: self.scope_tag.trim().to_string(),
            valid_from: self.valid_from.trim().to_string(),
            valid_until: self.valid_until.trim().to_string(),
            country: self.country.trim().to_uppercase(),
            transfer_mechanism: non_empty(&self.transfer_mechanism).map(String::from),
            safeguard_document: non_empty(&self.safeguard_document).map(String::from),
            contact: self.contact.trim().to_string(),
            version: 0,
        };
        let key_ok =
            !p.key.is_empty() && p.key.len() <= 64 && p.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            errs.add("key", tr.t("privacy.proc_check_key"));
        }
        if p.name.is_empty() || p.name.len() > 200 {
            errs.add("name", tr.t("privacy.proc_check_name"));
        }
        for (field, value) in [("contract_date", &p.contract_date), ("valid_from", &p.valid_from), ("valid_until", &p.valid_until)] {
            if parse_date(value).is_none() {
                errs.add(field, tr.t("privacy.err_date"));
            }
        }
        if let (Some(from), Some(until)) = (parse_date(&p.valid_from), parse_date(&p.valid_until)) {
            if from > until {
                errs.add("valid_until", tr.t("privacy.proc_check_window"));
            }
        }
        if p.purposes.is_empty() {
            errs.add("purposes", tr.t("privacy.proc_check_purposes"));
        } else if let Some(bad) = p.purposes.iter().find(|k| !active.contains(k)) {
            errs.add("purposes", tr.f("privacy.proc_check_purpose_inactive", bad));
        }
        if p.scope_tag.is_empty() {
            errs.add("scope_tag", tr.t("privacy.proc_check_scope_tag"));
        }
        let country_ok = p.country.len() == 2 && p.country.chars().all(|c| c.is_ascii_uppercase());
        if !country_ok {
            errs.add("country", tr.t("privacy.proc_check_country"));
        } else if !EEA.contains(&p.country.as_str()) {
            if !p.transfer_mechanism.as_deref().is_some_and(|m| TRANSFER_MECHANISMS.contains(&m)) {
                errs.add("transfer_mechanism", tr.f("privacy.proc_check_transfer_mechanism", &p.country));
            }
            if p.safeguard_document.is_none() {
                errs.add("safeguard_document", tr.t("privacy.proc_check_safeguard_document"));
            }
        }
        // The registry's own rules, in case they know more than the form.
        if !errs.any() {
            if let Err(e) = p.check() {
                let (field, message) = e.split_once(": ").unwrap_or(("", e.as_str()));
                add_processor_error(tr, &mut errs, field, message);
            }
        }
        if errs.any() {
            Err(errs)
        } else {
            Ok(p)
        }
    }
}

pub(super) fn add_processor_error(tr: Tr, errs: &mut Errs, field: &str, message: &str) {
    if PROCESSOR_FIELDS.contains(&field) {
        errs.add(field, tr.message(message));
    } else {
        errs.other.push(tr.message(message));
    }
}

#[derive(Template)]
#[template(path = "privacy/processor_form.html")]
pub(super) struct ProcessorFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    editing: bool,
    form: ProcessorForm,
    errs: Errs,
    mechanisms: Vec<Opt>,
    /// `(key, name)` of the active purposes.
    purposes: Vec<(String, String)>,
}

pub(super) async fn show_processor_form(web: &Web, editing: Option<&str>, form: ProcessorForm, errs: Errs) -> Response {
    let tr = web.tr();
    let purposes = match purpose_service::list(&web.app, web.actor()).await {
        Ok(l) => l.iter().filter(|p| p.active).map(|p| (p.key.clone(), purpose_name(tr, p))).collect(),
        Err(e) => return web.fail(e),
    };
    let (heading, action) = match editing {
        Some(key) => (tr.f("privacy.processor_edit_heading", key), format!("/privacy/processors/{key}/edit")),
        None => (tr.t("privacy.processor_new").to_string(), "/privacy/processors/new".to_string()),
    };
    let mechanisms = TRANSFER_MECHANISMS.iter().map(|m| Opt::new(*m, tr.v("mechanism", m))).collect();
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(
        status,
        &ProcessorFormPage { ctx: web.ctx("privacy"), heading, action, editing: editing.is_some(), form, errs, mechanisms, purposes },
    )
}

pub(super) async fn active_purposes(web: &Web) -> Result<Vec<String>, Response> {
    match purpose_service::list(&web.app, web.actor()).await {
        Ok(l) => Ok(l.into_iter().filter(|p| p.active).map(|p| p.key).collect()),
        Err(e) => Err(web.fail(e)),
    }
}

/// `GET /privacy/processors/new`.
pub async fn new_processor_page(web: Web) -> PageResult {
    // Asked only so those who may not see the processors get the refusal, not a form.
    service::list_processors(&web.app, web.actor()).await.or_fail(&web)?;
    let today = web.app.clock.now().date().to_string();
    let form = ProcessorForm { contract_date: today.clone(), valid_from: today, country: "DE".into(), ..Default::default() };
    Ok(show_processor_form(&web, None, form, Errs::none()).await)
}

/// `POST /privacy/processors/new`.
pub async fn create_processor(Posted { web, form }: Posted<ProcessorForm>) -> PageResult {
    let tr = web.tr();
    let existing = service::list_processors(&web.app, web.actor()).await.or_fail(&web)?;
    let active = match active_purposes(&web).await {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    let p = match form.to_processor(tr, None, &active) {
        Ok(p) if existing.iter().any(|x| x.key == p.key) => {
            let mut errs = Errs::none();
            errs.add("key", tr.t("privacy.proc_err_key_taken"));
            return Ok(show_processor_form(&web, None, form, errs).await);
        }
        Ok(p) => p,
        Err(errs) => return Ok(show_processor_form(&web, None, form, errs).await),
    };
    Ok(save_processor(web, None, form, p).await)
}

pub(super) async fn save_processor(web: Web, editing: Option<&str>, form: ProcessorForm, p: Processor) -> Response {
    match service::save_processor(&web.app, web.actor(), &p).await {
        Ok(1) => see_other("/privacy/processors?flash=created"),
        Ok(_) => see_other("/privacy/processors?flash=saved"),
        Err(ServiceError::Validation(v)) => {
            let mut errs = Errs::none();
            for fe in &v.0 {
                add_processor_error(web.tr(), &mut errs, &fe.field, &fe.message);
            }
            show_processor_form(&web, editing, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

pub(super) async fn find_processor(web: &Web, key: &str) -> Result<Processor, Response> {
    match service::list_processors(&web.app, web.actor()).await {
        Ok(l) => l.into_iter().find(|p| p.key == key).ok_or_else(|| web.fail(ServiceError::NotFound("processor"))),
        Err(e) => Err(web.fail(e)),
    }
}

/// `GET /privacy/processors/{key}/edit`.
pub async fn edit_processor_page(web: Web, Path(key): Path<String>) -> Response {
    match find_processor(&web, &key).await {
        Ok(p) => show_processor_form(&web, Some(&key), ProcessorForm::from_processor(&p), Errs::none()).await,
        Err(r) => r,
    }
}

/// `POST /privacy/processors/{key}/edit`: saves the next version.
pub async fn update_processor(Path(key): Path<String>, Posted { web, mut form }: Posted<ProcessorForm>) -> Response {
    form.key = key.clone();
    if let Err(r) = find_processor(&web, &key).await {
        return r;
    }
    let active = match active_purposes(&web).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match form.to_processor(web.tr(), Some(&key), &active) {
        Ok(p) => save_processor(web, Some(&key), form, p).await,
        Err(errs) => show_processor_form(&web, Some(&key), form, errs).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn filled() -> ProcessorForm {
        ProcessorForm {
            key: "callcenter".into(),
            name: "Callcenter Nord GmbH".into(),
            contract_date: "2026-01-15".into(),
            purposes: "phone_marketing\n".into(),
            scope_tag: "callcenter".into(),
            valid_from: "2026-02-01".into(),
            valid_until: "2026-12-31".into(),
            country: "de".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_processor_form_becomes_a_processor_and_back() {
        let active = vec!["phone_marketing".to_string()];
        let p = filled().to_processor(Tr::new(Lang::En), None, &active).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.country, "DE");
        assert_eq!(p.purposes, active);
        let again = ProcessorForm::from_processor(&p).to_processor(Tr::new(Lang::En), None, &active);
        assert_eq!(again.ok(), Some(p));
    }

    #[test]
    fn processor_problems_are_named_at_their_fields() {
        let form = ProcessorForm {
            country: "US".into(),
            valid_until: "2026-01-01".into(),
            purposes: "unknown".into(),
            contract_date: "15.01.2026".into(),
            ..filled()
        };
        let e = form.to_processor(Tr::new(Lang::De), None, &["phone_marketing".into()]).err().unwrap_or_else(|| panic!("accepted"));
        for f in ["transfer_mechanism", "safeguard_document", "valid_until", "purposes", "contract_date"] {
            assert!(e.get(f).is_some(), "no error at {f}: {e:?}");
        }
    }
}
