//! Backups that forget: `obhut backup FILE` writes a consistent snapshot of the embedded
//! database while the server runs, encrypted and authenticated chunk by chunk under the
//! installation's key; `obhut restore FILE` checks every chunk before it touches anything,
//! and then erases again everyone erased since (from the current database's erasure record
//! and the erasure journal beside it), so an old backup never brings an erased person back.
//!
//! File format: a magic line, a length-prefixed JSON header, then chunks (length-prefixed,
//! XChaCha20-Poly1305). Each chunk's associated data binds the header's SHA-256, the chunk's
//! number and whether it is the last, so a chunk cannot be changed, dropped, reordered, or the
//! file cut short unnoticed. The master key is not in the backup: it is kept apart, and a
//! backup of another installation is refused.

use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 16] = b"OBHUT-BACKUP-v1\n";
const CHUNK: usize = 4 << 20;
const MAX_HEADER: u32 = 64 << 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: u32,
    backup_id: String,
    /// Milliseconds since 1970.
    created_at: i64,
    backend: String,
    /// Proves which installation key sealed the backup, without revealing it.
    key_check: String,
    /// The size of the database snapshot in bytes.
    size: u64,
}

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    pub file: String,
    pub backup_id: String,
    pub created_at: i64,
    pub database_bytes: u64,
    pub file_bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreSummary {
    pub backup_id: String,
    /// When the backup was taken.
    pub created_at: i64,
    /// Erasures done since the backup was taken, applied again to the restored database.
    pub erasures_reapplied: usize,
}

fn key_check(app_crypto: &obhut_store::crypto::Crypto, backup_id: &str) -> String {
    hex::encode(app_crypto.blind("backup-key-check", backup_id))
}

fn chunk_aad(header_hash: &[u8], index: u64, last: bool) -> Vec<u8> {
    let mut aad = b"obhut-backup:".to_vec();
    aad.extend_from_slice(header_hash);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(last));
    aad
}

fn io<'a>(what: &'a str, path: &'a Path) -> impl Fn(std::io::Error) -> ServiceError + 'a {
    move |e| ServiceError::Internal(format!("{what} {}: {e}", path.display()))
}

fn sqlite_file(app: &App) -> ServiceResult<PathBuf> {
    if app.store.backend != obhut_store::Backend::Sqlite {
        return Err(ServiceError::Conflict(
            "obhut backup covers the embedded SQLite database; back up PostgreSQL with pg_dump or pg_basebackup".into(),
        ));
    }
    app.store
        .readers
        .as_ref()
        .map(|r| r.path().to_path_buf())
        .ok_or_else(|| ServiceError::Conflict("the database is not a SQLite file".into()))
}

/// Writes an encrypted, consistent backup of the database to `out` (while the server runs).
pub async fn backup(app: &App, out: &Path) -> ServiceResult<BackupSummary> {
    let db = sqlite_file(app)?;
    if out.exists() {
        return Err(ServiceError::Conflict(format!("{} exists: choose a new file name", out.display())));
    }
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // The snapshot is written beside the target (same file system) and removed at once.
    let snapshot = dir.join(format!(".obhut-snapshot-{}.db", uuid::Uuid::new_v4()));
    let crypto = app.store.crypto.clone();
    let now = app.now_ms();
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let result = (|| {
            // VACUUM INTO reads one consistent snapshot, whatever the server writes meanwhile,
            // and writes a compact file without free pages.
            // Made 0600 (and empty, as VACUUM INTO accepts it) before SQLite writes into it.
            obhut_store::files::touch_private(&snapshot).map_err(io("creating", &snapshot))?;
            obhut_store::fastread::snapshot(&db, &snapshot).map_err(|e| ServiceError::Internal(format!("taking the snapshot: {e}")))?;
            let size = std::fs::metadata(&snapshot).map_err(io("reading", &snapshot))?.len();
            let backup_id = uuid::Uuid::now_v7().to_string();
            let header =
                Header { format: 1, key_check: key_check(&crypto, &backup_id), backup_id, created_at: now, backend: "sqlite".into(), size };
            let header_bytes = serde_json::to_vec(&header).map_err(|e| ServiceError::Internal(e.to_string()))?;
            let header_hash = Sha256::digest(&header_bytes);
            let tmp = out.with_extension("partial");
            let mut w = BufWriter::new(obhut_store::files::create_private(&tmp).map_err(io("creating", &tmp))?);
            w.write_all(MAGIC).map_err(io("writing", &tmp))?;
            w.write_all(&(header_bytes.len() as u32).to_be_bytes()).map_err(io("writing", &tmp))?;
            w.write_all(&header_bytes).map_err(io("writing", &tmp))?;
            let mut r = BufReader::new(File::open(&snapshot).map_err(io("reading", &snapshot))?);
            let mut buf = vec![0u8; CHUNK];
            let mut index = 0u64;
            let mut done = 0u64;
            loop {
                let n = read_full(&mut r, &mut buf).map_err(io("reading", &snapshot))?;
                done += n as u64;
                let last = done >= size;
                let sealed = crypto.seal(&chunk_aad(&header_hash, index, last), &buf[..n]);
                w.write_all(&(sealed.len() as u32).to_be_bytes()).map_err(io("writing", &tmp))?;
                w.write_all(&sealed).map_err(io("writing", &tmp))?;
                index += 1;
                if last {
                    break;
                }
            }
            let f = w.into_inner().map_err(|e| ServiceError::Internal(format!("writing {}: {e}", tmp.display())))?;
            f.sync_all().map_err(io("writing", &tmp))?;
            let file_bytes = f.metadata().map_err(io("reading", &tmp))?.len();
            std::fs::rename(&tmp, &out).map_err(io("writing", &out))?;
            Ok(BackupSummary {
                file: out.display().to_string(),
                backup_id: header.backup_id,
                created_at: now,
                database_bytes: size,
                file_bytes,
            })
        })();
        let _ = std::fs::remove_file(&snapshot);
        result
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("backup task: {e}")))?
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Why a backup file cannot be restored: nothing was changed.
fn refused(m: impl Into<String>) -> ServiceError {
    ServiceError::Conflict(m.into())
}

/// Decrypts and checks a backup into `into`; returns its header.
fn unpack(crypto: &obhut_store::crypto::Crypto, file: &Path, into: &Path) -> ServiceResult<Header> {
    let mut r = BufReader::new(File::open(file).map_err(|e| refused(format!("cannot read {}: {e}", file.display())))?);
    let mut magic = [0u8; 16];
    if read_full(&mut r, &mut magic).map_err(io("reading", file))? != 16 || &magic != MAGIC {
        return Err(refused(format!("{} is not an Obhut backup", file.display())));
    }
    let mut len = [0u8; 4];
    if read_full(&mut r, &mut len).map_err(io("reading", file))? != 4 || u32::from_be_bytes(len) > MAX_HEADER {
        return Err(refused(format!("{} is damaged: its header is cut off or too long", file.display())));
    }
    let mut header_bytes = vec![0u8; u32::from_be_bytes(len) as usize];
    if read_full(&mut r, &mut header_bytes).map_err(io("reading", file))? != header_bytes.len() {
        return Err(refused(format!("{} is damaged: its header is cut off", file.display())));
    }
    let header: Header =
        serde_json::from_slice(&header_bytes).map_err(|_| refused(format!("{} is damaged: its header is not readable", file.display())))?;
    if header.format != 1 || header.backend != "sqlite" {
        return Err(refused(format!("{}: backup format {} of {} is not supported", file.display(), header.format, header.backend)));
    }
    if header.key_check != key_check(crypto, &header.backup_id) {
        return Err(refused(format!(
            "{} was made by another installation (another master key): put that installation's key in place (OBHUT_MASTER_KEY or DATA_DIR/master.key) to restore it",
            file.display()
        )));
    }
    let header_hash = Sha256::digest(&header_bytes);
    let mut w = BufWriter::new(obhut_store::files::create_private(into).map_err(io("creating", into))?);
    let mut index = 0u64;
    let mut written = 0u64;
    loop {
        let mut len = [0u8; 4];
        let n = read_full(&mut r, &mut len).map_err(io("reading", file))?;
        if n != 4 {
            return Err(refused(format!("{} is damaged: it ends before its last part (part {index})", file.display())));
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > CHUNK + 64 {
            return Err(refused(format!("{} is damaged at part {index}", file.display())));
        }
        let mut sealed = vec![0u8; len];
        if read_full(&mut r, &mut sealed).map_err(io("reading", file))? != len {
            return Err(refused(format!("{} is damaged: part {index} is cut off", file.display())));
        }
        // Which flag opens the part says whether it is the last: the flag is authenticated.
        let (plain, was_last) = match crypto.open(&chunk_aad(&header_hash, index, true), &sealed) {
            Ok(p) => (p, true),
            Err(_) => (
                crypto
                    .open(&chunk_aad(&header_hash, index, false), &sealed)
                    .map_err(|_| refused(format!("{} is damaged or altered at part {index}", file.display())))?,
                false,
            ),
        };
        w.write_all(&plain).map_err(io("writing", into))?;
        written += plain.len() as u64;
        index += 1;
        if was_last {
            break;
        }
    }
    let mut rest = [0u8; 1];
    if read_full(&mut r, &mut rest).map_err(io("reading", file))? != 0 {
        return Err(refused(format!("{} is damaged: it goes on after its last part", file.display())));
    }
    if written != header.size {
        return Err(refused(format!("{} is damaged: {written} of {} bytes", file.display(), header.size)));
    }
    w.into_inner().map_err(|e| ServiceError::Internal(e.to_string()))?.sync_all().map_err(io("writing", into))?;
    Ok(header)
}

/// Restores a backup into the data directory (the server must be stopped), then erases
/// again everyone erased since the backup was taken.
pub async fn restore(config: &crate::config::Config, file: &Path) -> ServiceResult<RestoreSummary> {
    if config.database_url.as_deref().is_some_and(|u| !u.starts_with("sqlite:")) {
        return Err(refused("obhut restore restores the embedded SQLite database; this installation uses PostgreSQL"));
    }
    let data_dir = config.data_dir.clone();
    let _lock = lock_data_dir(&data_dir).map_err(refused)?;
    // The database file: the data directory's, or the one a sqlite:// URL names.
    let db = match config.database_url.as_deref() {
        Some(u) => obhut_store::fastread::sqlite_file(u).ok_or_else(|| refused("the database URL does not name a SQLite file"))?,
        None => obhut_store::sqlite_path(&data_dir),
    };
    let opts = config.store_options();
    let master = obhut_store::crypto::load_master_key(&opts.master_key).map_err(|e| refused(format!("the master key: {e}")))?;
    let crypto = std::sync::Arc::new(obhut_store::crypto::Crypto::new(&master));
    // Everyone erased: from the current database and from the journal beside it.
    let mut erased: std::collections::BTreeMap<String, i64> =
        super::tombstones::read_journal(&data_dir).map_err(refused)?.into_iter().collect();
    if db.exists() {
        let current = obhut_store::Store::open(&opts).await.map_err(|e| refused(format!("the current database: {e}")))?;
        let mut conn = current.pool.acquire().await?;
        if obhut_store::erasure::has_erasures_table(&mut conn).await? {
            for e in obhut_store::erasure::all(&mut conn, &crypto).await? {
                erased.entry(e.contact_id).or_insert(e.erased_at);
            }
        }
        drop(conn);
        // Fold the log into the file, so that removing it below loses nothing if the
        // replacement fails.
        current.checkpoint().await?;
        current.pool.close().await;
    }
    // Beside the database, so that the final rename stays on one file system.
    let tmp = db.with_file_name(format!(".restore-{}.db", uuid::Uuid::new_v4()));
    let unpacked = {
        let (file, tmp, crypto) = (file.to_path_buf(), tmp.clone(), crypto.clone());
        tokio::task::spawn_blocking(move || unpack(&crypto, &file, &tmp)).await.map_err(|e| ServiceError::Internal(e.to_string()))?
    };
    let header = match unpacked {
        Ok(h) => h,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let reapplied = match reapply(&opts, &tmp, &crypto, &erased).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ServiceError::Internal(format!("removing {}: {e}", p.display()))),
        }
    }
    std::fs::rename(&tmp, &db).map_err(io("replacing", &db))?;
    if let Ok(d) = File::open(&data_dir) {
        let _ = d.sync_all();
    }
    Ok(RestoreSummary { backup_id: header.backup_id, created_at: header.created_at, erasures_reapplied: reapplied })
}

/// Brings the unpacked database up to this version and erases again who was erased since.
async fn reapply(
    opts: &obhut_store::StoreOptions,
    db: &Path,
    crypto: &obhut_store::crypto::Crypto,
    erased: &std::collections::BTreeMap<String, i64>,
) -> ServiceResult<usize> {
    let mut o = opts.clone();
    o.database_url = Some(format!("sqlite://{}", db.display()));
    let store = obhut_store::Store::open(&o).await.map_err(|e| refused(format!("the backup's database cannot be opened: {e}")))?;
    store.migrate().await.map_err(|e| refused(format!("the backup's database cannot be brought up to date: {e}")))?;
    let mut n = 0;
    let mut tx = store.begin().await?;
    for (id, at) in erased {
        let Ok(cid) = obhut_core::ids::ContactId::parse(id) else { continue };
        if obhut_store::erasure::find(&mut tx, crypto, id).await?.is_some() {
            continue;
        }
        let reason = "erased again after a restore of an older backup";
        let gone = obhut_store::erasure::erase_contact(&mut tx, crypto, cid, *at, "system:restore", None, reason).await?;
        if gone.is_some() {
            n += 1;
            let entry = obhut_store::audit::AuditEntry {
                actor: "system:restore".into(),
                action: "contact.erase".into(),
                record_type: "contact".into(),
                record_id: Some(id.clone()),
                subject_id: Some(id.clone()),
                fields: vec!["*".into()],
                detail: None,
                purpose: Some("data_subject_rights".into()),
                recipient: None,
            };
            obhut_store::audit::append(&mut tx, crypto, now_ms(), &[entry]).await?;
        } else {
            // Not in the backup either: remember it, so that the contact answers 410.
            obhut_store::erasure::record(&mut tx, crypto, id, *at, "system:restore", None, reason).await?;
        }
    }
    tx.commit().await?;
    store.checkpoint().await?;
    store.pool.close().await;
    Ok(n)
}

fn now_ms() -> i64 {
    obhut_core::clock::to_millis(time::OffsetDateTime::now_utc())
}

/// An exclusive lock on the data directory, held by `obhut serve` for its lifetime and by a
/// restore: a restore refuses while a server runs on the directory.
pub fn lock_data_dir(data_dir: &Path) -> Result<File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    obhut_store::files::private_dir(data_dir).map_err(|e| format!("creating {}: {e}", data_dir.display()))?;
    let path = data_dir.join("obhut.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(obhut_store::files::FILE_MODE)
        .open(&path)
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!("{} is in use by a running Obhut server: stop it first", data_dir.display())),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("locking {}: {e}", path.display())),
    }
}
