//! The audit trail: append-only, each event chained to its predecessor by SHA-256 over a
//! canonical encoding (Art. 5(2) GDPR: the controller shows compliance). Events are written
//! in the same transaction as the change they record, so there is no change without its event.

use crate::{Conn, Result};
use sha2::{Digest, Sha256};

/// One event to append. `fields` names the personal fields touched, never their values.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    /// The data subject concerned (a contact id), so a later erasure finds its events.
    pub subject_id: Option<String>,
    pub fields: Vec<String>,
    /// Sealed detail (before/after values), encrypted under the subject's key.
    pub detail: Option<Vec<u8>>,
}

/// Length-prefixed fields: no two different events encode alike.
pub fn canonical(seq: i64, at: i64, e: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut put = |b: &[u8]| {
        out.extend_from_slice(&(b.len() as u64).to_be_bytes());
        out.extend_from_slice(b);
    };
    put(&seq.to_be_bytes());
    put(&at.to_be_bytes());
    put(e.actor.as_bytes());
    put(e.action.as_bytes());
    put(e.record_type.as_bytes());
    put(e.record_id.as_deref().unwrap_or("").as_bytes());
    put(e.subject_id.as_deref().unwrap_or("").as_bytes());
    put(e.fields.join(",").as_bytes());
    put(e.detail.as_deref().unwrap_or(&[]));
    out
}

pub fn chain_hash(prev: &[u8], seq: i64, at: i64, e: &AuditEntry) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical(seq, at, e));
    h.finalize().to_vec()
}

/// Takes the audit head's row lock. Every writing transaction calls this first, so writers
/// queue here (SQLite then never meets a stale snapshot) and the chain never forks, whether
/// the writer is the server or a CLI command running beside it.
pub async fn lock_head(conn: &mut Conn) -> Result<()> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *conn).await?;
    Ok(())
}

/// Appends events in order; returns the sequence number of the last.
pub async fn append(conn: &mut Conn, at: i64, entries: &[AuditEntry]) -> Result<i64> {
    let (mut seq, mut prev): (i64, Vec<u8>) = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    const COLS: usize = 11;
    for chunk in entries.chunks(crate::rows_per_insert(COLS)) {
        let sql = format!(
            "INSERT INTO audit_events (seq, at, actor, action, record_type, record_id, subject_id, fields, detail, prev_hash, hash) VALUES {}",
            crate::values_placeholders(conn, chunk.len(), COLS)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            seq += 1;
            let hash = chain_hash(&prev, seq, at, e);
            q = q
                .bind(seq)
                .bind(at)
                .bind(e.actor.clone())
                .bind(e.action.clone())
                .bind(e.record_type.clone())
                .bind(e.record_id.clone())
                .bind(e.subject_id.clone())
                .bind(e.fields.join(","))
                .bind(e.detail.clone())
                .bind(prev.clone())
                .bind(hash.clone());
            prev = hash;
        }
        q.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(prev).execute(&mut *conn).await?;
    Ok(seq)
}

/// A stored event, as the audit browser and `audit verify` read it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    pub entry: AuditEntry,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

type Row = (i64, i64, String, String, String, Option<String>, Option<String>, String, Option<Vec<u8>>, Vec<u8>, Vec<u8>);

fn from_row(r: Row) -> AuditEvent {
    AuditEvent {
        seq: r.0,
        at: r.1,
        entry: AuditEntry {
            actor: r.2,
            action: r.3,
            record_type: r.4,
            record_id: r.5,
            subject_id: r.6,
            fields: if r.7.is_empty() { vec![] } else { r.7.split(',').map(str::to_string).collect() },
            detail: r.8,
        },
        prev_hash: r.9,
        hash: r.10,
    }
}

const SELECT: &str = "SELECT seq, at, actor, action, record_type, record_id, subject_id, fields, detail, prev_hash, hash FROM audit_events";

/// Events about one record or subject, newest first.
pub async fn list_for_record(conn: &mut Conn, record_id: &str, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE subject_id = $1 OR record_id = $1 ORDER BY seq DESC LIMIT $2"))
        .bind(record_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The newest events, newest first.
pub async fn list_recent(conn: &mut Conn, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY seq DESC LIMIT $1")).bind(limit).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(from_row).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field() {
        let e = AuditEntry { actor: "a".into(), action: "contact.create".into(), record_type: "contact".into(), ..Default::default() };
        let h = chain_hash(&[0; 32], 1, 10, &e);
        let mut e2 = e.clone();
        e2.fields = vec!["email".into()];
        assert_ne!(h, chain_hash(&[0; 32], 1, 10, &e2));
        assert_ne!(h, chain_hash(&[0; 32], 2, 10, &e));
        assert_ne!(h, chain_hash(&[1; 32], 1, 10, &e));
        let mut e3 = e.clone();
        e3.actor = "ab".into();
        e3.action = "ontact.create".into();
        assert_ne!(h, chain_hash(&[0; 32], 1, 10, &e3));
    }
}
