//! The audience walk: a segment's contacts, each with the ledger events deciding whether it
//! may be approached, in batches, without reading anything personal. On a SQLite file it is a
//! merge join on two threads over synchronous readers; on PostgreSQL two range queries.

use super::events::{parse_kind, parse_method, ANY};
use crate::contacts::{filter_sql, ContactFilter};
use crate::error::{Result, StoreError};
use crate::fastread::SqliteReaders;
use crate::store::Store;
use obhut_core::consent::{Channel, EventKind, Facts, LedgerEvent, Method};

/// What an audience computation sees of a contact: nothing personal, borrowed from the row.
#[derive(Debug, Clone, Copy)]
pub struct ScanContact<'a> {
    pub id: &'a str,
    pub consumer: bool,
    pub restricted: bool,
    pub record_class: &'a str,
    pub owner_id: Option<&'a str>,
    pub team: Option<&'a str>,
    pub tags: &'a str,
}

/// The events deciding an audience, for one contact, in ledger order.
pub type ScanEvents = [(LedgerEvent, Facts)];

fn contacts_scan_sql(f: &ContactFilter, after: Option<&str>, limit: i64) -> (String, Vec<String>) {
    let mut args = Vec::new();
    let mut wh = filter_sql(f, &mut args);
    if let Some(a) = after {
        args.push(a.to_string());
        let cond = format!("c.id > ${}", args.len());
        wh = if wh.is_empty() { format!(" WHERE {cond}") } else { format!("{wh} AND {cond}") };
    }
    let sql = format!(
        "SELECT c.id, c.kind, c.restricted_at, c.record_class, c.owner_id, c.team, c.tags FROM contacts c{wh} ORDER BY c.id LIMIT {}",
        limit.clamp(1, 50_000)
    );
    (sql, args)
}

/// One consent's events (channel, purpose, topic) from a contact on, by contact then in
/// order: one range of the covering index. The channel's objections are the same range under
/// purpose and topic `*`; an audience merges the two.
const SCAN_EVENTS: &str = "SELECT contact_id, kind, method, at, facts, seq FROM consent_events \
     WHERE channel = $1 AND purpose = $2 AND topic = $3 AND contact_id >= $4 ORDER BY contact_id, seq";

/// Both at once for a range of contacts (PostgreSQL merges the ranges itself).
const SCAN_EVENTS_RANGE: &str = "SELECT contact_id, kind, method, at, facts FROM consent_events \
     WHERE channel = $1 AND contact_id >= $2 AND contact_id <= $5 AND ((purpose = $3 AND topic = $4) OR purpose = '*') ORDER BY contact_id, seq";

fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    Ok(r.get_ref(i)?.as_str()?)
}

fn opt_text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    Ok(r.get_ref(i)?.as_str_or_null()?)
}

fn scan_facts(facts: &str) -> Result<Facts> {
    if facts.is_empty() {
        Ok(Facts::default())
    } else {
        serde_json::from_str(facts).map_err(|_| StoreError::Corrupt("consent facts".into()))
    }
}

/// Events read ahead by the ledger side of an audience walk: contact ids concatenated in one
/// buffer (a contact's events share its slice), so a chunk costs two allocations.
#[derive(Default)]
struct EventChunk {
    ids: Vec<u8>,
    events: Vec<(std::ops::Range<usize>, LedgerEvent, Facts)>,
}

/// Events per chunk handed from the ledger thread to the contacts side: small, so that the
/// ledger side reads little past the end of a batch (at most two chunks).
const EVENT_CHUNK: usize = 1024;

fn bytes<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    Ok(r.get_ref(i)?.as_bytes()?)
}

/// One event of an audience walk, read from the row as stored: names are matched as bytes,
/// and the facts (JSON) are read only where the rules look at them (the recorded basis).
fn scan_event(e: &rusqlite::Row<'_>) -> rusqlite::Result<Result<(LedgerEvent, Facts)>> {
    let Some(kind) = EventKind::from_stored(bytes(e, 1)?) else {
        return Ok(Err(StoreError::Corrupt(format!("consent event kind '{}'", String::from_utf8_lossy(bytes(e, 1)?)))));
    };
    let Some(method) = Method::from_stored(bytes(e, 2)?) else {
        return Ok(Err(StoreError::Corrupt(format!("consent event method '{}'", String::from_utf8_lossy(bytes(e, 2)?)))));
    };
    let facts = if kind == EventKind::BasisRecorded {
        match scan_facts(text(e, 4)?) {
            Ok(f) => f,
            Err(err) => return Ok(Err(err)),
        }
    } else {
        Facts::default()
    };
    Ok(Ok((LedgerEvent { at: e.get(3)?, kind, method }, facts)))
}

/// One of the two event ranges an audience merges, one row read ahead.
struct EventCursor<'s> {
    rows: rusqlite::Rows<'s>,
    id: Vec<u8>,
    seq: i64,
    event: Option<(LedgerEvent, Facts)>,
}

impl<'s> EventCursor<'s> {
    fn open(stmt: &'s mut rusqlite::CachedStatement<'_>, params: [&str; 4]) -> rusqlite::Result<Result<Self>> {
        for (i, p) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, p)?;
        }
        let mut c = EventCursor { rows: stmt.raw_query(), id: Vec::with_capacity(36), seq: 0, event: None };
        Ok(c.advance()?.map(|()| c))
    }

    fn advance(&mut self) -> rusqlite::Result<Result<()>> {
        self.event = None;
        let Some(e) = self.rows.next()? else { return Ok(Ok(())) };
        match scan_event(e)? {
            Ok(d) => {
                self.id.clear();
                self.id.extend_from_slice(bytes(e, 0)?);
                self.seq = e.get(5)?;
                self.event = Some(d);
                Ok(Ok(()))
            }
            Err(err) => Ok(Err(err)),
        }
    }
}

/// The ledger side of an audience batch on SQLite: merges the consent's own events and the
/// channel's objections from the batch's first contact on, and sends them in chunks until the
/// contacts side hangs up.
fn read_events(
    c: &rusqlite::Connection,
    [channel, from, purpose, topic]: [&str; 4],
    tx: &std::sync::mpsc::SyncSender<Result<EventChunk>>,
) -> rusqlite::Result<()> {
    let (mut own_stmt, mut objections_stmt) = (c.prepare_cached(SCAN_EVENTS)?, c.prepare_cached(SCAN_EVENTS)?);
    let opened = (
        EventCursor::open(&mut own_stmt, [channel, purpose, topic, from])?,
        EventCursor::open(&mut objections_stmt, [channel, ANY, ANY, from])?,
    );
    let (mut own, mut objections) = match opened {
        (Ok(own), Ok(objections)) => (own, objections),
        (Err(err), _) | (_, Err(err)) => {
            let _ = tx.send(Err(err));
            return Ok(());
        }
    };
    let mut chunk = EventChunk::default();
    loop {
        let next = match (&own.event, &objections.event) {
            (None, None) => break,
            (Some(_), None) => &mut own,
            (None, Some(_)) => &mut objections,
            (Some(_), Some(_)) => {
                if (own.id.as_slice(), own.seq) <= (objections.id.as_slice(), objections.seq) {
                    &mut own
                } else {
                    &mut objections
                }
            }
        };
        let Some((event, facts)) = next.event.take() else { break };
        let range = match chunk.events.last() {
            Some((r, _, _)) if chunk.ids[r.clone()] == next.id[..] => r.clone(),
            _ => {
                let start = chunk.ids.len();
                chunk.ids.extend_from_slice(&next.id);
                start..chunk.ids.len()
            }
        };
        chunk.events.push((range, event, facts));
        if let Err(err) = next.advance()? {
            let _ = tx.send(Err(err));
            return Ok(());
        }
        if chunk.events.len() == EVENT_CHUNK && tx.send(Ok(std::mem::take(&mut chunk))).is_err() {
            return Ok(());
        }
    }
    let _ = tx.send(Ok(chunk));
    Ok(())
}

/// An audience batch on SQLite, as a merge join on two cores: a scoped thread reads and decodes
/// the ledger through a reader of its own while this one walks the contacts and decides them.
/// Rows are borrowed, not copied; the ledger side runs at most a few chunks ahead.
fn scan_segment_sqlite(
    readers: &SqliteReaders,
    sql: &str,
    args: &[String],
    event_params: [&str; 4],
    visit: &mut (dyn FnMut(&ScanContact<'_>, &ScanEvents) + Send),
) -> Result<Option<String>> {
    let mut failure: Option<StoreError> = None;
    let last = readers.with(|c| {
        let mut cs = c.prepare_cached(sql)?;
        for (i, a) in args.iter().enumerate() {
            cs.raw_bind_parameter(i + 1, a)?;
        }
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<EventChunk>>(1);
            let ledger = scope.spawn(move || readers.with(|e| read_events(e, event_params, &tx)));
            let mut contacts = cs.raw_query();
            let mut chunk = EventChunk::default();
            let mut at = 0;
            let mut ledger_done = false;
            let mut mine: Vec<(LedgerEvent, Facts)> = Vec::new();
            let mut last: Option<String> = None;
            while let Some(r) = contacts.next()? {
                let id = text(r, 0)?;
                mine.clear();
                loop {
                    if at == chunk.events.len() {
                        if ledger_done {
                            break;
                        }
                        match rx.recv() {
                            Ok(Ok(next)) => {
                                chunk = next;
                                at = 0;
                                continue;
                            }
                            Ok(Err(e)) => {
                                failure = Some(e);
                                return Ok(None);
                            }
                            Err(_) => {
                                ledger_done = true;
                                break;
                            }
                        }
                    }
                    let (range, event, facts) = &chunk.events[at];
                    match chunk.ids[range.clone()].cmp(id.as_bytes()) {
                        std::cmp::Ordering::Less => at += 1,
                        std::cmp::Ordering::Equal => {
                            mine.push((event.clone(), *facts));
                            at += 1;
                        }
                        std::cmp::Ordering::Greater => break,
                    }
                }
                let contact = ScanContact {
                    id,
                    consumer: text(r, 1)? == "b2c",
                    restricted: r.get_ref(2)?.as_i64_or_null()?.is_some(),
                    record_class: text(r, 3)?,
                    owner_id: opt_text(r, 4)?,
                    team: opt_text(r, 5)?,
                    tags: text(r, 6)?,
                };
                visit(&contact, &mine);
                let l = last.get_or_insert_with(String::new);
                l.clear();
                l.push_str(id);
            }
            // Hang up: the ledger thread stops at its next chunk.
            drop(rx);
            if let Ok(Err(e)) = ledger.join() {
                failure.get_or_insert(e);
            }
            Ok(last)
        })
    });
    match failure {
        Some(e) => Err(e),
        None => last,
    }
}

/// Walks the next `limit` contacts of a segment after `after` (by id) and hands each, with the
/// events deciding its permission, to `visit`. Returns the last contact's id, or `None` when
/// the segment is exhausted. Memory stays that of one contact's events.
///
/// On a SQLite file both sides are read through one synchronous reader as a merge join: two
/// statements step side by side, rows are borrowed, not copied, and nothing is allocated per
/// row but the facts a rare event carries.
#[allow(clippy::too_many_arguments)]
pub async fn scan_segment(
    store: &Store,
    f: &ContactFilter,
    purpose: &str,
    channel: Channel,
    topic: &str,
    after: Option<&str>,
    limit: i64,
    visit: &mut (dyn FnMut(&ScanContact<'_>, &ScanEvents) + Send),
) -> Result<Option<String>> {
    let (sql, args) = contacts_scan_sql(f, after, limit);
    let from = after.unwrap_or("");
    if let Some(readers) = &store.readers {
        return scan_segment_sqlite(readers, &sql, &args, [channel.as_str(), from, purpose, topic], visit);
    }
    // PostgreSQL: the batch's contacts, then the events of their id range.
    type Row = (String, String, Option<i64>, String, Option<String>, Option<String>, String);
    let mut conn = store.pool.acquire().await?;
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let contacts: Vec<Row> = q.fetch_all(&mut *conn).await?;
    let Some(last) = contacts.last().map(|c| c.0.clone()) else { return Ok(None) };
    let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(SCAN_EVENTS_RANGE)
        .bind(channel.as_str())
        .bind(from)
        .bind(purpose)
        .bind(topic)
        .bind(&last)
        .fetch_all(&mut *conn)
        .await?;
    let mut events = rows.into_iter().peekable();
    let mut mine = Vec::new();
    for c in &contacts {
        mine.clear();
        while let Some(e) = events.next_if(|e| e.0.as_str() <= c.0.as_str()) {
            if e.0 == c.0 {
                mine.push((LedgerEvent { at: e.3, kind: parse_kind(&e.1)?, method: parse_method(&e.2)? }, scan_facts(&e.4)?));
            }
        }
        let contact = ScanContact {
            id: &c.0,
            consumer: c.1 == "b2c",
            restricted: c.2.is_some(),
            record_class: &c.3,
            owner_id: c.4.as_deref(),
            team: c.5.as_deref(),
            tags: &c.6,
        };
        visit(&contact, &mine);
    }
    Ok(Some(last))
}
