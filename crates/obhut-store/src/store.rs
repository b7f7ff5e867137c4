//! Opening the store: which backend a URL names, the pool and its SQLite pragmas, the
//! migrations of that backend, and the master-key check.

use crate::crypto::{self, Crypto, MasterKeySource};
use crate::db::{Conn, Tx};
use crate::error::{Result, StoreError};
use crate::{audit, fastread, files};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `postgres://…`, `sqlite://…`, or `None` for `DATA_DIR/obhut.db`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub master_key: MasterKeySource,
    pub max_connections: u32,
}

/// What the name order keeps in memory until a contact changes (the `contacts_epoch` it was
/// made at): per filter, the buckets in order with their counts (the letters each stands for,
/// the keyed hash, how many); per filter and bucket, its contacts' sort keys and ids in order.
/// The sort keys are decrypted name letters: they stay in this process's memory, are never
/// written, and go with the next change of any contact (an erasure among them).
#[derive(Default)]
pub struct SortCache {
    pub(crate) epoch: i64,
    pub(crate) counts: std::collections::HashMap<String, std::sync::Arc<Vec<(String, Option<String>, i64)>>>,
    pub(crate) orders: std::collections::HashMap<String, std::sync::Arc<Vec<(String, String)>>>,
    pub(crate) order_rows: usize,
    /// The filters whose whole order was opened in the background since the last change.
    pub(crate) prefilled: std::collections::HashSet<String>,
}

#[derive(Default)]
pub struct SortCounts(pub(crate) std::sync::Mutex<SortCache>);

/// The opened store: the pool, which backend it is, and the keys.
#[derive(Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
    pub crypto: Arc<Crypto>,
    /// Synchronous point reads (SQLite files only): see [`fastread`].
    pub readers: Option<Arc<fastread::SqliteReaders>>,
    /// The name order's bucket counts per filter, see [`crate::contact_sort`].
    pub sort_counts: Arc<SortCounts>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend)
    }
}

/// Hides the password of a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("obhut.db")
}

impl Store {
    /// Connects (creating the SQLite file and the master key on first use), and checks the keys.
    pub async fn open(opts: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let url = match &opts.database_url {
            Some(u) => u.clone(),
            None => {
                files::data_dir(&opts.data_dir).map_err(|e| StoreError::Connect {
                    url: opts.data_dir.display().to_string(),
                    message: format!("cannot create the data directory: {e}"),
                })?;
                format!("sqlite://{}?mode=rwc", sqlite_path(&opts.data_dir).display())
            }
        };
        // A SQLite file is made 0600 before SQLite creates it (its log and shared memory
        // take the database's mode), and tightened if it exists.
        let sqlite_file = fastread::sqlite_file(&url);
        if let Some(db) = &sqlite_file {
            files::touch_private(db).map_err(|e| StoreError::Connect {
                url: redact_url(&url),
                message: format!("cannot create {} with mode 0600: {e}", db.display()),
            })?;
        }
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Connect { url: redact_url(&url), message: "only postgres:// and sqlite:// URLs are supported".into() });
        };
        let master = crypto::load_master_key(&opts.master_key)?;
        let crypto = Arc::new(Crypto::new(&master));
        let connect_err = |e: sqlx::Error| StoreError::Connect { url: redact_url(&url), message: e.to_string() };
        let options = AnyConnectOptions::from_str(&url).map_err(connect_err)?;
        let pool = AnyPoolOptions::new()
            // SQLite has one writer and each connection keeps its own page cache: a few connections
            // serve two cores best and keep the memory bounded.
            .max_connections(if backend == Backend::Sqlite { opts.max_connections.clamp(2, 6) } else { opts.max_connections })
            .acquire_timeout(Duration::from_secs(10))
            // An embedded SQLite connection cannot drop away; pinging it on every acquire cost a
            // round trip to its worker thread per request. A server connection can, so it is checked.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL for concurrent readers; FULL so a commit survives power loss;
                        // secure_delete so erased rows are overwritten, not left in free pages;
                        // journal_size_limit so a WAL that grew under load shrinks back after a checkpoint.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 15000; PRAGMA secure_delete = ON; PRAGMA cache_size = -16000; \
                             PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 67108864;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        if let Some(db) = &sqlite_file {
            for f in files::sqlite_files(db) {
                // Best effort: a file of another owner stays as it is (and is reported at start).
                let _ = files::restrict(&f);
            }
        }
        let readers = fastread::sqlite_file(&url).map(|p| Arc::new(fastread::SqliteReaders::new(&p)));
        Ok(Self { pool, backend, crypto, readers, sort_counts: Arc::default() })
    }

    /// Applies every pending migration of this backend; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        let before = self.applied_migrations().await.unwrap_or(0);
        migrator.run(&self.pool).await.map_err(|e| StoreError::Migrate(e.to_string()))?;
        self.check_key().await?;
        let applied = (self.applied_migrations().await.unwrap_or(0) - before).max(0) as usize;
        // Only the run that brings in signed heads signs an unsigned one: a head whose signature
        // was removed later is a finding for `audit verify`, not something to paper over.
        if applied > 0 {
            let mut conn = self.pool.acquire().await?;
            audit::sign_unsigned_head(&mut conn, &self.crypto).await?;
        }
        Ok(applied)
    }

    /// Refuses a master key other than the one this database was first sealed under, so a
    /// lost or mixed-up key file never splits the data across two keys.
    pub async fn check_key(&self) -> Result<()> {
        let probe = self.crypto.blind("key-check", "obhut");
        sqlx::query("INSERT INTO settings (name, value) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING")
            .bind(probe.to_vec())
            .execute(&self.pool)
            .await?;
        let stored: (Vec<u8>,) = sqlx::query_as("SELECT value FROM settings WHERE name = 'key_check'").fetch_one(&self.pool).await?;
        if stored.0 == probe.as_slice() {
            Ok(())
        } else {
            Err(StoreError::KeyMismatch)
        }
    }

    async fn applied_migrations(&self) -> Result<i64> {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE").fetch_one(&self.pool).await?;
        Ok(n.0)
    }

    /// Whether the database answers and the schema is current.
    pub async fn ready(&self) -> Result<()> {
        sqlx::query("SELECT seq FROM chain_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx<'static>> {
        Ok(self.pool.begin().await?)
    }

    /// Begins a transaction whose reads all see one consistent snapshot, however long it runs
    /// while writers go on: PostgreSQL's default (READ COMMITTED) takes a new snapshot per
    /// statement, so it is raised to REPEATABLE READ; a SQLite transaction reads one already.
    pub async fn begin_snapshot(&self) -> Result<Tx<'static>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// Next value of a named counter (ticket numbers), inside the caller's transaction.
    pub async fn next_counter(tx: &mut Conn, name: &str) -> Result<i64> {
        let row: (i64,) =
            sqlx::query_as("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value").bind(name).fetch_one(&mut *tx).await?;
        Ok(row.0)
    }

    /// Folds the WAL back into the main file as far as no reader still needs it, on any pooled
    /// connection, without waiting for readers or writers (SQLite only; nothing on PostgreSQL).
    pub async fn checkpoint_passive(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Writes the WAL back into the main file and truncates it (SQLite only).
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
