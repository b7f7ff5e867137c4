//! The erasure journal: one line per erased contact (id and time), kept beside the database
//! so that a restored backup re-applies every erasure made since, and a read of an erased
//! contact answers 410 Gone.

use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use obhut_core::ids::ContactId;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal of erasures in the data directory: one line per erasure, `contact id`, a tab,
/// the time in milliseconds. Nothing personal. It outlives a database that is restored from a
/// backup (or lost), so that the restore can erase again.
pub fn journal_path(data_dir: &Path) -> PathBuf {
    data_dir.join("erasures.journal")
}

/// The answer for an erased contact.
pub fn gone(erased_at: i64) -> ServiceError {
    let when =
        time::OffsetDateTime::from_unix_timestamp(erased_at / 1000).map(|t| t.date().to_string()).unwrap_or_else(|_| erased_at.to_string());
    ServiceError::Gone(format!("the contact was erased on {when}"))
}

/// Whether a contact id belongs to an erased contact: then it answers 410 rather than 404.
pub async fn erased_at(app: &App, contact_id: &str) -> ServiceResult<Option<i64>> {
    let mut conn = app.conn().await?;
    Ok(obhut_store::erasure::find(&mut conn, &app.store.crypto, contact_id).await?.map(|e| e.erased_at))
}

pub(crate) fn append_journal(data_dir: &Path, contact_id: &str, at: i64) -> std::io::Result<()> {
    obhut_store::files::private_dir(data_dir)?;
    let mut f = obhut_store::files::append_private(&journal_path(data_dir))?;
    writeln!(f, "{contact_id}\t{at}")?;
    f.sync_all()
}

/// Journals many erasures with one sync (the retention sweep's batches).
pub(crate) fn append_journal_many(data_dir: &Path, erased: &[(String, i64)]) -> std::io::Result<()> {
    obhut_store::files::private_dir(data_dir)?;
    let mut f = obhut_store::files::append_private(&journal_path(data_dir))?;
    let mut text = String::new();
    for (id, at) in erased {
        text.push_str(&format!("{id}\t{at}\n"));
    }
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// The erasures in the journal: (contact id, time). Lines that are not well formed are
/// reported, not skipped silently.
pub fn read_journal(data_dir: &Path) -> Result<Vec<(String, i64)>, String> {
    let text = match std::fs::read_to_string(journal_path(data_dir)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", journal_path(data_dir).display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (id, at) = l.split_once('\t').ok_or_else(|| format!("erasure journal line {}: not `id<TAB>time`", i + 1))?;
            let id = ContactId::parse(id.trim()).map_err(|_| format!("erasure journal line {}: not a contact id", i + 1))?;
            let at = at.trim().parse::<i64>().map_err(|_| format!("erasure journal line {}: not a time", i + 1))?;
            Ok((id.to_string(), at))
        })
        .collect()
}
