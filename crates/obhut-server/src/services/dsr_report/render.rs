//! The report rendered: JSON, HTML (askama) or PDF, in German or English.

use super::document::{document, Block, Document};
use super::model::AccessReport;
use crate::error::{ServiceError, ServiceResult};
use crate::i18n::Lang;
use askama::Template;

/// Output formats of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "html" => Ok(Self::Html),
            "pdf" => Ok(Self::Pdf),
            other => Err(format!("'{}' is not a report format: use json, html or pdf", other.chars().take(20).collect::<String>())),
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

/// `de` or `en`; anything else is refused.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    match s.trim().to_lowercase().as_str() {
        "de" => Ok(Lang::De),
        "en" => Ok(Lang::En),
        other => Err(format!("'{}' is not a report language: use de or en", other.chars().take(20).collect::<String>())),
    }
}

/// The report in a format: pretty JSON, a standalone printable HTML page (with a link to the
/// PDF where `pdf_link` is given), or an A4 PDF.
pub fn render(report: &AccessReport, format: Format, lang: Lang, pdf_link: Option<&str>) -> ServiceResult<Vec<u8>> {
    match format {
        Format::Json => serde_json::to_vec_pretty(report).map_err(|e| ServiceError::Internal(format!("writing the report: {e}"))),
        Format::Html => Ok(render_html(&document(report, lang), pdf_link)?.into_bytes()),
        Format::Pdf => Ok(super::pdf::render(&document(report, lang))),
    }
}

#[derive(Template)]
#[template(path = "dsr/report.html")]
pub(super) struct ReportPage<'a> {
    doc: &'a Document,
    pdf_link: Option<&'a str>,
}

pub fn render_html(doc: &Document, pdf_link: Option<&str>) -> ServiceResult<String> {
    ReportPage { doc, pdf_link }.render().map_err(|e| ServiceError::Internal(format!("rendering the report: {e}")))
}
