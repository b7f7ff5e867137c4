//! Contact import from CSV and vCard: every row is checked, nothing is written when any row
//! is bad (unless told to skip bad rows), and the file and run are recorded as origin.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::contact::DEFAULT_COLLECTION_PURPOSE;
use obhut_core::ids::{ContactId, ImportRunId, OrganizationId};
use obhut_core::import::{parse_import_streaming, validate_row, FirstSeen, ImportFormat, ImportRow, ParsedImport, RowError};
use obhut_core::organization::OrganizationInput;
use obhut_core::purpose::Purpose;
use obhut_store::contacts::{self as repo, BlindKind, BlindToken, IndexRow, Origin, SealedContact};
use obhut_store::imports::ImportRun;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

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
    /// Milliseconds from the start until each stage was done: parse (reading rows), validate
    /// (field checks, blind indexes, sealing), index (contacts written, then the blind index in
    /// key order), write (committed). The stages
    /// overlap, so these are points in time, not durations.
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

/// Rows per batch handed from stage to stage.
const BATCH: usize = 5_000;

/// A row after the field checks, with its blind index tokens and (unless a dry run) its
/// sealed form.
struct Checked {
    row: usize,
    result: Result<Ready, Vec<RowError>>,
}

struct Ready {
    organization_name: Option<String>,
    tokens: Vec<BlindToken>,
    sealed: Option<SealedContact>,
}

/// Checks the fields of a batch of rows on all cores, computes their blind index tokens, and
/// seals the valid ones under fresh keys. Ids are drawn in file order (UUIDv7 ascend), so the
/// contacts table only appends.
fn check_batch(crypto: &obhut_store::Crypto, registry: &[Purpose], rows: Vec<ImportRow>, seal: bool) -> Vec<Checked> {
    use rayon::prelude::*;
    let ids: Vec<ContactId> = rows.iter().map(|_| ContactId::new()).collect();
    rows.into_par_iter()
        .zip(ids)
        .map(|(r, id)| {
            // Imported data is collected for contract performance; every filled field must be
            // one an active purpose of that collection justifies.
            let result = validate_row(&r).and_then(|mut v| {
                v.draft.personal.collected_for = vec![DEFAULT_COLLECTION_PURPOSE.to_string()];
                let bad = obhut_core::fields::unjustified_contact_fields(&v.draft.personal, registry);
                if bad.is_empty() {
                    Ok(v)
                } else {
                    Err(bad.into_iter().map(|(field, message)| RowError { row: r.row, field: field.to_string(), message }).collect())
                }
            });
            let result = result.map(|v| {
                let tokens = repo::blind_tokens(crypto, &v.draft.personal);
                let sealed = seal.then(|| repo::seal_contact(crypto, id, &v.draft, Some(tokens.clone())));
                Ready { organization_name: v.organization_name, tokens, sealed }
            });
            Checked { row: r.row, result }
        })
        .collect()
}

type Reader = tokio::task::JoinHandle<(Result<ParsedImport, obhut_core::import::ImportError>, u64)>;
type Checker = tokio::task::JoinHandle<u64>;

/// Imports a CSV or vCard file. Three stages run at once: a thread reads rows, the next checks
/// and seals them on all cores, and this task finds duplicates (in the file and among stored
/// contacts) and writes, all in one transaction. When any row is bad (and bad rows are not to
/// be skipped) writing stops, checking goes on so the report names every bad row, and the
/// transaction is rolled back: nothing of the file is stored.
pub async fn import_contacts(app: &App, actor: &Actor, bytes: &[u8], file_name: &str, opts: ImportOptions) -> ServiceResult<ImportReport> {
    app.authorize(actor, Action::Import, Resource::Contact).await?;
    let started = std::time::Instant::now();
    let file = axum::body::Bytes::copy_from_slice(bytes);
    let name = file_name.to_string();

    // Stage 1: read rows.
    let (row_send, row_receive) = std::sync::mpsc::sync_channel::<Vec<ImportRow>>(2);
    let reader: Reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let mut open = true;
        let parsed = parse_import_streaming(&file, &name, &mut |row| {
            if !open {
                return;
            }
            batch.push(row);
            if batch.len() == BATCH {
                open = row_send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_ok();
            }
        });
        if open && !batch.is_empty() {
            let _ = row_send.send(batch);
        }
        (parsed, started.elapsed().as_millis() as u64)
    });
    // Stage 2: check and seal.
    let (checked_send, mut checked) = tokio::sync::mpsc::channel::<Vec<Checked>>(2);
    let crypto = app.store.crypto.clone();
    let registry = super::purposes::registry(app).await?;
    let seal = !opts.dry_run;
    let checker: Checker = tokio::task::spawn_blocking(move || {
        for rows in row_receive {
            if checked_send.blocking_send(check_batch(&crypto, &registry, rows, seal)).is_err() {
                break; // the writer stopped on an error
            }
        }
        started.elapsed().as_millis() as u64
    });

    // Stage 3: find duplicates and write.
    let mut w = Writer::new(opts);
    let mut conn = app.conn().await?;
    if opts.dry_run {
        w.run(app, actor, &mut conn, &mut checked, None).await?;
        let (parsed, times) = join(reader, checker).await?;
        return Ok(w.report(parsed, times, None));
    }
    let run = ImportRun {
        id: ImportRunId::new(),
        file_name: std::path::Path::new(file_name).file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
        file_sha256: hex::encode(Sha256::digest(bytes)),
        format: String::new(),
        actor: actor.audit_name(),
        started_at: app.now_ms(),
    };
    // A larger page cache while the tables grow (SQLite only; set back afterwards so the
    // pooled connection stays small).
    obhut_store::db::enlarge_page_cache(&mut conn).await?;
    let result = async {
        use sqlx::Connection;
        let mut tx = conn.begin().await?;
        obhut_store::audit::lock_head(&mut tx).await?;
        w.run(app, actor, &mut tx, &mut checked, Some(&run)).await?;
        // The transaction stays open until the reader's verdict on the whole file is in.
        let (parsed, times) = join(reader, checker).await?;
        let mut report = w.report(parsed, times, Some(&run));
        if report.imported == 0 {
            return Ok(report); // dropping the transaction rolls it back
        }
        let mut index_rows = std::mem::take(&mut w.index_rows);
        let mut index_rows = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            index_rows.par_sort_unstable();
            index_rows
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        repo::insert_index_rows(&mut tx, &mut index_rows).await?;
        report.timings_ms.push(("index".into(), started.elapsed().as_millis() as u64));
        let format = report.format;
        obhut_store::imports::set_import_format(&mut tx, run.id, format).await?;
        obhut_store::imports::finish_import_run(
            &mut tx,
            run.id,
            report.rows as i64,
            report.imported as i64,
            report.skipped as i64,
            app.now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ServiceError>(report)
    }
    .await;
    let _ = obhut_store::db::reset_page_cache(&mut conn).await;
    let mut report = result?;
    report.timings_ms.push(("write".into(), started.elapsed().as_millis() as u64));
    if report.imported > 0 {
        metrics::counter!("obhut_contacts_imported_total").increment(report.imported as u64);
    }
    Ok(report)
}

/// Waits for the reader and the checker; a file that cannot be read at all is an error.
async fn join(reader: Reader, checker: Checker) -> ServiceResult<(ParsedImport, Vec<(String, u64)>)> {
    let (parsed, read_ms) = reader.await.map_err(|e| ServiceError::Internal(format!("reading the file failed: {e}")))?;
    let check_ms = checker.await.map_err(|e| ServiceError::Internal(format!("checking rows failed: {e}")))?;
    let parsed = parsed.map_err(|e| ServiceError::field("file", e.to_string()))?;
    Ok((parsed, vec![("parse".into(), read_ms), ("validate".into(), check_ms)]))
}

/// The writing stage: duplicate checks, organizations, inserts, and what the report says.
struct Writer {
    opts: ImportOptions,
    /// Email and phone tokens of the rows kept so far, with their row: duplicates in the file.
    seen: FirstSeen<BlindToken>,
    errors: Vec<RowError>,
    rows: usize,
    valid: usize,
    imported: usize,
    organizations_created: usize,
    organizations: HashMap<String, OrganizationId>,
    /// Blind index rows of everything written, inserted in key order at the end.
    index_rows: Vec<IndexRow>,
}

impl Writer {
    fn new(opts: ImportOptions) -> Self {
        Self {
            opts,
            seen: FirstSeen::default(),
            errors: Vec::new(),
            rows: 0,
            valid: 0,
            imported: 0,
            organizations_created: 0,
            organizations: HashMap::new(),
            index_rows: Vec::new(),
        }
    }

    /// Consumes checked batches until the checker is done. `run` is `None` for a dry run.
    async fn run(
        &mut self,
        app: &App,
        actor: &Actor,
        conn: &mut obhut_store::Conn,
        checked: &mut tokio::sync::mpsc::Receiver<Vec<Checked>>,
        run: Option<&ImportRun>,
    ) -> ServiceResult<()> {
        let origin = run.map(|run| Origin {
            source: "import".into(),
            detail: Some(format!("file {} (sha256 {}…)", run.file_name, &run.file_sha256[..12])),
            import_run_id: Some(run.id),
        });
        let mut run_stored = false;
        // Into an empty index (a first import) no row can meet a stored contact: this run holds
        // the write lock, and its own rows reach the index only at the end.
        let anything_stored = repo::has_blind_indexes(conn).await?;
        while let Some(batch) = checked.recv().await {
            self.rows += batch.len();
            let fresh = self.unseen(batch);
            let known = if anything_stored {
                repo::find_stored_tokens(conn, fresh.iter().flat_map(|(_, r)| contact_tokens(&r.tokens))).await?
            } else {
                HashSet::new()
            };
            let mut good = Vec::with_capacity(fresh.len());
            for (row, r) in fresh {
                let hit = |kind: BlindKind| r.tokens.iter().any(|t| t.kind == kind && known.contains(t));
                let field = if hit(BlindKind::Email) {
                    "email"
                } else if hit(BlindKind::Phone) {
                    "phone"
                } else {
                    good.push(r);
                    continue;
                };
                self.errors.push(RowError::new(row, field, format!("a contact with this {field} is already stored")));
            }
            self.valid += good.len();
            let (Some(run), Some(origin)) = (run, &origin) else { continue };
            if !self.errors.is_empty() && !self.opts.skip_invalid {
                continue; // the file will be refused: check the rest, write nothing more
            }
            if good.is_empty() {
                continue;
            }
            if !run_stored {
                obhut_store::imports::insert_import_run(conn, run).await?;
                run_stored = true;
            }
            self.write(app, actor, conn, good, run, origin).await?;
        }
        Ok(())
    }

    /// Keeps the rows that passed their checks and repeat no email or phone of an earlier row.
    fn unseen(&mut self, batch: Vec<Checked>) -> Vec<(usize, Ready)> {
        let mut out = Vec::with_capacity(batch.len());
        for c in batch {
            let r = match c.result {
                Ok(r) => r,
                Err(e) => {
                    self.errors.extend(e);
                    continue;
                }
            };
            let of = |kind: BlindKind| r.tokens.iter().filter(|t| t.kind == kind).copied().collect();
            let duplicate = self.seen.check(c.row, of(BlindKind::Email), of(BlindKind::Phone));
            if !duplicate.is_empty() {
                self.errors.extend(duplicate);
                continue;
            }
            out.push((c.row, r));
        }
        out
    }

    async fn write(
        &mut self,
        app: &App,
        actor: &Actor,
        conn: &mut obhut_store::Conn,
        good: Vec<Ready>,
        run: &ImportRun,
        origin: &Origin,
    ) -> ServiceResult<()> {
        let now = app.now_ms();
        let mut audit = Vec::new();
        let mut sealed = Vec::with_capacity(good.len());
        for r in good {
            let Some(mut c) = r.sealed else { continue };
            if let Some(name) = r.organization_name {
                let key = obhut_core::search::fold(&name);
                let org_id = match self.organizations.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = match obhut_store::organizations::find_organization_by_name(conn, &name).await? {
                            Some(id) => id,
                            None => {
                                let d = OrganizationInput { name: Some(name.clone()), ..Default::default() }.validate()?;
                                let id = OrganizationId::new();
                                obhut_store::organizations::insert_organization(conn, &app.store.crypto, id, &d, now).await?;
                                audit.push(audit_entry(actor, "organization.create", "organization", id, None, vec!["name".into()]));
                                self.organizations_created += 1;
                                id
                            }
                        };
                        self.organizations.insert(key, id);
                        id
                    }
                };
                c.set_organization(org_id);
            }
            sealed.push(c);
        }
        let n = sealed.len();
        self.index_rows.extend(repo::insert_sealed(conn, sealed, origin, now, &actor.audit_name()).await?);
        // One event per batch: each contact names this import run as its origin, so the
        // run's events answer who created it, when and from which file.
        audit.push(audit_entry(actor, "contact.import", "import_run", run.id, None, vec![format!("count={n}")]));
        obhut_store::audit::append(conn, &app.store.crypto, now, &audit).await?;
        self.imported += n;
        Ok(())
    }

    fn report(&mut self, parsed: ParsedImport, timings: Vec<(String, u64)>, run: Option<&ImportRun>) -> ImportReport {
        let mut errors = std::mem::take(&mut self.errors);
        let unreadable: HashSet<usize> = parsed.errors.iter().map(|e| e.row).collect();
        errors.extend(parsed.errors);
        errors.sort_by_key(|e| e.row);
        let bad_rows: HashSet<usize> = errors.iter().map(|e| e.row).collect();
        let refused = !errors.is_empty() && !self.opts.skip_invalid;
        let written = run.is_some() && !refused && self.imported > 0;
        ImportReport {
            format: match parsed.format {
                ImportFormat::Csv => "csv",
                ImportFormat::Vcard => "vcard",
            },
            encoding: parsed.encoding,
            rows: self.rows + unreadable.len(),
            valid: self.valid,
            imported: if written { self.imported } else { 0 },
            skipped: bad_rows.len(),
            organizations_created: if written { self.organizations_created } else { 0 },
            errors: errors.iter().map(RowErrorOut::from).collect(),
            ignored_columns: parsed.ignored_columns,
            import_run_id: written.then(|| run.map(|r| r.id.to_string())).flatten(),
            dry_run: self.opts.dry_run,
            timings_ms: timings,
        }
    }
}

/// The tokens that identify a person (email, phone), not the name prefixes many people share.
fn contact_tokens(tokens: &[BlindToken]) -> impl Iterator<Item = &BlindToken> {
    tokens.iter().filter(|t| matches!(t.kind, BlindKind::Email | BlindKind::Phone))
}
