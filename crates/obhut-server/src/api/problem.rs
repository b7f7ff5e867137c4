//! RFC 9457 problem details. Every error of the API leaves through here.

use crate::error::ServiceError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use obhut_core::FieldError;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per bad field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: Option<String>) -> Self {
        Self { kind: format!("/problems/{kind}"), title: title.into(), status: status.as_u16(), detail, errors: vec![] }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, axum::Json(&self)).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Validation(errs) => {
                let detail = errs
                    .0
                    .iter()
                    .map(|e| if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", e.field, e.message) })
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation-error", "The input is not valid", Some(detail));
                p.errors = errs.0;
                p
            }
            ServiceError::NotFound(what) => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", Some(format!("no such {what}"))),
            ServiceError::Gone(m) => Problem::new(StatusCode::GONE, "gone", "Erased", Some(m)),
            ServiceError::Forbidden(m) => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", Some(m)),
            ServiceError::Restricted(m) => {
                Problem::new(StatusCode::FORBIDDEN, "restricted", "Processing is restricted (Art. 18 GDPR)", Some(m))
            }
            ServiceError::Unauthorized => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required", Some("send a valid bearer token".into()))
            }
            ServiceError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", Some(m)),
            ServiceError::RateLimited(s) => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests", Some(format!("try again in {s} seconds")))
            }
            ServiceError::Unavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                Some("the database is not reachable".into()),
            ),
            ServiceError::Internal(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", None),
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// A problem for one field of the request itself (body, query).
pub fn bad_request(field: &str, message: impl Into<String>) -> Problem {
    let message = message.into();
    let mut p = Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "The request is malformed",
        Some(if field.is_empty() { message.clone() } else { format!("{field}: {message}") }),
    );
    p.errors = vec![FieldError { field: field.into(), message }];
    p
}

pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        Some("this endpoint does not take this method".into()),
    )
}

pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", Some("no such endpoint".into()))
}
