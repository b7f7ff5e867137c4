//! `/api/v1/contacts`: create, read, update, delete, list and search, import and export.

use super::activities::ActivityOut;
use super::extract::{if_match, parse_id, ApiActor, ApiJson, ApiQuery, IfMatch, PageQuery, ReadQuery};
use super::problem::{bad_request, Problem};
use crate::app::App;
pub use crate::services::contact_view::{AddressOut, ContactOut, EmailOut, OriginOut, PhoneOut};
use crate::services::{self, Page};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use obhut_core::contact::{ContactInput, ContactKind};
use obhut_core::ids::ContactId;
use obhut_store::contacts::{ContactFilter, Origin};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The contact routes but the import, which `server::router` mounts with its own body limit
/// and its check before the body is read.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(export_contacts))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(list_contact_activities))
}

/// A hint that travels with a successful answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Warning {
    /// `possible_duplicate`.
    pub code: String,
    pub field: String,
    pub message: String,
    pub contact_id: String,
}

/// The created contact (its `id` among its fields, once) and the warnings about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactCreated {
    #[serde(flatten)]
    pub contact: ContactOut,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<ContactOut>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// A name search matched more candidates than it examines: refine the query.
    pub truncated: bool,
}

/// The orders of a contact list.
#[derive(Debug, ToSchema)]
pub enum ContactSort {
    #[schema(rename = "-created_at")]
    Newest,
    #[schema(rename = "created_at")]
    Oldest,
    #[schema(rename = "-updated_at")]
    Changed,
    #[schema(rename = "name")]
    Name,
    #[schema(rename = "-name")]
    NameDesc,
    #[schema(rename = "organization")]
    Organization,
    #[schema(rename = "-organization")]
    OrganizationDesc,
    #[schema(rename = "owner")]
    Owner,
    #[schema(rename = "-owner")]
    OwnerDesc,
    #[schema(rename = "-last_activity")]
    LastActivity,
    #[schema(rename = "last_activity")]
    LastActivityOldest,
}

/// The formats of a contact export.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ContactExportFormat {
    Csv,
    Json,
    Vcf,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Search: an email or phone (exact), or the beginnings of given and family name, or an organization name.
    pub q: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// `-created_at` (default), `created_at`, `-updated_at`, `name` or `-name` (family name, then given name, across all pages),
    /// `organization`, `-organization`, `owner`, `-owner` (user name), `-last_activity` (latest first), `last_activity`.
    #[param(value_type = Option<ContactSort>, inline)]
    pub sort: Option<String>,
    #[param(value_type = Option<ContactKind>)]
    pub kind: Option<String>,
    pub organization_id: Option<String>,
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    pub language: Option<String>,
    /// The city of the contact's first address (compared folded: "Köln" = "koeln").
    pub city: Option<String>,
    /// Created on or after this day (`YYYY-MM-DD`, German time).
    pub created_from: Option<String>,
    /// Created on or before this day.
    pub created_to: Option<String>,
    /// With an activity on or after this day.
    pub active_since: Option<String>,
    /// With no activity since this day (or none at all).
    pub inactive_since: Option<String>,
    /// A purpose key of the registry (default `contract`); each contact handed out is logged as read under it.
    pub purpose: Option<String>,
}

impl ContactQuery {
    pub fn filter(&self, app: &App) -> Result<ContactFilter, Problem> {
        let mut f = self.base_filter()?;
        let values = services::contact_list::ValueFilters {
            city: self.city.as_deref(),
            created_from: self.created_from.as_deref(),
            created_to: self.created_to.as_deref(),
            active_since: self.active_since.as_deref(),
            inactive_since: self.inactive_since.as_deref(),
        };
        services::contact_list::apply_value_filters(app, &mut f, &values)?;
        Ok(f)
    }

    fn base_filter(&self) -> Result<ContactFilter, Problem> {
        Ok(ContactFilter {
            kind: self.kind.as_deref().map(ContactKind::parse).transpose().map_err(|m| bad_request("kind", m))?,
            organization_id: self
                .organization_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(obhut_core::ids::OrganizationId::parse)
                .transpose()
                .map_err(|m| bad_request("organization_id", m))?,
            owner_id: self
                .owner_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(obhut_core::ids::UserId::parse)
                .transpose()
                .map_err(|m| bad_request("owner_id", m))?,
            tag: self.tag.as_deref().filter(|s| !s.is_empty()).map(|t| t.trim().to_lowercase()),
            language: self.language.as_deref().filter(|s| !s.is_empty()).map(str::to_string),
            ..Default::default()
        })
    }
    pub fn sort(&self) -> Result<services::contact_list::Sort, Problem> {
        self.sort
            .as_deref()
            .map(services::contact_list::Sort::parse)
            .transpose()
            .map_err(|m| bad_request("sort", m))
            .map(Option::unwrap_or_default)
    }
}

fn with_etag(mut r: Response, version: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Create a contact.
#[utoipa::path(post, path = "/contacts", tag = "contacts", request_body = ContactInput,
    responses((status = 201, body = ContactCreated, headers(("Location" = String, description = "the new contact"), ("ETag" = String, description = "its version"))),
        (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_contact(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Response, Problem> {
    let origin = Origin { source: "api".into(), detail: Some(format!("API, {}", actor.audit_name())), import_run_id: None };
    let (r, dups) = services::contacts::create(&app, &actor, &input, origin).await?;
    let warnings = dups
        .iter()
        .map(|d| Warning {
            code: "possible_duplicate".into(),
            field: d.field.into(),
            message: format!("another contact has the same {}", d.field),
            contact_id: d.contact_id.to_string(),
        })
        .collect();
    let body = ContactCreated { contact: ContactOut::from_record(&r, None), warnings };
    let mut resp = with_etag((StatusCode::CREATED, Json(body)).into_response(), r.version);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/contacts/{}", r.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// Read a contact. The read is logged with its purpose before the data is returned.
#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "contact id"), ReadQuery),
    responses((status = 200, body = ContactOut, headers(("ETag" = String, description = "the contact's version"))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 410, body = Problem, description = "the contact was erased"),
        (status = 422, body = Problem, description = "unknown purpose")), security(("bearer" = [])))]
pub async fn get_contact(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ReadQuery>,
) -> Result<Response, Problem> {
    let id = parse_id(&id, ContactId::parse)?;
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    let r = services::contacts::get_for(&app, &actor, id, purpose).await?;
    Ok(with_etag(Json(ContactOut::from_record(&r, None)).into_response(), r.version))
}

/// Change a contact: absent fields stay, an empty string clears. `If-Match` guards against lost updates.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", request_body = ContactInput, params(("id" = String, Path, description = "contact id"), ReadQuery, IfMatch),
    responses((status = 200, body = ContactOut, headers(("ETag" = String, description = "the contact's new version"))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "the contact changed since the version in If-Match"),
        (status = 410, body = Problem, description = "the contact was erased")),
    security(("bearer" = [])))]
pub async fn update_contact(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReadQuery>,
    ApiJson(patch): ApiJson<ContactInput>,
) -> Result<Response, Problem> {
    let id = parse_id(&id, ContactId::parse)?;
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    let r = services::contacts::update_for(&app, &actor, id, patch, if_match(&headers)?, purpose).await?;
    Ok(with_etag(Json(ContactOut::from_record(&r, None)).into_response(), r.version))
}

/// Delete a contact with its activities and tickets.
#[utoipa::path(delete, path = "/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "contact id")),
    responses((status = 204, description = "deleted"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 410, body = Problem, description = "the contact was erased")), security(("bearer" = [])))]
pub async fn delete_contact(State(app): State<App>, ApiActor(actor): ApiActor, Path(id): Path<String>) -> Result<StatusCode, Problem> {
    let id = parse_id(&id, ContactId::parse)?;
    services::contacts::delete(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List or search contacts.
#[utoipa::path(get, path = "/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, body = ContactPage), (status = 403, body = Problem), (status = 422, body = Problem, description = "unknown purpose")),
    security(("bearer" = [])))]
pub async fn list_contacts(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> Result<Json<ContactPage>, Problem> {
    let page = Page::new(q.limit, q.offset);
    let purpose = q.purpose.as_deref().unwrap_or(services::contacts::DEFAULT_READ_PURPOSE);
    let list = services::contact_list::list_for(&app, &actor, q.q.as_deref(), &q.filter(&app)?, q.sort()?, page, purpose).await?;
    Ok(Json(ContactPage {
        items: list.items.iter().map(|r| ContactOut::from_record(r, None)).collect(),
        total: list.total,
        limit: page.limit,
        offset: page.offset,
        truncated: list.truncated,
    }))
}

/// A contact's activities, newest first.
#[utoipa::path(get, path = "/contacts/{id}/activities", tag = "contacts", params(("id" = String, Path, description = "contact id"), PageQuery),
    responses((status = 200, body = Vec<ActivityOut>), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 410, body = Problem, description = "the contact was erased")), security(("bearer" = [])))]
pub async fn list_contact_activities(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<ActivityOut>>, Problem> {
    let id = parse_id(&id, ContactId::parse)?;
    services::contacts::get(&app, &actor, id).await?;
    super::activities::list_for(&app, &actor, obhut_store::activities::ActivityOwner::Contact(id), q).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name (decides CSV or vCard together with its content).
    pub file_name: Option<String>,
    /// Check only; write nothing.
    pub dry_run: Option<bool>,
    /// Import the good rows even when some are bad.
    pub skip_invalid: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportOut {
    /// csv or vcard.
    pub format: String,
    pub encoding: String,
    pub rows: usize,
    pub valid: usize,
    pub imported: usize,
    pub skipped: usize,
    pub organizations_created: usize,
    pub errors: Vec<RowErrorOut>,
    /// Columns of the file that map to no field.
    pub ignored_columns: Vec<String>,
    /// Null for a dry run.
    #[schema(required = true)]
    pub import_run_id: Option<String>,
    pub dry_run: bool,
    /// `[stage, milliseconds since the start]` for each stage done.
    pub timings_ms: Vec<(String, u64)>,
}

/// A bad row of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorOut {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl From<services::imports::ImportReport> for ImportReportOut {
    fn from(r: services::imports::ImportReport) -> Self {
        Self {
            format: r.format.into(),
            encoding: r.encoding.into(),
            rows: r.rows,
            valid: r.valid,
            imported: r.imported,
            skipped: r.skipped,
            organizations_created: r.organizations_created,
            errors: r.errors.into_iter().map(|e| RowErrorOut { row: e.row, field: e.field, message: e.message }).collect(),
            ignored_columns: r.ignored_columns,
            import_run_id: r.import_run_id,
            dry_run: r.dry_run,
            timings_ms: r.timings_ms,
        }
    }
}

/// Middleware of the import route: the caller must be allowed to import before the body is
/// read, or even its size looked at (401/403 rather than 413 or a long upload).
pub async fn may_import(State(app): State<App>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let actor = match ApiActor::from_request_parts(&mut parts, &app).await {
        Ok(ApiActor(a)) => a,
        Err(p) => return p.into_response(),
    };
    if let Err(e) = app.authorize(&actor, crate::gate::Action::Import, crate::gate::Resource::Contact).await {
        return Problem::from(e).into_response();
    }
    next.run(axum::extract::Request::from_parts(parts, body)).await
}

/// Import contacts from a CSV or vCard file sent as the request body.
/// With any bad row nothing is written (422 with every bad row named), unless `skip_invalid`.
#[utoipa::path(post, path = "/contacts/import", tag = "contacts", params(ImportQuery), 
    request_body(content((String = "text/csv"), (String = "text/vcard"))),
    responses((status = 200, body = ImportReportOut), (status = 403, body = Problem, description = "the caller may not import (answered before the body is read)"),
        (status = 413, body = Problem, description = "larger than 64 MiB"), (status = 422, body = Problem, description = "bad rows; nothing was imported")),
    security(("bearer" = [])))]
pub async fn import_contacts(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, Problem> {
    let name = q.file_name.unwrap_or_else(|| "upload.csv".into());
    let opts = services::imports::ImportOptions { dry_run: q.dry_run.unwrap_or(false), skip_invalid: q.skip_invalid.unwrap_or(false) };
    let report = services::imports::import_contacts(&app, &actor, &body, &name, opts).await?;
    if !report.errors.is_empty() && !opts.skip_invalid && !opts.dry_run {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import-rejected",
            "The file has bad rows; nothing was imported",
            Some(format!("{} bad rows", report.skipped)),
        );
        p.errors = report
            .errors
            .iter()
            .map(|e| obhut_core::FieldError { field: format!("row {}: {}", e.row, e.field), message: e.message.clone() })
            .collect();
        return Ok(p.into_response());
    }
    Ok(Json(ImportReportOut::from(report)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// csv (default), json or vcf.
    #[param(value_type = Option<ContactExportFormat>, inline)]
    pub format: Option<String>,
    /// Who receives the file (a third party, a processor): the disclosure is logged with it.
    pub recipient: Option<String>,
    #[param(value_type = Option<ContactKind>)]
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub organization_id: Option<String>,
}

/// Export contacts (a bulk disclosure; audited).
#[utoipa::path(get, path = "/contacts/export", tag = "contacts", params(ExportQuery),
    responses((status = 200, description = "the export file", content(
            (Vec<ContactOut> = "application/json"),
            (String = "text/csv"),
            (String = "text/vcard"))),
        (status = 403, body = Problem), (status = 422, body = Problem, description = "a bad recipient")),
    security(("bearer" = [])))]
pub async fn export_contacts(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, Problem> {
    let format = services::contacts::ExportFormat::parse(q.format.as_deref().unwrap_or("csv")).map_err(|m| bad_request("format", m))?;
    let filter = ContactQuery { kind: q.kind, tag: q.tag, organization_id: q.organization_id, ..Default::default() }.filter(&app)?;
    let mut buf: Vec<u8> = Vec::new();
    services::contacts::export_to(&app, &actor, format, &filter, q.recipient.as_deref(), &mut buf).await?;
    let (ct, ext) = match format {
        services::contacts::ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        services::contacts::ExportFormat::Json => ("application/json", "json"),
        services::contacts::ExportFormat::Vcf => ("text/vcard; charset=utf-8", "vcf"),
    };
    let mut r = buf.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"contacts.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
