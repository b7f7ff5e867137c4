//! The export files of deals, tickets and organizations: a JSON array of the records as the
//! API shows them, or CSV with a header row of their field names.

use super::problem::{bad_request, Problem};
use crate::error::ServiceError;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The format of a record export.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RecordFormat {
    Json,
    Csv,
}

impl RecordFormat {
    /// The name the service audits the export under.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
}

/// `?format=json` (default) or `csv` for an export of records.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordExportQuery {
    /// json (default) or csv.
    #[param(value_type = Option<RecordFormat>, inline)]
    pub format: Option<String>,
}

impl RecordExportQuery {
    pub fn format(&self) -> Result<RecordFormat, Problem> {
        match self.format.as_deref().unwrap_or("json") {
            "json" => Ok(RecordFormat::Json),
            "csv" => Ok(RecordFormat::Csv),
            _ => Err(bad_request("format", "must be json or csv")),
        }
    }
}

/// The export file of `kind` (its file name) holding `items`.
pub fn export_file<T: Serialize>(kind: &str, format: RecordFormat, items: &[T]) -> Result<Response, Problem> {
    let internal = |e: String| Problem::from(ServiceError::Internal(e));
    let (body, ct, ext) = match format {
        RecordFormat::Json => (serde_json::to_vec(items).map_err(|e| internal(e.to_string()))?, "application/json", "json"),
        RecordFormat::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            let mut header_done = false;
            for item in items {
                let serde_json::Value::Object(m) = serde_json::to_value(item).map_err(|e| internal(e.to_string()))? else { continue };
                if !header_done {
                    w.write_record(m.keys()).map_err(|e| internal(e.to_string()))?;
                    header_done = true;
                }
                let cell = |v: &serde_json::Value| match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(a) => {
                        a.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>().join(", ")
                    }
                    other => other.to_string(),
                };
                w.write_record(m.values().map(cell)).map_err(|e| internal(e.to_string()))?;
            }
            (w.into_inner().map_err(|e| internal(e.to_string()))?, "text/csv; charset=utf-8", "csv")
        }
    };
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{kind}.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
