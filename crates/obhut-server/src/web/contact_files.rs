//! Import and export of contacts in the web UI: `GET /contacts/files` offers both; an upload
//! (CSV or vCard) is checked or imported with the CLI's and the API's rules, and every bad row
//! is named with its field; an export (CSV, JSON, vCard, optionally one tag or kind) is one
//! logged disclosure with the recipient named.

use super::page::{non_empty, render_status, Ctx, Opt};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::services::contacts::ExportFormat;
use crate::services::imports::{ImportOptions, ImportReport};
use askama::Template;
use axum::extract::Multipart;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The most an upload may hold (the API's limit).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

#[derive(Template)]
#[template(path = "contacts/files.html")]
struct FilesPage {
    ctx: Ctx,
    formats: Vec<Opt>,
    kinds: Vec<Opt>,
    /// What an upload did, when one was sent.
    report: Option<ReportView>,
    error: Option<String>,
}

#[derive(Debug)]
struct ReportView {
    file_name: String,
    dry_run: bool,
    rows: usize,
    valid: usize,
    imported: usize,
    skipped: usize,
    /// Row, field, message (in the user's language).
    errors: Vec<(usize, String, String)>,
    ignored_columns: Vec<String>,
    /// Nothing was written because of bad rows.
    rejected: bool,
}

fn page(web: &Web, status: StatusCode, report: Option<ReportView>, error: Option<String>) -> Response {
    let tr = web.tr();
    let formats = vec![Opt::new("csv", "CSV"), Opt::new("json", "JSON"), Opt::new("vcf", "vCard")];
    let kinds = vec![Opt::new("b2c", tr.t("contact_kind.b2c")), Opt::new("b2b", tr.t("contact_kind.b2b"))];
    render_status(status, &FilesPage { ctx: web.ctx("contacts"), formats, kinds, report, error })
}

/// `GET /contacts/files`.
pub async fn files_page(web: Web) -> Response {
    page(&web, StatusCode::OK, None, None)
}

/// `POST /contacts/import` (multipart: `csrf`, `file`, `mode` = check | import, `skip_invalid`).
pub async fn upload(web: Web, mut mp: Multipart) -> Response {
    let tr = web.tr();
    let (mut csrf, mut mode, mut skip, mut file): (String, String, bool, Option<(String, Vec<u8>)>) = (String::new(), String::new(), false, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return page(&web, StatusCode::BAD_REQUEST, None, Some(format!("{}: {e}", tr.t("files.upload_broken")))),
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((file_name, b.to_vec())),
                    Err(e) => return page(&web, StatusCode::BAD_REQUEST, None, Some(format!("{}: {e}", tr.t("files.upload_broken")))),
                }
            }
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "mode" => mode = field.text().await.unwrap_or_default(),
            "skip_invalid" => skip = !field.text().await.unwrap_or_default().is_empty(),
            _ => {}
        }
    }
    if !web.csrf_ok(&csrf) {
        return super::page::csrf_failed_page(web.lang);
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return page(&web, StatusCode::UNPROCESSABLE_ENTITY, None, Some(tr.t("files.no_file").to_string()));
    };
    let dry_run = mode != "import";
    let opts = ImportOptions { dry_run, skip_invalid: skip };
    match crate::services::imports::import_contacts(&web.app, web.actor(), &bytes, &file_name, opts).await {
        Ok(r) => {
            let rejected = !r.errors.is_empty() && !skip && !dry_run;
            let status = if rejected { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            page(&web, status, Some(view(&web, file_name, r, rejected)), None)
        }
        Err(ServiceError::Validation(v)) => {
            let msg = v.0.iter().map(|f| tr.message(&f.message)).collect::<Vec<_>>().join("; ");
            page(&web, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg))
        }
        Err(e) => web.fail(e),
    }
}

fn view(web: &Web, file_name: String, r: ImportReport, rejected: bool) -> ReportView {
    let tr = web.tr();
    ReportView {
        file_name,
        dry_run: r.dry_run,
        rows: r.rows,
        valid: r.valid,
        imported: r.imported,
        skipped: r.skipped,
        errors: r.errors.iter().take(500).map(|e| (e.row, e.field.clone(), tr.message(&e.message))).collect(),
        ignored_columns: r.ignored_columns,
        rejected,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportForm {
    format: String,
    kind: String,
    tag: String,
    recipient: String,
}

/// `POST /contacts/export`: the file, as one logged disclosure.
pub async fn export(Posted { web, form }: Posted<ExportForm>) -> Response {
    let tr = web.tr();
    let format = match ExportFormat::parse(non_empty(&form.format).unwrap_or("csv")) {
        Ok(f) => f,
        Err(m) => return page(&web, StatusCode::UNPROCESSABLE_ENTITY, None, Some(tr.message(&m))),
    };
    let filter = obhut_store::contacts::ContactFilter {
        kind: non_empty(&form.kind).and_then(|k| obhut_core::contact::ContactKind::parse(k).ok()),
        tag: non_empty(&form.tag).map(|t| t.trim().to_lowercase()),
        ..Default::default()
    };
    let mut body: Vec<u8> = Vec::new();
    let recipient = non_empty(&form.recipient);
    match crate::services::contacts::export_to(&web.app, web.actor(), format, &filter, recipient, &mut body).await {
        Ok(_) => {
            let (mime, ext) = match format {
                ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
                ExportFormat::Json => ("application/json", "json"),
                ExportFormat::Vcf => ("text/vcard; charset=utf-8", "vcf"),
            };
            (
                [(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"kontakte.{ext}\""))],
                body,
            )
                .into_response()
        }
        Err(ServiceError::Validation(v)) => {
            let msg = v.0.iter().map(|f| tr.message(&f.message)).collect::<Vec<_>>().join("; ");
            page(&web, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg))
        }
        Err(e) => web.fail(e),
    }
}
