//! The audit trail: append-only, each event chained to its predecessor by SHA-256 over a
//! canonical encoding (Art. 5(2) GDPR: the controller shows compliance). Events are written
//! in the same transaction as the change they record, so there is no change without its event.

use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::Result;
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
    /// The purpose an access of personal data was made for (reads, exports, disclosures).
    pub purpose: Option<String>,
    /// Who received the data in a disclosure: a processor (`processor:<key>`) or a named
    /// third party of an export.
    pub recipient: Option<String>,
}

/// The actions whose details a retention rule may empty: reads of personal data and refused
/// accesses. Everything else (changes, exports, logins, settings) keeps its details.
pub const READ_ACTIONS: &[&str] = &["contact.read", "contact.read_refused", "contact.list_refused", "access.refused"];

fn put(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_be_bytes());
    out.extend_from_slice(b);
}

/// The encoding of events written before payload hashes existed (length-prefixed fields: no
/// two different events encode alike). Kept so that older chains still verify.
pub fn legacy_canonical(seq: i64, at: i64, e: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    put(&mut out, &seq.to_be_bytes());
    put(&mut out, &at.to_be_bytes());
    put(&mut out, e.actor.as_bytes());
    put(&mut out, e.action.as_bytes());
    put(&mut out, e.record_type.as_bytes());
    put(&mut out, e.record_id.as_deref().unwrap_or("").as_bytes());
    put(&mut out, e.subject_id.as_deref().unwrap_or("").as_bytes());
    put(&mut out, e.fields.join(",").as_bytes());
    put(&mut out, e.detail.as_deref().unwrap_or(&[]));
    if let Some(p) = e.purpose.as_deref().filter(|p| !p.is_empty()) {
        put(&mut out, p.as_bytes());
    }
    out
}

pub fn legacy_chain_hash(prev: &[u8], seq: i64, at: i64, e: &AuditEntry) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(legacy_canonical(seq, at, e));
    h.finalize().to_vec()
}

/// SHA-256 over an event's details: who, which record and subject, which fields, the sealed
/// values, the purpose. The chain covers this digest, so the details of a read event can be
/// emptied when its retention ends while the chain still verifies.
pub fn payload_hash(e: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    put(&mut out, e.actor.as_bytes());
    put(&mut out, e.record_id.as_deref().unwrap_or("").as_bytes());
    put(&mut out, e.subject_id.as_deref().unwrap_or("").as_bytes());
    put(&mut out, e.fields.join(",").as_bytes());
    put(&mut out, e.detail.as_deref().unwrap_or(&[]));
    put(&mut out, e.purpose.as_deref().unwrap_or("").as_bytes());
    put(&mut out, e.recipient.as_deref().unwrap_or("").as_bytes());
    Sha256::digest(&out).to_vec()
}

/// The chain hash of an event: over its predecessor's hash, its sequence number, time, action,
/// record type and the digest of its details.
pub fn chain_hash_over(prev: &[u8], seq: i64, at: i64, action: &str, record_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    put(&mut out, &seq.to_be_bytes());
    put(&mut out, &at.to_be_bytes());
    put(&mut out, action.as_bytes());
    put(&mut out, record_type.as_bytes());
    put(&mut out, payload);
    let mut h = Sha256::new();
    h.update(prev);
    h.update(out);
    h.finalize().to_vec()
}

pub fn chain_hash(prev: &[u8], seq: i64, at: i64, e: &AuditEntry) -> Vec<u8> {
    chain_hash_over(prev, seq, at, &e.action, &e.record_type, &payload_hash(e))
}

/// Empties the details (actor, record, subject, fields, purpose) of read events older than
/// `before` (ms): their retention ended. The events stay in the chain with their time, action
/// and the digest of what they held, so `verify` still passes. Returns how many were emptied.
pub async fn redact_reads_before(conn: &mut Conn, before: i64, now: i64) -> Result<u64> {
    let list = READ_ACTIONS.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "UPDATE audit_events SET actor = '', record_id = NULL, subject_id = NULL, fields = '', detail = NULL, purpose = '', recipient = '', redacted_at = $1 \
         WHERE at < $2 AND redacted_at IS NULL AND payload_hash IS NOT NULL AND action IN ({list})"
    );
    Ok(sqlx::query(&sql).bind(now).bind(before).execute(&mut *conn).await?.rows_affected())
}

/// Takes the chain head's row lock. Every writing transaction calls this first, so writers
/// queue here (SQLite then never meets a stale snapshot) and the chain never forks, whether
/// the writer is the server or a CLI command running beside it.
pub async fn lock_head(conn: &mut Conn) -> Result<()> {
    sqlx::query("UPDATE chain_head SET seq = seq WHERE id = 1").execute(&mut *conn).await?;
    Ok(())
}

/// Appends events in order and signs the new head; returns the sequence number of the last.
pub async fn append(conn: &mut Conn, crypto: &Crypto, at: i64, entries: &[AuditEntry]) -> Result<i64> {
    if entries.is_empty() {
        return Ok(0);
    }
    let (mut seq, mut prev): (i64, Vec<u8>) = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1").fetch_one(&mut *conn).await?;
    const COLS: usize = 14;
    for chunk in entries.chunks(crate::db::rows_per_insert(COLS)) {
        let sql = format!(
            "INSERT INTO audit_events (seq, at, actor, action, record_type, record_id, subject_id, fields, detail, purpose, prev_hash, hash, payload_hash, recipient) VALUES {}",
            crate::db::values_placeholders(conn, chunk.len(), COLS)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            seq += 1;
            let payload = payload_hash(e);
            let hash = chain_hash_over(&prev, seq, at, &e.action, &e.record_type, &payload);
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
                .bind(e.purpose.clone().unwrap_or_default())
                .bind(prev.clone())
                .bind(hash.clone())
                .bind(payload)
                .bind(e.recipient.clone().unwrap_or_default());
            prev = hash;
        }
        q.execute(&mut *conn).await?;
    }
    let mac = crypto.checkpoint(seq, &prev);
    sqlx::query("UPDATE chain_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1")
        .bind(seq)
        .bind(prev)
        .bind(mac)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Signs a head that has no MAC yet (a database from before heads were signed).
pub async fn sign_unsigned_head(conn: &mut Conn, crypto: &Crypto) -> Result<()> {
    let (seq, hash, mac): (i64, Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash, mac FROM chain_head WHERE id = 1").fetch_one(&mut *conn).await?;
    if mac.is_empty() {
        sqlx::query("UPDATE chain_head SET mac = $1 WHERE id = 1 AND seq = $2")
            .bind(crypto.checkpoint(seq, &hash))
            .bind(seq)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub intact: bool,
    /// Events checked.
    pub events: i64,
    /// The sequence number the head names.
    pub head_seq: i64,
    /// The first event that is wrong (or where one is missing), and what is wrong.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Walks the whole chain in order: each event must follow the one before without a gap, name
/// its predecessor's hash, and hash to what it stores; the last must be what the signed head
/// names. Reports the first event that breaks any of it. Runs in the caller's transaction,
/// which should be a consistent snapshot.
pub async fn verify(conn: &mut Conn, crypto: &Crypto) -> Result<Verification> {
    let sqlite = conn.backend_name() == "SQLite";
    // A tampered hash column may hold text; read every byte column as bytes.
    let blob = |c: &str| if sqlite { format!("CAST({c} AS BLOB)") } else { c.to_string() };
    let sql = format!(
        "SELECT seq, at, actor, action, record_type, record_id, subject_id, fields, {}, purpose, {}, {}, {}, redacted_at, recipient FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 10000",
        blob("detail"),
        blob("prev_hash"),
        blob("hash"),
        blob("payload_hash")
    );
    let head: (i64, Vec<u8>, Vec<u8>) =
        sqlx::query_as(&format!("SELECT seq, {}, {} FROM chain_head WHERE id = 1", blob("hash"), blob("mac")))
            .fetch_one(&mut *conn)
            .await?;
    let mut walk = ChainWalk::new(head.0);
    'pages: loop {
        let rows: Vec<VerifyRow> = sqlx::query_as(&sql).bind(walk.prev_seq).fetch_all(&mut *conn).await?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            if !walk.step(from_verify_row(r)) {
                break 'pages;
            }
        }
    }
    Ok(walk.finish(crypto, &head.1, &head.2))
}

/// [`verify`] on SQLite through the synchronous reader, in one read transaction: the same
/// checks several times faster than through the async driver.
pub fn verify_sqlite(readers: &crate::fastread::SqliteReaders, crypto: &Crypto) -> Result<Verification> {
    readers.with(|c| {
        c.execute_batch("BEGIN")?;
        let walked = walk_sqlite(c, crypto);
        // Never hand the pooled connection back inside a transaction.
        c.execute_batch(if walked.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        walked
    })
}

fn walk_sqlite(c: &rusqlite::Connection, crypto: &Crypto) -> rusqlite::Result<Verification> {
    let head: (i64, Vec<u8>, Vec<u8>) =
        c.query_row("SELECT seq, CAST(hash AS BLOB), CAST(mac AS BLOB) FROM chain_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let mut walk = ChainWalk::new(head.0);
    let mut st = c.prepare(
        "SELECT seq, at, actor, action, record_type, record_id, subject_id, fields, CAST(detail AS BLOB), purpose, CAST(prev_hash AS BLOB), \
         CAST(hash AS BLOB), CAST(payload_hash AS BLOB), redacted_at, recipient FROM audit_events ORDER BY seq",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let row: VerifyRow = (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
            r.get(12)?,
            r.get(13)?,
            r.get(14)?,
        );
        if !walk.step(from_verify_row(row)) {
            break;
        }
    }
    Ok(walk.finish(crypto, &head.1, &head.2))
}

/// The state of a walk along the chain.
struct ChainWalk {
    out: Verification,
    prev_seq: i64,
    prev_hash: Vec<u8>,
}

impl ChainWalk {
    fn new(head_seq: i64) -> Self {
        Self {
            out: Verification { intact: true, events: 0, head_seq, first_bad_seq: None, problem: None },
            prev_seq: 0,
            prev_hash: vec![0u8; 32],
        }
    }

    fn fail(&mut self, seq: i64, problem: String) {
        self.out.intact = false;
        self.out.first_bad_seq = Some(seq);
        self.out.problem = Some(problem);
    }

    /// Checks the next event; false when the chain broke here.
    fn step(&mut self, ev: AuditEvent) -> bool {
        self.out.events += 1;
        let prev = self.prev_seq;
        if ev.seq != prev + 1 {
            self.fail(prev + 1, format!("event {} is missing (the next stored event is {})", prev + 1, ev.seq));
            return false;
        }
        if ev.prev_hash != self.prev_hash {
            self.fail(ev.seq, format!("event {} does not follow event {prev}: the chain was broken here", ev.seq));
            return false;
        }
        let expected = match (&ev.payload_hash, ev.redacted_at.is_some()) {
            (None, false) => legacy_chain_hash(&self.prev_hash, ev.seq, ev.at, &ev.entry),
            (None, true) => {
                self.fail(ev.seq, format!("event {} was emptied, but it carries no digest of its details", ev.seq));
                return false;
            }
            (Some(digest), true) => {
                if !READ_ACTIONS.contains(&ev.entry.action.as_str()) {
                    self.fail(ev.seq, format!("event {} ({}) was emptied, but only read events may be", ev.seq, ev.entry.action));
                    return false;
                }
                chain_hash_over(&self.prev_hash, ev.seq, ev.at, &ev.entry.action, &ev.entry.record_type, digest)
            }
            (Some(digest), false) => {
                if payload_hash(&ev.entry) != *digest {
                    self.fail(ev.seq, format!("event {} was changed: its details do not match their digest", ev.seq));
                    return false;
                }
                chain_hash_over(&self.prev_hash, ev.seq, ev.at, &ev.entry.action, &ev.entry.record_type, digest)
            }
        };
        if expected != ev.hash {
            self.fail(ev.seq, format!("event {} was changed: its content does not match its hash", ev.seq));
            return false;
        }
        self.prev_seq = ev.seq;
        self.prev_hash = ev.hash;
        true
    }

    fn finish(mut self, crypto: &Crypto, head_hash: &[u8], head_mac: &[u8]) -> Verification {
        if !self.out.intact {
            return self.out;
        }
        let (head_seq, last) = (self.out.head_seq, self.prev_seq);
        if head_seq != last {
            let (seq, what) = if head_seq > last {
                (last + 1, format!("events {}–{head_seq} are missing: the log was cut off after event {last}", last + 1))
            } else {
                (head_seq + 1, format!("events after {head_seq} are not covered by the signed head"))
            };
            self.fail(seq, what);
        } else if head_hash != self.prev_hash {
            self.fail(last, format!("the head does not match event {last}"));
        } else if !(head_mac.is_empty() && head_seq == 0) && head_mac != crypto.checkpoint(head_seq, head_hash) {
            self.fail(head_seq, "the head's signature is wrong: it was rewritten without the master key".into());
        }
        self.out
    }
}

pub(crate) type VerifyRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<Vec<u8>>,
    String,
    Vec<u8>,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<i64>,
    String,
);

pub(crate) fn from_verify_row(r: VerifyRow) -> AuditEvent {
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
            purpose: Some(r.9).filter(|p| !p.is_empty()),
            recipient: Some(r.14).filter(|r| !r.is_empty()),
        },
        prev_hash: r.10,
        hash: r.11,
        payload_hash: r.12,
        redacted_at: r.13,
    }
}

/// A stored event, as the audit browser and `audit verify` read it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    pub entry: AuditEntry,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// The digest of the details the chain covers (absent on events from before it existed).
    pub payload_hash: Option<Vec<u8>>,
    /// When the details were emptied because the read event's retention ended.
    pub redacted_at: Option<i64>,
}

type Row = VerifyRow;

fn from_row(r: Row) -> AuditEvent {
    from_verify_row(r)
}

const SELECT: &str =
    "SELECT seq, at, actor, action, record_type, record_id, subject_id, fields, detail, purpose, prev_hash, hash, payload_hash, redacted_at, recipient FROM audit_events";

/// Events about one record or subject, newest first.
pub async fn list_for_record(conn: &mut Conn, record_id: &str, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE subject_id = $1 OR record_id = $1 ORDER BY seq DESC LIMIT $2"))
        .bind(record_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The newest `limit` events about one data subject, oldest first (the Art. 15 report's audit
/// trail). Reads through the subject index only: events about a record of the subject (an
/// activity, a consent) name the subject too.
pub async fn list_for_subject(conn: &mut Conn, subject_id: &str, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE subject_id = $1 ORDER BY seq DESC LIMIT $2"))
        .bind(subject_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().rev().map(from_row).collect())
}

/// How many events name this data subject, redacted or not (what the Art. 15 report says it
/// left out beyond the newest it lists).
pub async fn count_for_subject(conn: &mut Conn, subject_id: &str) -> Result<i64> {
    let total: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE subject_id = $1").bind(subject_id).fetch_one(&mut *conn).await?;
    Ok(total.0)
}

fn detail_aad(subject_id: &str) -> Vec<u8> {
    format!("audit-detail:{subject_id}").into_bytes()
}

/// Seals an event's detail (before and after values) under the subject's key: erasing the
/// subject destroys the key, and with it every copy of the values in the trail.
pub fn seal_detail(key: &crate::crypto::SubjectKey, subject_id: &str, detail: &serde_json::Value) -> Vec<u8> {
    key.seal_json(&detail_aad(subject_id), detail)
}

/// Opens a detail sealed by [`seal_detail`]; `None` when the key does not open it.
pub fn open_detail(key: &crate::crypto::SubjectKey, subject_id: &str, sealed: &[u8]) -> Option<serde_json::Value> {
    key.open_json(&detail_aad(subject_id), sealed).ok()
}

/// What the audit browser filters by; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub subject_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Milliseconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// One page of events matching the filter, newest first, and how many match.
pub async fn search(conn: &mut Conn, f: &AuditFilter, limit: i64, offset: i64) -> Result<(Vec<AuditEvent>, i64)> {
    let (conds, args) =
        crate::db::conditions(vec![("subject_id", f.subject_id.clone()), ("actor", f.actor.clone()), ("action", f.action.clone())]);
    let mut wh = crate::reach::where_sql(&conds);
    let mut times = Vec::new();
    for (cond, v) in [("at >=", f.since), ("at <=", f.until)] {
        if let Some(v) = v {
            times.push(v);
            let c = format!("{cond} ${}", args.len() + times.len());
            wh = if wh.is_empty() { format!(" WHERE {c}") } else { format!("{wh} AND {c}") };
        }
    }
    let sql = format!("{SELECT}{wh} ORDER BY seq DESC LIMIT {} OFFSET {}", limit.clamp(1, 1000), offset.max(0));
    let mut q = sqlx::query_as::<_, Row>(&sql);
    let count_sql = format!("SELECT COUNT(*) FROM audit_events{wh}");
    let mut cq = sqlx::query_as::<_, (i64,)>(&count_sql);
    for a in &args {
        q = q.bind(a.clone());
        cq = cq.bind(a.clone());
    }
    for t in &times {
        q = q.bind(*t);
        cq = cq.bind(*t);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let total = cq.fetch_one(&mut *conn).await?.0;
    Ok((rows.into_iter().map(from_row).collect(), total))
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
        let mut e4 = e.clone();
        e4.purpose = Some("contract".into());
        assert_ne!(h, chain_hash(&[0; 32], 1, 10, &e4));
        let mut e5 = e.clone();
        e5.record_type = "contacts".into();
        assert_ne!(h, chain_hash(&[0; 32], 1, 10, &e5));
    }
}
