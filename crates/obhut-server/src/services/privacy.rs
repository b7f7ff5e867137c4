//! Data minimization, as the DPO checks it: the field catalog with the purposes that justify
//! each field, and the lint that finds fields and records holding data no purpose justifies.

use super::audit_entry;
use crate::app::App;
use crate::error::ServiceResult;
use crate::gate::{Action, Actor, Resource};
use obhut_core::fields::{contact_fields_present, field, justifying, CATALOG};
use obhut_store::contacts::{self as repo, ContactFilter};
use serde::Serialize;

/// One catalogued field and the active purposes that justify it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldRow {
    pub record_type: String,
    pub name: String,
    pub category: String,
    pub sensitive: bool,
    /// Keys of the active purposes whose data categories cover the field; empty: unjustified.
    pub justified_by: Vec<String>,
}

/// A record holding data without justification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub record_type: String,
    pub record_id: String,
    pub field: String,
    pub problem: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LintReport {
    /// Fields no active purpose justifies.
    pub unjustified_fields: Vec<FieldRow>,
    /// Records holding a value in such a field, or data not needed for the purposes it was
    /// collected for, or collected for a purpose no longer active.
    pub findings: Vec<Finding>,
    /// How many findings there were in all (the list stops at `limit`).
    pub total_findings: u64,
    pub records_checked: u64,
}

impl LintReport {
    pub fn clean(&self) -> bool {
        self.unjustified_fields.is_empty() && self.total_findings == 0
    }
}

/// The field catalog with each field's justification from the live registry.
pub async fn catalog(app: &App, actor: &Actor) -> ServiceResult<Vec<FieldRow>> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let registry = super::purposes::registry(app).await?;
    Ok(CATALOG
        .iter()
        .map(|d| FieldRow {
            record_type: d.record_type.into(),
            name: d.name.into(),
            category: d.category.into(),
            sensitive: d.sensitive,
            justified_by: justifying(d, &registry).into_iter().map(str::to_string).collect(),
        })
        .collect())
}

/// Checks every stored contact against the registry (decrypting in batches; nothing is
/// returned but field names and record ids) and every catalogued field. Audited.
pub async fn lint(app: &App, actor: &Actor, limit: usize) -> ServiceResult<LintReport> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    app.authorize(actor, Action::Export, Resource::Contact).await?;
    let fields = catalog(app, actor).await?;
    let registry = super::purposes::registry(app).await?;
    let active: Vec<&str> = registry.iter().filter(|p| p.active).map(|p| p.key.as_str()).collect();
    let mut report = LintReport {
        unjustified_fields: fields.into_iter().filter(|f| f.justified_by.is_empty()).collect(),
        findings: Vec::new(),
        total_findings: 0,
        records_checked: 0,
    };
    let push = |report: &mut LintReport, id: &str, field: &str, problem: String| {
        report.total_findings += 1;
        if report.findings.len() < limit {
            report.findings.push(Finding { record_type: "contact".into(), record_id: id.into(), field: field.into(), problem });
        }
    };
    let mut conn = app.conn().await?;
    let mut after = None;
    loop {
        let ids = repo::list_contact_ids(&mut conn, &ContactFilter::default(), after.clone(), 1000).await?;
        let Some(last) = ids.last().cloned() else { break };
        after = Some(last);
        let id_list: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
        for c in repo::find_contacts(&mut conn, &app.store.crypto, &id_list).await? {
            report.records_checked += 1;
            let id = c.id.to_string();
            for k in c.personal.all_purposes() {
                if !active.contains(&k.as_str()) {
                    push(&mut report, &id, "purposes", format!("collected for '{k}', which is not an active purpose"));
                }
            }
            let collected = c.personal.all_purposes();
            for name in contact_fields_present(&c.personal) {
                let Some(def) = field("contact", name) else { continue };
                let by = justifying(def, &registry);
                if by.is_empty() {
                    push(&mut report, &id, name, format!("holds {} ({}), which no active purpose justifies", name, def.category));
                } else if !by.iter().any(|k| collected.iter().any(|c| c == k)) {
                    push(
                        &mut report,
                        &id,
                        name,
                        format!("holds {name}, which none of its collection purposes ({}) needs", collected.join(", ")),
                    );
                }
            }
        }
    }
    drop(conn);
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let mut e = audit_entry(
        actor,
        "privacy.lint",
        "contact",
        "*",
        None,
        vec![format!("checked={}", report.records_checked), format!("findings={}", report.total_findings)],
    );
    e.record_id = None;
    w.record(&[e]);
    w.commit(app).await?;
    Ok(report)
}
