//! Data subject requests from the contact page: the Art. 15 report as a printable page (with
//! its PDF) and the Art. 20 archive. The services decide who may; the page only offers the
//! links to those the gate would let through.

use super::failure::{OrFail, PageResult};
use super::session::Web;
use crate::services::dsr_report::{self as service, Format};
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    /// de or en; default the user's language.
    lang: String,
}

fn file(bytes: Vec<u8>, content_type: &'static str, disposition: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        bytes,
    )
        .into_response()
}

async fn report(web: Web, id: String, q: ReportQuery, format: Format) -> PageResult {
    let lang = service::parse_lang(&q.lang).unwrap_or(web.tr().lang);
    let report = service::access_report(&web.app, web.actor(), &id).await.or_fail(&web)?;
    let pdf_link = format!("/contacts/{}/access-report.pdf?lang={}", report.subject.id, lang.code());
    match service::render(&report, format, lang, Some(&pdf_link)) {
        Ok(bytes) => {
            let disposition = format!("inline; filename=\"access-report-{}.{}\"", report.subject.id, format.extension());
            Ok(file(bytes, format.content_type(), disposition))
        }
        Err(e) => Err(web.failure(e)),
    }
}

/// `GET /contacts/{id}/access-report`: the report as a standalone page, ready to print.
pub async fn access_report_page(web: Web, Path(id): Path<String>, Query(q): Query<ReportQuery>) -> PageResult {
    report(web, id, q, Format::Html).await
}

/// `GET /contacts/{id}/access-report.pdf`.
pub async fn access_report_pdf(web: Web, Path(id): Path<String>, Query(q): Query<ReportQuery>) -> PageResult {
    report(web, id, q, Format::Pdf).await
}

/// `GET /contacts/{id}/portability.zip`: the Art. 20 archive as a download.
pub async fn portability_zip(web: Web, Path(id): Path<String>) -> Response {
    match service::portability(&web.app, web.actor(), &id).await {
        Ok(bytes) => {
            let id = obhut_core::ids::ContactId::parse(&id).map(|c| c.to_string()).unwrap_or_default();
            file(bytes, "application/zip", format!("attachment; filename=\"data-export-{id}.zip\""))
        }
        Err(e) => web.fail(e),
    }
}
