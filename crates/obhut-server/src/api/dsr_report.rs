//! Data subject requests over the API: the Art. 15 access report (JSON, HTML or PDF) and the
//! Art. 20 portability archive of a contact.

use super::extract::{ApiActor, ApiQuery};
use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::i18n::Lang;
use crate::services::dsr_report::{self as service, Format};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use obhut_core::ids::ContactId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(access_report)).routes(routes!(portability))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// json (default), html or pdf.
    #[param(value_type = Option<ReportFormat>, inline)]
    pub format: Option<String>,
    /// de (default) or en: the language of the HTML and PDF.
    #[param(value_type = Option<ReportLanguage>, inline)]
    pub lang: Option<String>,
}

/// The formats of the access report.
#[derive(Debug, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Html,
    Pdf,
}

/// The languages of the access report.
#[derive(Debug, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ReportLanguage {
    De,
    En,
}

fn file_response(bytes: Vec<u8>, content_type: &'static str, disposition: &str) -> Response {
    let mut r = bytes.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The Art. 15 access report of a contact: the copy of the data, purposes with legal bases,
/// data categories, recipients (third countries, safeguards), retention, source, rights and
/// automated decisions, with the audit trail about the person. DPO or administrator; audited
/// as `dsr.access_report`.
#[utoipa::path(get, path = "/contacts/{id}/access-report", tag = "privacy", params(("id" = String, Path, description = "contact id"), ReportQuery),
    responses(
        (status = 200, description = "the report", content((Object = "application/json"), (String = "text/html"), (String = "application/pdf"))), (status = 410, body = Problem, description = "the contact was erased"),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn access_report(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, Problem> {
    let format = Format::parse(q.format.as_deref().unwrap_or("json")).map_err(|m| bad_request("format", m))?;
    let lang = match q.lang.as_deref() {
        Some(l) => service::parse_lang(l).map_err(|m| bad_request("lang", m))?,
        None => Lang::De,
    };
    // The service asks the gate before it looks the id up: who may not ask learns nothing.
    let report = service::access_report(&app, &actor, &id).await?;
    let bytes = service::render(&report, format, lang, None)?;
    let disposition = format!("inline; filename=\"access-report-{}.{}\"", report.subject.id, format.extension());
    Ok(file_response(bytes, format.content_type(), &disposition))
}

/// The Art. 20 export of a contact: one zip file with `data.json`, `data.csv` and
/// `contact.vcf`, holding the data the person provided. DPO or administrator; audited as
/// `dsr.portability`.
#[utoipa::path(get, path = "/contacts/{id}/portability", tag = "privacy", params(("id" = String, Path, description = "contact id")),
    responses(
        (status = 200, description = "the zip file", content_type = "application/zip", body = String), (status = 410, body = Problem, description = "the contact was erased"),
        (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn portability(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<Response, Problem> {
    let bytes = service::portability(&app, &actor, &id).await?;
    let cid = ContactId::parse(&id).map_err(|m| bad_request("id", m))?;
    Ok(file_response(bytes, "application/zip", &format!("attachment; filename=\"data-export-{cid}.zip\"")))
}
