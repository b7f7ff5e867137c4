//! Extractors that answer bad requests with problem details: JSON bodies (unknown fields
//! rejected, the bad field named), query strings, and the bearer-token actor.

use super::problem::{bad_request, Problem};
use crate::app::App;
use crate::error::ServiceError;
use crate::gate::Actor;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

/// A JSON body, parsed with the path of any bad field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<App> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &App) -> Result<Self, Self::Rejection> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !ct.starts_with("application/json") && !ct.contains("+json") {
            let mut p = bad_request("", "send the body as application/json");
            p.status = 415;
            return Err(p);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let mut p = bad_request("", format!("the body cannot be read: {e}"));
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                p.status = 413;
            }
            p
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // "unknown field `x`, expected …": name the unknown field itself.
        let field = match msg.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            Some(f) if path == "." => f.to_string(),
            Some(f) if path.ends_with(f) => path,
            Some(f) => format!("{path}.{f}"),
            None if path == "." => String::new(),
            None => path,
        };
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        bad_request(&field, msg)
    })
}

/// Query parameters, with a problem response naming the bad one.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri).map(|q| ApiQuery(q.0)).map_err(|e| bad_request("query", e.body_text()))
    }
}

/// The actor behind the `Authorization: Bearer …` header.
pub struct ApiActor(pub Actor);

impl FromRequestParts<App> for ApiActor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| Problem::from(ServiceError::Unauthorized))?;
        crate::services::users::actor_for_token(app, token).await.map(ApiActor).map_err(Problem::from)
    }
}

/// The `If-Match` header of a change, for the document: the ETag of the version the change
/// is based on, e.g. `"3"`; a stale one answers 409, one that is no ETag 400.
#[derive(utoipa::IntoParams)]
#[into_params(names("If-Match"), parameter_in = Header)]
pub struct IfMatch(pub Option<String>);

/// `If-Match: "3"` → expected version 3.
pub fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, Problem> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map(Some)
            .map_err(|_| bad_request("If-Match", "must be the ETag of the record, e.g. \"3\"")),
    }
}

pub fn parse_id<T>(s: &str, p: fn(&str) -> Result<T, String>) -> Result<T, Problem> {
    p(s).map_err(|m| {
        let mut pr = bad_request("id", m);
        pr.status = 404;
        pr
    })
}

/// The purpose a read is made for.
#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// A purpose key of the registry (default `contract`); the read is logged under it.
    pub purpose: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}
