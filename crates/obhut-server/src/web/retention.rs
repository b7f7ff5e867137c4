//! The DPO's retention page ("Löschfristen"): what falls due next (the Wiedervorlage), the
//! legal holds in force with the form that places one, the rule catalogue, and the sweep
//! with its dry run, which says for each contact what would happen and why.
//!
//! Everything goes through `services::retention`, which lets only the DPO and administrators
//! in; its refusals are shown at the field they concern, and nothing is changed.

use super::failure::{OrFail, PageResult};
use super::page::{parse_date, render_status, see_other, show_date, Ctx, Errs};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::retention::{self as service, Step, SweepReport};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::retention::{Period, Reason, RunCounts};
use serde::Deserialize;

/// How far the Wiedervorlage looks ahead, and how many entries it lists.
const DUE_DAYS: i64 = 90;
const DUE_LIMIT: usize = 200;
/// How many contacts a sweep's result lists.
const STEP_LIMIT: usize = 200;

/// "6 Jahre", "1 month", "2 years 6 months".
fn period_text(tr: Tr, p: &str) -> String {
    let Ok(p) = Period::parse(p) else { return p.to_string() };
    let mut parts = Vec::new();
    for (n, one, many) in [
        (p.years, "retention.year", "retention.years"),
        (p.months, "retention.month", "retention.months"),
        (p.days, "retention.day", "retention.days"),
    ] {
        match n {
            0 => {}
            1 => parts.push(tr.t(one).to_string()),
            n => parts.push(tr.f(many, n)),
        }
    }
    if parts.is_empty() {
        parts.push(tr.f("retention.days", 0));
    }
    parts.join(" ")
}

/// Why, in the user's language: "Letzter Kontakt 01.06.2023 + 2 Jahre → fällig 02.06.2025 (Art. …)".
fn reason_text(tr: Tr, r: &Reason) -> String {
    let started = r.started_on.map(|d| fmt::date(tr.lang, d)).unwrap_or_else(|| tr.t("retention.not_yet").to_string());
    let due = r.due_on.map(|d| fmt::date(tr.lang, d)).unwrap_or_else(|| "–".into());
    let year_end = if r.year_end { format!(" {}", tr.t("retention.from_year_end")) } else { String::new() };
    format!(
        "{} {started} + {}{year_end} → {} {due} ({})",
        tr.v("retention.start", r.start.as_str()),
        period_text(tr, &r.period),
        tr.t("retention.due_word"),
        r.legal_reference
    )
}

fn step_why(tr: Tr, s: &Step) -> String {
    let base = reason_text(tr, &s.reason);
    match s.action.as_str() {
        "held" => format!("{} · {base}", tr.t("retention.why_held")),
        "restrict_until" => {
            let until = s.until.as_deref().map(|u| show_date(tr, u)).unwrap_or_default();
            format!("{} · {base}", tr.f("retention.why_duty", until))
        }
        "records" => tr.f("retention.why_records", s.records.len()),
        _ => base,
    }
}

struct RuleRow {
    data_type: String,
    label: String,
    start: String,
    period: String,
    action: String,
    reference: String,
    description: String,
}

struct DueRow {
    due: String,
    contact_id: String,
    data_type: String,
    action: String,
}

struct HoldRow {
    id: String,
    contact_id: String,
    /// Read through the gate under the rights purpose (`None`: not readable).
    contact_name: Option<String>,
    reason: String,
    until: String,
    placed: String,
}

struct StepRow {
    contact_id: String,
    data_type: String,
    action_code: String,
    action: String,
    why: String,
    records: Vec<String>,
}

struct RunResult {
    dry_run: bool,
    at: String,
    seen: i64,
    counts: RunCounts,
    steps: Vec<StepRow>,
    more: i64,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct HoldForm {
    contact_id: String,
    reason: String,
    until: String,
    /// The contact picker's search, and whether it was asked for (then nothing is placed).
    contact_id_q: String,
    pick: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RunForm {
    at: String,
    /// `dry` or `apply`.
    mode: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    /// Prefills the hold form (a link from a contact page).
    contact: String,
}

#[derive(Template)]
#[template(path = "privacy/retention.html")]
struct RetentionPage {
    ctx: Ctx,
    rules: Vec<RuleRow>,
    due: Vec<DueRow>,
    due_total: i64,
    due_days: i64,
    holds: Vec<HoldRow>,
    hold_form: HoldForm,
    hold_contact: crate::web::picker::Picker,
    run_form: RunForm,
    errs: Errs,
    refusal: Option<String>,
    result: Option<RunResult>,
}

fn action_label(tr: Tr, a: &str) -> String {
    tr.v("retention.action", a)
}

fn data_type_label(tr: Tr, t: &str) -> String {
    tr.v("retention.type", t)
}

fn result_of(tr: Tr, r: &SweepReport) -> RunResult {
    let steps = r
        .steps
        .iter()
        .map(|s| StepRow {
            contact_id: s.contact_id.clone(),
            data_type: data_type_label(tr, s.data_type.as_str()),
            action_code: s.action.clone(),
            action: action_label(tr, &s.action),
            why: step_why(tr, s),
            records: s
                .records
                .iter()
                .map(|x| format!("{} {} – {}", data_type_label(tr, x.data_type.as_str()), x.id, action_label(tr, x.action.as_str())))
                .collect(),
        })
        .collect::<Vec<_>>();
    RunResult {
        dry_run: r.dry_run,
        at: fmt::date(tr.lang, r.at),
        seen: r.contacts_seen,
        counts: r.counts.clone(),
        more: r.steps_total - steps.len() as i64,
        steps,
    }
}

struct Extra {
    hold_form: HoldForm,
    run_form: RunForm,
    errs: Errs,
    refusal: Option<String>,
    result: Option<RunResult>,
}

async fn show(web: &Web, extra: Extra, status: StatusCode) -> PageResult {
    let tr = web.tr();
    let rules = service::rules(&web.app, web.actor()).await.or_fail(web)?;
    let (due, due_total) = service::due_next(&web.app, web.actor(), DUE_DAYS, DUE_LIMIT).await.or_fail(web)?;
    let holds = service::holds(&web.app, web.actor(), None).await.or_fail(web)?;
    let defaults = obhut_core::retention::default_rules();
    let ids = holds.iter().filter_map(|h| obhut_core::ids::ContactId::parse(&h.contact_id).ok()).collect();
    let names = crate::web::common::contact_names(web, ids, crate::web::common::RIGHTS_PURPOSE).await;
    let hf = &extra.hold_form;
    let hold_contact =
        crate::web::picker::Picker::contact(web, "contact_id", &hf.contact_id, &hf.contact_id_q, crate::web::common::RIGHTS_PURPOSE).await;
    let page = RetentionPage {
        hold_contact,
        ctx: web.ctx("privacy"),
        rules: rules
            .iter()
            .map(|r| RuleRow {
                data_type: r.data_type.as_str().into(),
                label: data_type_label(tr, r.data_type.as_str()),
                start: tr.v("retention.start", r.start.as_str()),
                period: format!(
                    "{}{}",
                    period_text(tr, &r.period.to_string()),
                    if r.year_end { format!(" {}", tr.t("retention.from_year_end")) } else { String::new() }
                ),
                action: action_label(tr, r.action.as_str()),
                reference: r.legal_reference.clone(),
                // The default texts in the user's language; the DPO's own as written.
                description: if defaults.iter().any(|d| d.data_type == r.data_type && d.description == r.description) {
                    tr.v("retention.desc", r.data_type.as_str())
                } else {
                    r.description.clone()
                },
            })
            .collect(),
        due: due
            .iter()
            .map(|d| DueRow {
                due: fmt::date(tr.lang, d.due_on),
                contact_id: d.contact_id.clone(),
                data_type: data_type_label(tr, d.data_type.as_str()),
                action: action_label(tr, &d.action),
            })
            .collect(),
        due_total,
        due_days: DUE_DAYS,
        holds: holds
            .into_iter()
            .map(|h| HoldRow {
                until: h.until.as_deref().map(|u| show_date(tr, u)).unwrap_or_else(|| tr.t("retention.open_ended").to_string()),
                placed: fmt::date(tr.lang, obhut_core::clock::from_millis(h.placed_at).date()),
                id: h.id,
                contact_name: obhut_core::ids::ContactId::parse(&h.contact_id).ok().and_then(|c| names.get(&c).cloned()),
                contact_id: h.contact_id,
                reason: h.reason,
            })
            .collect(),
        hold_form: extra.hold_form,
        run_form: extra.run_form,
        errs: extra.errs,
        refusal: extra.refusal,
        result: extra.result,
    };
    Ok(render_status(status, &page))
}

fn blank(web: &Web) -> Extra {
    Extra {
        hold_form: HoldForm::default(),
        run_form: RunForm { at: web.app.clock.now().date().to_string(), mode: "dry".into() },
        errs: Errs::none(),
        refusal: None,
        result: None,
    }
}

/// `GET /privacy/retention`.
pub async fn retention_page(web: Web, Query(q): Query<PageQuery>) -> PageResult {
    let mut extra = blank(&web);
    extra.hold_form.contact_id = q.contact.trim().chars().take(64).collect();
    show(&web, extra, StatusCode::OK).await
}

fn field_errs(tr: Tr, v: &obhut_core::ValidationErrors, known: &[&str]) -> Errs {
    let mut errs = Errs::none();
    for fe in &v.0 {
        let msg = match fe.message.as_str() {
            "a date as YYYY-MM-DD" => tr.t("retention.err_date").to_string(),
            m if m.starts_with("say why") => tr.t("retention.err_reason").to_string(),
            "not a contact id" => tr.t("retention.err_contact_id").to_string(),
            "the end of a hold cannot lie in the past" => tr.t("retention.err_until_past").to_string(),
            m if m.starts_with("a sweep that changes data") => tr.t("retention.err_future_run").to_string(),
            m => tr.message(m),
        };
        if known.contains(&fe.field.as_str()) {
            errs.add(&fe.field, msg);
        } else {
            errs.other.push(msg);
        }
    }
    errs
}

/// `POST /privacy/retention/run`: a dry run, or the sweep itself.
pub async fn run(Posted { web, form }: Posted<RunForm>) -> PageResult {
    let tr = web.tr();
    let mut extra = blank(&web);
    let at = match form.at.trim() {
        "" => None,
        s => match parse_date(s) {
            Some(d) => Some(d),
            None => {
                extra.errs.add("at", tr.t("retention.err_date"));
                extra.run_form = form;
                return show(&web, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let dry_run = form.mode != "apply";
    match service::sweep(&web.app, web.actor(), at, dry_run, STEP_LIMIT).await {
        Ok(r) => {
            extra.result = Some(result_of(tr, &r));
            extra.run_form = form;
            show(&web, extra, StatusCode::OK).await
        }
        Err(ServiceError::Validation(v)) => {
            extra.errs = field_errs(tr, &v, &["at"]);
            extra.run_form = form;
            show(&web, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(web.failure(e)),
    }
}

/// `POST /privacy/retention/holds`: places a legal hold.
pub async fn place_hold(Posted { web, form }: Posted<HoldForm>) -> PageResult {
    let tr = web.tr();
    if !form.pick.is_empty() {
        let mut extra = blank(&web);
        extra.hold_form = form;
        return show(&web, extra, StatusCode::OK).await;
    }
    let until = Some(form.until.as_str()).filter(|u| !u.trim().is_empty());
    match service::place_hold(&web.app, web.actor(), &form.contact_id, &form.reason, until).await {
        Ok(_) => Ok(see_other("/privacy/retention?flash=hold_placed#holds")),
        Err(e @ (ServiceError::Validation(_) | ServiceError::NotFound(_) | ServiceError::Gone(_))) => {
            let mut extra = blank(&web);
            match e {
                ServiceError::Validation(v) => extra.errs = field_errs(tr, &v, &["contact_id", "reason", "until"]),
                ServiceError::NotFound(_) => extra.errs.add("contact_id", tr.t("retention.err_no_contact")),
                _ => extra.refusal = Some(tr.t("retention.err_erased").to_string()),
            }
            extra.hold_form = form;
            show(&web, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(web.failure(e)),
    }
}

/// `POST /privacy/retention/holds/{id}/release`.
pub async fn release_hold(Path(id): Path<String>, Posted { web, form: _ }: Posted<RunForm>) -> Response {
    match service::release_hold(&web.app, web.actor(), &id).await {
        Ok(_) => see_other("/privacy/retention?flash=hold_released#holds"),
        Err(ServiceError::Conflict(_)) => see_other("/privacy/retention#holds"),
        Err(e) => web.fail(e),
    }
}
