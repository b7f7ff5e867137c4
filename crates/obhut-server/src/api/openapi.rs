//! The OpenAPI 3.1 document, generated from the routers of the resource modules and their
//! handlers' annotations, and completed with the answers every operation shares.

use crate::app::App;
use axum::Json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// The media type of every error answer (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Obhut API",
        description = "The JSON API of Obhut, a CRM that enforces the GDPR. Every request carries `Authorization: Bearer <token>`. \
            Errors are RFC 9457 problem details (`application/problem+json`) whose `errors` name each bad field."
    ),
    components(schemas(obhut_core::contact::EmailInput, obhut_core::contact::PhoneInput, obhut_core::contact::AddressInput))
)]
struct ApiDoc;

/// The contact import is routed by `server::router` (it has its own body limit), so its
/// operation is documented here rather than by a resource router.
#[derive(OpenApi)]
#[openapi(paths(super::contacts::import_contacts))]
struct ImportDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    let v1 = super::routes::v1().merge(OpenApiRouter::with_openapi(ImportDoc::openapi()));
    let mut doc = OpenApiRouter::<App>::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).into_openapi();
    BearerAuth.modify(&mut doc);
    SharedAnswers.modify(&mut doc);
    doc
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `obhut token create` or `POST /api/v1/tokens`."))
                    .build(),
            ),
        );
    }
}

/// Adds to every operation the answers that follow from its extractors (see `extract`), so
/// that no handler has to repeat them, and serves every problem as `application/problem+json`:
///
/// * bearer token (`ApiActor`): 401 without one or with one that is unknown, expired or
///   revoked; 503 when the database cannot be reached;
/// * a path parameter: 404 (an id that cannot be one answers 404 like an unknown one);
/// * query parameters or a header (`ApiQuery`, `If-Match`): 400 for a bad one;
/// * a JSON body (`ApiJson`): 400 for bad syntax, an unknown field or a wrong type, 413 over
///   256 KiB, 415 for another media type, 422 for values the service refuses.
struct SharedAnswers;

impl Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                complete(op);
            }
        }
    }
}

fn complete(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let (in_path, in_query, in_header) = (has(ParameterIn::Path), has(ParameterIn::Query), has(ParameterIn::Header));
    let json_body = op.request_body.as_ref().is_some_and(|b| b.content.contains_key("application/json"));
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut shared: Vec<(&str, &str)> = Vec::new();
    if in_query || in_header || json_body {
        shared.push(("400", "The request is malformed: a bad query parameter or header, or a body that is no JSON of the expected shape (`errors` names the field)"));
    }
    if secured {
        shared.push(("401", "No bearer token, or one that is unknown, expired or revoked"));
    }
    if in_path {
        shared.push(("404", "No such record, or an identifier that cannot name one"));
    }
    if json_body {
        shared.push(("413", "The body is larger than 256 KiB"));
        shared.push(("415", "The body is not application/json"));
        shared.push(("422", "The input is not valid (`errors` names each field)"));
    }
    if secured {
        shared.push(("503", "The database cannot be reached"));
    }
    for (status, description) in shared {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::T(problem_response(description)));
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        let is_problem = response
            .content
            .get("application/json")
            .is_some_and(|c| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == Ref::from_schema_name("Problem").ref_location));
        if is_problem {
            if let Some(content) = response.content.shift_remove("application/json") {
                response.content.insert(PROBLEM_JSON.to_string(), content);
            }
        }
        if response.description.is_empty() {
            let reason =
                status.parse::<u16>().ok().and_then(|s| axum::http::StatusCode::from_u16(s).ok()).and_then(|s| s.canonical_reason());
            response.description = reason.unwrap_or("Answer").into();
        }
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
        .build()
}
