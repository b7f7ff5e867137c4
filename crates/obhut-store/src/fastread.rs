//! Point reads on SQLite straight through the C library, on the calling thread.
//!
//! The async driver hands every query to a worker thread and every row back through a
//! channel; for a read by primary key that costs several times the query itself. A read of
//! one row from a warm page cache takes microseconds, so it runs inline, like any other short
//! computation on the runtime's threads. Writes and everything on PostgreSQL go through sqlx.

use crate::error::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Idle read-only connections to one SQLite file.
#[derive(Debug)]
pub struct SqliteReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Idle connections kept; more are opened under load and closed afterwards.
const KEEP: usize = 8;

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Corrupt(format!("sqlite read: {e}"))
}

impl SqliteReaders {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let c = Connection::open_with_flags(&self.path, flags).map_err(err)?;
        // Pages mapped rather than copied through read(): point reads touch few pages, often,
        // and an audience walks whole indexes (2 GiB of address space, not of memory).
        c.execute_batch("PRAGMA busy_timeout = 15000; PRAGMA cache_size = -4000; PRAGMA query_only = ON; PRAGMA mmap_size = 2147418112;")
            .map_err(err)?;
        Ok(c)
    }

    /// Runs `f` on an idle connection (or a new one) and puts the connection back.
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let idle = self.idle.lock().map_err(|_| StoreError::Corrupt("reader pool poisoned".into()))?.pop();
        let conn = match idle {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&conn).map_err(err);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < KEEP {
                idle.push(conn);
            }
        }
        out
    }
}

impl SqliteReaders {
    /// Runs a query whose `$n` placeholders take `args` (bound as text, as the async driver
    /// binds them) and maps each row, without a channel hop per row: for reads of many small
    /// rows. Blocks the calling thread for the query's time (moved off the async workers
    /// where the runtime allows).
    pub fn query_map<T: Send>(
        &self,
        sql: &str,
        args: &[String],
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T> + Send,
    ) -> Result<Vec<T>> {
        let run = || {
            let mut f = f;
            self.with(|c| {
                let mut stmt = c.prepare(sql)?;
                for i in 1..=stmt.parameter_count() {
                    let name = stmt.parameter_name(i).unwrap_or("");
                    let n: usize = name.trim_start_matches(['$', '?']).parse().unwrap_or(i);
                    let v = args.get(n.wrapping_sub(1)).ok_or(rusqlite::Error::InvalidParameterCount(n, args.len()))?;
                    stmt.raw_bind_parameter(i, v)?;
                }
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(r)?);
                }
                Ok(out)
            })
        };
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
            _ => run(),
        }
    }
}

/// Writes a consistent, compact copy of a SQLite database to `out` (VACUUM INTO): one read
/// transaction, so writers carry on meanwhile, and no free pages in the copy.
pub fn snapshot(db: &Path, out: &Path) -> Result<()> {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(err)?;
    c.busy_timeout(std::time::Duration::from_secs(30)).map_err(err)?;
    c.execute("VACUUM INTO ?1", [out.to_string_lossy()]).map_err(err)?;
    Ok(())
}

/// The file behind a `sqlite://` URL, if it is a file.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_name_their_file_and_memory_has_none() {
        assert_eq!(sqlite_file("sqlite:///tmp/x/obhut.db?mode=rwc"), Some(PathBuf::from("/tmp/x/obhut.db")));
        assert_eq!(sqlite_file("sqlite:data.db"), Some(PathBuf::from("data.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
