//! The access log: every read of personal data becomes an audit event (who, which subject,
//! which fields, for which purpose) before the data is handed out.
//!
//! Reads are many and small, so they are committed in groups: each reader queues its event
//! and waits; one task appends everything queued so far in one transaction, commits once, and
//! answers all of them. A read returns only after its event is durable, and a thousand
//! concurrent readers cost one commit, not a thousand.

use obhut_store::audit::AuditEntry;
use obhut_store::Store;
use tokio::sync::{mpsc, oneshot};

type Request = (AuditEntry, i64, oneshot::Sender<Result<(), String>>);

/// Most events in one commit.
const GROUP: usize = 2_000;

#[derive(Clone)]
pub struct AccessLog {
    queue: mpsc::Sender<Request>,
}

impl AccessLog {
    /// Starts the writer task; it ends when the last handle is dropped.
    pub fn start(store: Store) -> Self {
        let (queue, receive) = mpsc::channel(GROUP * 4);
        tokio::spawn(write_groups(store, receive));
        Self { queue }
    }

    /// Appends several access events (a page of a list) and waits until all are committed;
    /// they normally land in one group.
    pub async fn record_all(&self, entries: Vec<AuditEntry>, at: i64) -> Result<(), String> {
        let mut waits = Vec::with_capacity(entries.len());
        for entry in entries {
            let (done, wait) = oneshot::channel();
            self.queue.send((entry, at, done)).await.map_err(|_| "the access log is closed".to_string())?;
            waits.push(wait);
        }
        for wait in waits {
            wait.await.map_err(|_| "the access log stopped".to_string())??;
        }
        Ok(())
    }

    /// Appends one access event and waits until it is committed.
    pub async fn record(&self, entry: AuditEntry, at: i64) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.queue.send((entry, at, done)).await.map_err(|_| "the access log is closed".to_string())?;
        wait.await.map_err(|_| "the access log stopped".to_string())?
    }
}

async fn write_groups(store: Store, mut receive: mpsc::Receiver<Request>) {
    let mut group: Vec<Request> = Vec::with_capacity(GROUP);
    let mut conn: Option<sqlx::AnyConnection> = None;
    let mut since_checkpoint = 0u32;
    while receive.recv_many(&mut group, GROUP).await > 0 {
        let at = group.iter().map(|r| r.1).max().unwrap_or_default();
        let entries: Vec<AuditEntry> = group.iter().map(|r| r.0.clone()).collect();
        let result = commit(&store, &mut conn, at, &entries).await.map_err(|e| e.to_string());
        if result.is_err() {
            conn = None; // open a fresh connection for the next group
        }
        for (_, _, done) in group.drain(..) {
            let _ = done.send(result.clone());
        }
        // Checkpoint after the group was answered, not inside its commit; as the one steady
        // writer this connection can fold the whole WAL back, so the next commit restarts it.
        since_checkpoint += 1;
        if since_checkpoint >= CHECKPOINT_EVERY && store.backend == obhut_store::Backend::Sqlite {
            if let Some(c) = conn.as_mut() {
                let _ = obhut_store::db::checkpoint_passive(c).await;
            }
            since_checkpoint = 0;
        }
    }
}

/// Group commits between checkpoints (each adds a handful of WAL pages).
const CHECKPOINT_EVERY: u32 = 200;

/// The writer's own connection, outside the pool. On SQLite it does not checkpoint inside a
/// commit (that made every read of the group wait for it) but after answering the group.
async fn connection(store: &Store) -> obhut_store::Result<sqlx::AnyConnection> {
    let mut c = store.pool.acquire().await?.detach();
    obhut_store::db::disable_autocheckpoint(&mut c).await?;
    Ok(c)
}

async fn commit(store: &Store, conn: &mut Option<sqlx::AnyConnection>, at: i64, entries: &[AuditEntry]) -> obhut_store::Result<()> {
    use sqlx::Connection;
    if conn.is_none() {
        *conn = Some(connection(store).await?);
    }
    let Some(c) = conn.as_mut() else { return Ok(()) };
    let mut tx = c.begin().await?;
    obhut_store::audit::lock_head(&mut tx).await?;
    obhut_store::audit::append(&mut tx, &store.crypto, at, entries).await?;
    tx.commit().await?;
    Ok(())
}
