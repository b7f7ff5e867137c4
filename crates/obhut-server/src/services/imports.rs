//! Contact import from CSV and vCard: parse and validate every row first; write nothing
//! when any row is bad (unless told to skip bad rows); record the file and run as origin.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{authorize, Action, Actor, Resource};
use obhut_core::contact::ContactKind;
use obhut_core::ids::{ContactId, ImportRunId, OrganizationId};
use obhut_core::import::{parse_import, validate_rows_parallel, ImportFormat, RowError};
use obhut_core::organization::OrganizationInput;
use obhut_store::contacts::{self as repo, NewContact, Origin};
use obhut_store::imports::ImportRun;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub format: &'static str,
    pub encoding: &'static str,
    pub rows: usize,
    pub valid: usize,
    pub imported: usize,
    pub skipped: usize,
    pub organizations_created: usize,
    pub errors: Vec<RowErrorOut>,
    pub ignored_columns: Vec<String>,
    pub import_run_id: Option<String>,
    pub dry_run: bool,
    /// Milliseconds per phase: parse, validate, check_existing, write.
    pub timings_ms: Vec<(String, u64)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RowErrorOut {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl From<&RowError> for RowErrorOut {
    fn from(e: &RowError) -> Self {
        Self { row: e.row, field: e.field.clone(), message: e.message.clone() }
    }
}

/// Contacts per batch of statements inside the import transaction.
const BATCH: usize = 5_000;

pub async fn import_contacts(app: &App, actor: &Actor, bytes: &[u8], file_name: &str, opts: ImportOptions) -> ServiceResult<ImportReport> {
    authorize(actor, Action::Import, Resource::Contact)?;
    let started = std::time::Instant::now();
    let mut timings = Vec::new();
    let lap = |name: &str, timings: &mut Vec<(String, u64)>| {
        let total: u64 = timings.iter().map(|(_, ms)| *ms).sum();
        timings.push((name.to_string(), started.elapsed().as_millis() as u64 - total));
    };
    let mut parsed = parse_import(bytes, file_name).map_err(|e| ServiceError::field("file", e.to_string()))?;
    lap("parse", &mut timings);
    let row_count = parsed.rows.len() + parsed.errors.iter().map(|e| e.row).collect::<std::collections::HashSet<_>>().len();
    let rows = std::mem::take(&mut parsed.rows);
    let (valid, mut errors) =
        tokio::task::spawn_blocking(move || validate_rows_parallel(rows)).await.map_err(|e| ServiceError::Internal(e.to_string()))?;
    errors.extend(parsed.errors.iter().cloned());
    lap("validate", &mut timings);

    // Rows whose email or phone is already stored would make duplicates.
    let crypto = &app.store.crypto;
    let mut known: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
    {
        let mut conn = app.conn().await?;
        let mut probes: Vec<(&'static str, Vec<u8>)> = Vec::new();
        for v in &valid {
            for e in &v.draft.personal.emails {
                probes.push((repo::BI_EMAIL, crypto.blind(repo::BI_EMAIL, &e.address.normalized())));
            }
            for p in &v.draft.personal.phones {
                probes.push((repo::BI_PHONE, crypto.blind(repo::BI_PHONE, p.number.as_str())));
            }
        }
        for chunk in probes.chunks(125) {
            let ph: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
            let sql = format!("SELECT token FROM blind_indexes WHERE (kind, token) IN (VALUES {})", ph.join(","));
            let mut q = sqlx::query_as::<_, (Vec<u8>,)>(&sql);
            for (k, t) in chunk {
                q = q.bind(*k).bind(t.clone());
            }
            known.extend(q.fetch_all(&mut *conn).await.map_err(obhut_store::StoreError::from)?.into_iter().map(|r| r.0));
        }
    }
    let mut good = Vec::with_capacity(valid.len());
    for v in valid {
        let hit_email = v.draft.personal.emails.iter().any(|e| known.contains(&crypto.blind(repo::BI_EMAIL, &e.address.normalized())));
        let hit_phone = v.draft.personal.phones.iter().any(|p| known.contains(&crypto.blind(repo::BI_PHONE, p.number.as_str())));
        if hit_email || hit_phone {
            let field = if hit_email { "email" } else { "phone" };
            errors.push(RowError { row: v.row, field: field.into(), message: format!("a contact with this {field} is already stored") });
        } else {
            good.push(v);
        }
    }
    lap("check_existing", &mut timings);
    errors.sort_by_key(|e| e.row);
    let bad_rows: std::collections::HashSet<usize> = errors.iter().map(|e| e.row).collect();
    good.retain(|v| !bad_rows.contains(&v.row));

    let format = match parsed.format {
        ImportFormat::Csv => "csv",
        ImportFormat::Vcard => "vcard",
    };
    let mut report = ImportReport {
        format,
        encoding: parsed.encoding,
        rows: row_count,
        valid: good.len(),
        imported: 0,
        skipped: bad_rows.len(),
        organizations_created: 0,
        errors: errors.iter().map(RowErrorOut::from).collect(),
        ignored_columns: parsed.ignored_columns.clone(),
        import_run_id: None,
        dry_run: opts.dry_run,
        timings_ms: Vec::new(),
    };
    if opts.dry_run || (!errors.is_empty() && !opts.skip_invalid) || good.is_empty() {
        report.timings_ms = timings;
        return Ok(report);
    }

    let run = ImportRun {
        id: ImportRunId::new(),
        file_name: std::path::Path::new(file_name).file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
        file_sha256: hex::encode(Sha256::digest(bytes)),
        format: format.into(),
        actor: actor.audit_name(),
        started_at: app.now_ms(),
    };
    let origin = Origin {
        source: "import".into(),
        detail: Some(format!("{} file {} (sha256 {}…)", format, run.file_name, &run.file_sha256[..12])),
        import_run_id: Some(run.id),
    };
    let mut orgs: HashMap<String, OrganizationId> = HashMap::new();
    let mut first = true;
    // One connection for the whole run, with a larger page cache while the blind index grows
    // (SQLite only; set back afterwards so the pooled connection stays small).
    let mut conn = app.conn().await?;
    let sqlite = app.store.backend == obhut_store::Backend::Sqlite;
    if sqlite {
        sqlx::query("PRAGMA cache_size = -262144").execute(&mut *conn).await.map_err(obhut_store::StoreError::from)?;
    }
    // One transaction for the whole file: an import is written completely or not at all.
    let result = async {
        use sqlx::Connection;
        let mut tx = conn.begin().await.map_err(obhut_store::StoreError::from)?;
        obhut_store::audit::lock_head(&mut tx).await?;
        write_chunks(app, actor, &mut tx, &mut good, &run, &origin, &mut orgs, &mut first, &mut report).await?;
        obhut_store::imports::finish_import_run(
            &mut tx,
            run.id,
            report.rows as i64,
            report.imported as i64,
            report.skipped as i64,
            app.now_ms(),
        )
        .await?;
        tx.commit().await.map_err(obhut_store::StoreError::from)?;
        Ok::<(), ServiceError>(())
    }
    .await;
    if sqlite {
        let _ = sqlx::query("PRAGMA cache_size = -16000").execute(&mut *conn).await;
    }
    if let Err(e) = result {
        report.imported = 0;
        return Err(e);
    }
    lap("write", &mut timings);
    report.import_run_id = Some(run.id.to_string());
    report.timings_ms = timings;
    metrics::counter!("obhut_contacts_imported_total").increment(report.imported as u64);
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn write_chunks(
    app: &App,
    actor: &Actor,
    conn: &mut obhut_store::Conn, // an open transaction
    good: &mut [obhut_core::import::ValidRow],
    run: &ImportRun,
    origin: &Origin,
    orgs: &mut HashMap<String, OrganizationId>,
    first: &mut bool,
    report: &mut ImportReport,
) -> ServiceResult<()> {
    let crypto = &app.store.crypto;
    for chunk in good.chunks_mut(BATCH) {
        let now = app.now_ms();
        let tx = &mut *conn;
        if *first {
            obhut_store::imports::insert_import_run(tx, run).await?;
            *first = false;
        }
        let mut audit = Vec::with_capacity(chunk.len() + 1);
        for v in chunk.iter_mut() {
            let Some(name) = v.organization_name.clone() else { continue };
            let key = obhut_core::search::fold(&name);
            let org_id = match orgs.get(&key) {
                Some(id) => *id,
                None => {
                    let id = match obhut_store::organizations::find_organization_by_name(tx, &name).await? {
                        Some(id) => id,
                        None => {
                            let d = OrganizationInput { name: Some(name.clone()), ..Default::default() }.validate()?;
                            let id = OrganizationId::new();
                            obhut_store::organizations::insert_organization(tx, crypto, id, &d, now).await?;
                            audit.push(audit_entry(actor, "organization.create", "organization", id, None, vec!["name".into()]));
                            report.organizations_created += 1;
                            id
                        }
                    };
                    orgs.insert(key, id);
                    id
                }
            };
            v.draft.organization_id = Some(org_id);
            v.draft.kind = ContactKind::B2b;
        }
        let ids: Vec<ContactId> = chunk.iter().map(|_| ContactId::new()).collect();
        let batch: Vec<NewContact> = chunk.iter().zip(&ids).map(|(v, id)| NewContact { id: *id, draft: &v.draft, origin }).collect();
        repo::insert_contacts(tx, crypto, &batch, now, &actor.audit_name()).await?;
        // One event per batch: each contact names this import run as its origin, so the
        // run's events answer who created it, when and from which file.
        audit.push(audit_entry(actor, "contact.import", "import_run", run.id, None, vec![format!("count={}", chunk.len())]));
        obhut_store::audit::append(tx, now, &audit).await?;
        report.imported += chunk.len();
    }
    Ok(())
}
