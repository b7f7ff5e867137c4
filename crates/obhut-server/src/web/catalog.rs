//! The field catalog with the privacy lint: which personal fields there are, what
//! purposes and rules cover them, and what the lint finds. Through `services::privacy`.

use super::failure::{OrFail, PageResult};
use super::page::{render, Ctx};
use super::session::{Posted, Web};
use crate::services::privacy::{self as privacy_service, FieldRow, LintReport};
use askama::Template;
use serde::Deserialize;

/// How many findings of the lint the page lists (the total is always shown).
pub(super) const LINT_LIMIT: usize = 200;

#[derive(Template)]
#[template(path = "privacy/catalog.html")]
pub(super) struct CatalogPage {
    ctx: Ctx,
    rows: Vec<FieldRow>,
    unjustified: usize,
    report: Option<LintReport>,
    /// The report lists fewer findings than it counted.
    more: bool,
}

pub(super) async fn show_catalog(web: &Web, report: Option<LintReport>) -> PageResult {
    let rows = privacy_service::catalog(&web.app, web.actor()).await.or_fail(web)?;
    let unjustified = rows.iter().filter(|r| r.justified_by.is_empty()).count();
    let more = report.as_ref().is_some_and(|r| r.total_findings > r.findings.len() as u64);
    Ok(render(&CatalogPage { ctx: web.ctx("privacy"), rows, unjustified, report, more }))
}

/// `GET /privacy/fields`.
pub async fn catalog_page(web: Web) -> PageResult {
    show_catalog(&web, None).await
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NoFields {}

/// `POST /privacy/fields/lint`: runs the lint (audited) and shows its report.
pub async fn run_lint(Posted { web, form: NoFields {} }: Posted<NoFields>) -> PageResult {
    match privacy_service::lint(&web.app, web.actor(), LINT_LIMIT).await {
        Ok(report) => show_catalog(&web, Some(report)).await,
        Err(e) => Err(web.failure(e)),
    }
}
