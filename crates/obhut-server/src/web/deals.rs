//! Deals: the pipeline board, the deal page, the deal forms, and the stage settings.

use super::common::{
    add_activity, contact_names, organization_names, with_flash, ActivityForm, Timeline,
};
use super::page::{non_empty, render, render_status, see_other, ConfirmDelete, Ctx, Errs, Opt};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::deals as service;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::deal::{DealInput, StageInput, StageOutcome};
use obhut_core::ids::{DealId, StageId};
use obhut_core::ValidationErrors;
use obhut_store::activities::ActivityOwner;
use obhut_store::deals::{DealRecord, StageRecord};
use serde::Deserialize;

pub(super) async fn load_stages(web: &Web) -> Result<Vec<StageRecord>, Response> {
    service::stages(&web.app, web.actor()).await.map_err(|e| web.fail(e))
}

pub(super) fn stage_options(stages: &[StageRecord]) -> Vec<Opt> {
    stages.iter().map(|s| Opt::new(s.id.to_string(), s.name.clone())).collect()
}


#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DealForm {
    title: String,
    stage_id: String,
    organization_id: String,
    contact_id: String,
    amount: String,
    currency: String,
    expected_close_on: String,
    record_class: String,
    team: String,
    close_reason: String,
    version: String,
    /// The pickers' searches, and which one was asked for (then nothing is saved).
    organization_id_q: String,
    contact_id_q: String,
    pick: String,
}

const DEAL_FIELDS: &[&str] =
    &["title", "stage_id", "close_reason", "organization_id", "contact_id", "amount", "currency", "expected_close_on", "record_class", "team"];

impl DealForm {
    fn from_record(d: &DealRecord) -> Self {
        let x = &d.draft;
        Self {
            title: x.title.clone(),
            stage_id: x.stage_id.map(|s| s.to_string()).unwrap_or_default(),
            organization_id: x.organization_id.map(|s| s.to_string()).unwrap_or_default(),
            contact_id: x.contact_id.map(|s| s.to_string()).unwrap_or_default(),
            amount: x.amount_cents.map(fmt::amount_input).unwrap_or_default(),
            currency: x.currency.clone(),
            expected_close_on: x.expected_close_on.map(|d| d.to_string()).unwrap_or_default(),
            record_class: x.record_class.as_str().into(),
            team: x.team.clone().unwrap_or_default(),
            close_reason: x.close_reason.clone().unwrap_or_default(),
            version: d.version.to_string(),
            ..Default::default()
        }
    }

    fn to_input(&self) -> DealInput {
        let v = |s: &String| Some(s.clone());
        DealInput {
            title: v(&self.title),
            stage_id: non_empty(&self.stage_id).map(String::from),
            organization_id: v(&self.organization_id),
            contact_id: v(&self.contact_id),
            amount: v(&self.amount),
            currency: v(&self.currency),
            expected_close_on: v(&self.expected_close_on),
            owner_id: None,
            record_class: non_empty(&self.record_class).map(String::from),
            team: Some(self.team.clone()),
            close_reason: Some(self.close_reason.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "deals/form.html")]
struct DealFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    form: DealForm,
    errs: Errs,
    stages: Vec<Opt>,
    reasons: Vec<Opt>,
    organization: super::picker::Picker,
    contact: super::picker::Picker,
    classes: Vec<Opt>,
}

/// Every close reason, won and lost (the server checks it against the stage's outcome).
pub(super) fn reason_options(tr: crate::i18n::Tr) -> Vec<Opt> {
    let mut codes: Vec<&str> = obhut_core::deal::WON_REASONS.to_vec();
    codes.extend(obhut_core::deal::LOST_REASONS.iter().filter(|r| !obhut_core::deal::WON_REASONS.contains(r)));
    codes.into_iter().map(|c| Opt::new(c, tr.v("close_reason", c))).collect()
}

async fn form_page(web: &Web, existing: Option<&DealRecord>, form: DealForm, errs: Errs) -> Result<DealFormPage, Response> {
    let tr = web.tr();
    let stages = load_stages(web).await?;
    let (heading, action, cancel) = match existing {
        Some(d) => (tr.f("deals.edit_heading", &d.draft.title), format!("/deals/{}/edit", d.id), format!("/deals/{}", d.id)),
        None => (tr.t("deals.new").to_string(), "/deals".into(), "/deals".into()),
    };
    Ok(DealFormPage {
        ctx: web.ctx("deals"),
        heading,
        action,
        cancel,
        stages: stage_options(&stages),
        reasons: reason_options(tr),
        organization: super::picker::Picker::organization(web, "organization_id", &form.organization_id, &form.organization_id_q).await,
        contact: super::picker::Picker::contact(web, "contact_id", &form.contact_id, &form.contact_id_q, super::common::SALES_PURPOSE).await,
        classes: super::common::class_options(tr),
        form,
        errs,
    })
}

async fn show_form(web: &Web, existing: Option<&DealRecord>, form: DealForm, errs: Errs) -> Response {
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    match form_page(web, existing, form, errs).await {
        Ok(p) => render_status(status, &p),
        Err(r) => r,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewDealQuery {
    organization_id: String,
    contact_id: String,
}

/// `GET /deals/new` (`?organization_id=` or `?contact_id=` preselect).
pub async fn new_deal_page(web: Web, Query(q): Query<NewDealQuery>) -> Response {
    let form = DealForm { organization_id: q.organization_id, contact_id: q.contact_id, currency: "EUR".into(), ..Default::default() };
    show_form(&web, None, form, Errs::none()).await
}

/// `POST /deals`.
pub async fn create_deal(Posted { web, form }: Posted<DealForm>) -> Response {
    if !form.pick.is_empty() {
        return show_form(&web, None, form, Errs::none()).await;
    }
    match service::create(&web.app, web.actor(), &form.to_input()).await {
        Ok(d) => see_other(&format!("/deals/{}?flash=created", d.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], DEAL_FIELDS);
            show_form(&web, None, form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

async fn load(web: &Web, id: &str) -> Result<DealRecord, Response> {
    let Ok(id) = DealId::parse(id) else { return Err(web.not_found()) };
    service::get(&web.app, web.actor(), id).await.map_err(|e| web.fail(e))
}

/// `GET /deals/{id}/edit`.
pub async fn edit_deal_page(web: Web, Path(id): Path<String>) -> Response {
    match load(&web, &id).await {
        Ok(d) => show_form(&web, Some(&d), DealForm::from_record(&d), Errs::none()).await,
        Err(r) => r,
    }
}

/// `POST /deals/{id}/edit`.
pub async fn update_deal(Path(id): Path<String>, Posted { web, form }: Posted<DealForm>) -> Response {
    let current = match load(&web, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if !form.pick.is_empty() {
        return show_form(&web, Some(&current), form, Errs::none()).await;
    }
    match service::update(&web.app, web.actor(), current.id, form.to_input(), form.version.trim().parse().ok()).await {
        Ok(d) => see_other(&format!("/deals/{}?flash=saved", d.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &[], DEAL_FIELDS);
            show_form(&web, Some(&current), form, errs).await
        }
        Err(e) => web.fail(e),
    }
}

#[derive(Debug)]
struct DealView {
    id: String,
    title: String,
    stage_id: String,
    stage: String,
    outcome: &'static str,
    probability: Option<i64>,
    organization: Option<(String, String)>,
    contact: Option<(String, String)>,
    amount: Option<String>,
    expected_close: Option<String>,
    created: String,
    updated: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "deals/show.html")]
struct DealPage {
    ctx: Ctx,
    d: DealView,
    stages: Vec<Opt>,
    timeline: Timeline,
    tasks: super::tasks::TaskSection,
}

async fn deal_page_with(web: &Web, id: &str, typed: Option<(ActivityForm, Errs)>) -> Response {
    let tr = web.tr();
    let d = match load(web, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let stages = match load_stages(web).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let timeline = match Timeline::load(web, ActivityOwner::Deal(d.id), format!("/deals/{}", d.id), typed).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let x = &d.draft;
    let stage = x.stage_id.and_then(|s| stages.iter().find(|st| st.id == s));
    let organization = match x.organization_id {
        Some(o) => organization_names(web, vec![o]).await.remove(&o).map(|n| (format!("/organizations/{o}"), n)),
        None => None,
    };
    let contact = match x.contact_id {
        Some(c) => contact_names(web, vec![c], super::common::SALES_PURPOSE).await.remove(&c).map(|n| (format!("/contacts/{c}"), n)),
        None => None,
    };
    let view = DealView {
        id: d.id.to_string(),
        title: x.title.clone(),
        stage_id: x.stage_id.map(|s| s.to_string()).unwrap_or_default(),
        stage: stage.map(|s| s.name.clone()).unwrap_or_default(),
        outcome: stage.map(|s| s.outcome.as_str()).unwrap_or("open"),
        probability: stage.map(|s| s.probability),
        organization,
        contact,
        amount: x.amount_cents.map(|c| fmt::amount(tr.lang, c, &x.currency)),
        expected_close: x.expected_close_on.map(|v| fmt::date(tr.lang, v)),
        created: fmt::datetime(tr.lang, d.created_at),
        updated: fmt::datetime(tr.lang, d.updated_at),
        version: d.version,
    };
    let tasks = match super::tasks::TaskSection::of(web, obhut_core::task::TaskOn::Deal(d.id)).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    render_status(status, &DealPage { ctx: web.ctx("deals"), d: view, stages: stage_options(&stages), timeline, tasks })
}

/// `GET /deals/{id}`.
pub async fn deal_page(web: Web, Path(id): Path<String>) -> Response {
    let page = deal_page_with(&web, &id, None).await;
    if page.status().is_success() {
        crate::services::tasks::note_view(&web.app, web.actor(), "deal", id);
    }
    page
}

/// `POST /deals/{id}/activities`.
pub async fn add_deal_activity(Path(id): Path<String>, Posted { web, form }: Posted<ActivityForm>) -> Response {
    let Ok(did) = DealId::parse(&id) else { return web.not_found() };
    match add_activity(&web, ActivityOwner::Deal(did), form).await {
        Ok(()) => see_other(&with_flash(&format!("/deals/{did}#activities"), "activity")),
        Err(Ok(typed)) => deal_page_with(&web, &id, Some(typed)).await,
        Err(Err(r)) => r,
    }
}

/// `GET /deals/{id}/delete`.
pub async fn delete_deal_page(web: Web, Path(id): Path<String>) -> Response {
    let d = match load(&web, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let tr = web.tr();
    render(&ConfirmDelete {
        ctx: web.ctx("deals"),
        heading: tr.f("deals.delete_heading", &d.draft.title),
        question: tr.t("deals.delete_question").to_string(),
        action: format!("/deals/{}/delete", d.id),
        cancel: format!("/deals/{}", d.id),
    })
}

/// `POST /deals/{id}/delete`.
pub async fn delete_deal(Path(id): Path<String>, Posted { web, .. }: Posted<super::auth::Empty>) -> Response {
    let Ok(id) = DealId::parse(&id) else { return web.not_found() };
    match service::delete(&web.app, web.actor(), id).await {
        Ok(()) => see_other("/deals?flash=deleted"),
        Err(e) => web.fail(e),
    }
}

/// A pipeline stage as its form shows it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StageForm {
    name: String,
    position: String,
    probability: String,
    outcome: String,
}

const STAGE_FIELDS: &[&str] = &["name", "position", "probability", "outcome"];

impl StageForm {
    fn from_record(s: &StageRecord) -> Self {
        Self {
            name: s.name.clone(),
            position: s.position.to_string(),
            probability: s.probability.to_string(),
            outcome: s.outcome.as_str().into(),
        }
    }

    /// The numbers are read here; a field that is no whole number is reported like the domain's errors.
    fn to_input(&self, tr: Tr) -> Result<StageInput, Errs> {
        let mut errs = Errs::none();
        let mut number = |field: &str, v: &str| match non_empty(v) {
            None => None,
            Some(n) => match n.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errs.add(field, tr.t("val.number"));
                    None
                }
            },
        };
        let position = number("position", &self.position);
        let probability = number("probability", &self.probability);
        if errs.any() {
            return Err(errs);
        }
        Ok(StageInput { name: Some(self.name.clone()), position, probability, outcome: non_empty(&self.outcome).map(String::from) })
    }
}

#[derive(Debug)]
struct StageRow {
    id: String,
    form: StageForm,
    errs: Errs,
}

#[derive(Template)]
#[template(path = "deals/stages.html")]
struct StagesPage {
    ctx: Ctx,
    rows: Vec<StageRow>,
    new_form: StageForm,
    new_errs: Errs,
    outcomes: Vec<Opt>,
}

/// The stage page; `typed` is a row (stage id, or `None` for the new one) to show as typed with its errors.
async fn stages_page_with(web: &Web, typed: Option<(Option<StageId>, StageForm, Errs)>) -> Response {
    let tr = web.tr();
    let stages = match load_stages(web).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (mut typed_row, mut new_form, mut new_errs) = (None, StageForm { outcome: "open".into(), ..Default::default() }, Errs::none());
    match typed {
        Some((None, f, e)) => {
            new_form = f;
            new_errs = e;
        }
        Some((Some(id), f, e)) => typed_row = Some((id, f, e)),
        None => {}
    }
    let rows = stages
        .iter()
        .map(|s| match typed_row.take_if(|(id, _, _)| *id == s.id) {
            Some((_, form, errs)) => StageRow { id: s.id.to_string(), form, errs },
            None => StageRow { id: s.id.to_string(), form: StageForm::from_record(s), errs: Errs::none() },
        })
        .collect();
    let outcomes = [StageOutcome::Open, StageOutcome::Won, StageOutcome::Lost]
        .iter()
        .map(|o| Opt::new(o.as_str(), tr.v("outcome", o.as_str())))
        .collect();
    render_status(status, &StagesPage { ctx: web.ctx("deals"), rows, new_form, new_errs, outcomes })
}

/// `GET /deals/stages`.
pub async fn stages_page(web: Web) -> Response {
    stages_page_with(&web, None).await
}

fn stage_errors(tr: Tr, v: &ValidationErrors) -> Errs {
    Errs::from_validation(tr, v, &[], STAGE_FIELDS)
}

/// `POST /deals/stages`: a new stage (administrators).
pub async fn create_stage(Posted { web, form }: Posted<StageForm>) -> Response {
    let input = match form.to_input(web.tr()) {
        Ok(i) => i,
        Err(errs) => return stages_page_with(&web, Some((None, form, errs))).await,
    };
    match service::create_stage(&web.app, web.actor(), &input).await {
        Ok(_) => see_other("/deals/stages?flash=created"),
        Err(ServiceError::Validation(v)) => stages_page_with(&web, Some((None, form, stage_errors(web.tr(), &v)))).await,
        Err(e) => web.fail(e),
    }
}

/// `POST /deals/stages/{id}`: rename, reorder, change probability or outcome.
pub async fn update_stage(Path(id): Path<String>, Posted { web, form }: Posted<StageForm>) -> Response {
    let Ok(id) = StageId::parse(&id) else { return web.not_found() };
    let input = match form.to_input(web.tr()) {
        Ok(i) => i,
        Err(errs) => return stages_page_with(&web, Some((Some(id), form, errs))).await,
    };
    match service::update_stage(&web.app, web.actor(), id, &input).await {
        Ok(_) => see_other("/deals/stages?flash=saved"),
        Err(ServiceError::Validation(v)) => stages_page_with(&web, Some((Some(id), form, stage_errors(web.tr(), &v)))).await,
        Err(e) => web.fail(e),
    }
}

/// `POST /deals/stages/{id}/delete`.
pub async fn delete_stage(Path(id): Path<String>, Posted { web, .. }: Posted<super::auth::Empty>) -> Response {
    let Ok(id) = StageId::parse(&id) else { return web.not_found() };
    match service::delete_stage(&web.app, web.actor(), id).await {
        Ok(()) => see_other("/deals/stages?flash=deleted"),
        Err(ServiceError::Validation(v)) => {
            // "Still holds deals": shown at the stage's row, as it stands.
            let stages = match load_stages(&web).await {
                Ok(s) => s,
                Err(r) => return r,
            };
            let Some(stage) = stages.iter().find(|s| s.id == id) else { return web.not_found() };
            stages_page_with(&web, Some((Some(id), StageForm::from_record(stage), stage_errors(web.tr(), &v)))).await
        }
        Err(e) => web.fail(e),
    }
}
