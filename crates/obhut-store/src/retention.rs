//! Retention: the rule catalogue, legal holds, what a duty keeps restricted, the pseudonym
//! vault, anonymized orders, and the facts the sweep decides on (read in batches of contacts,
//! in id order, so that a sweep over a million contacts holds one batch at a time).

use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::{Result, StoreError};
use obhut_core::activity::ActivityKind;
pub use obhut_core::retention::RunCounts;
use obhut_core::retention::{DataType, ItemFacts, Period, RetentionAction, RetentionRule, StartPoint, SubjectFacts};
use std::collections::HashMap;
use time::Date;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// The calendar day (UTC) of a time in milliseconds.
pub fn day_of(ms: i64) -> Date {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).map(|t| t.date()).unwrap_or(Date::MIN)
}

fn parse_day(s: &str) -> Result<Date> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE).map_err(|_| corrupt("retention date"))
}

// ---------------------------------------------------------------------------------------------
// Rules

type RuleRow = (String, String, String, String, String, i64, String, String, String);

/// The catalogue as stored.
pub async fn list_rules(conn: &mut Conn) -> Result<Vec<RetentionRule>> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT data_type, purpose, legal_basis, start_point, period, year_end, action, legal_reference, description \
         FROM retention_rules ORDER BY data_type",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rules = rows
        .into_iter()
        .map(|r| {
            let data_type = DataType::parse(&r.0).map_err(|_| corrupt("retention rule data type"))?;
            Ok(RetentionRule {
                data_type,
                purpose: r.1,
                legal_basis: r.2,
                start: data_type.start(),
                period: Period::parse(&r.4).map_err(|_| corrupt("retention rule period"))?,
                year_end: r.5 != 0,
                action: RetentionAction::parse(&r.6).map_err(|_| corrupt("retention rule action"))?,
                legal_reference: r.7,
                description: r.8,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Contacts first, then their records: the catalogue's own order.
    rules.sort_by_key(|r| r.data_type);
    Ok(rules)
}

/// Inserts or replaces the rule of its data type.
pub async fn save_rule(conn: &mut Conn, r: &RetentionRule, actor: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO retention_rules (data_type, purpose, legal_basis, start_point, period, year_end, action, legal_reference, description, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (data_type) DO UPDATE SET purpose = $2, legal_basis = $3, start_point = $4, period = $5, year_end = $6, action = $7, \
         legal_reference = $8, description = $9, updated_by = $10, updated_at = $11",
    )
    .bind(r.data_type.as_str())
    .bind(&r.purpose)
    .bind(&r.legal_basis)
    .bind(r.start.as_str())
    .bind(r.period.to_string())
    .bind(i64::from(r.year_end))
    .bind(r.action.as_str())
    .bind(&r.legal_reference)
    .bind(&r.description)
    .bind(actor)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds the rules of data types the catalogue lacks (a new installation, or a data type added
/// by an upgrade); rules the DPO changed stay.
pub async fn seed_rules(conn: &mut Conn, rules: &[RetentionRule], at: i64) -> Result<usize> {
    let have: Vec<(String,)> = sqlx::query_as("SELECT data_type FROM retention_rules").fetch_all(&mut *conn).await?;
    let mut n = 0;
    for r in rules {
        if !have.iter().any(|h| h.0 == r.data_type.as_str()) {
            save_rule(conn, r, "system", at).await?;
            n += 1;
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Legal holds

/// A legal hold: it postpones every rule of its contact and refuses its erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: String,
    pub contact_id: String,
    pub reason: String,
    pub until_on: Option<String>,
    pub placed_by: String,
    pub placed_at: i64,
    pub released_at: Option<i64>,
    pub released_by: Option<String>,
}

fn hold_aad(id: &str) -> Vec<u8> {
    format!("legal-hold:{id}").into_bytes()
}

type HoldRow = (String, String, Vec<u8>, Option<String>, String, i64, Option<i64>, Option<String>);
const HOLD_COLS: &str = "id, contact_id, reason, until_on, placed_by, placed_at, released_at, released_by";

fn open_hold(crypto: &Crypto, r: HoldRow) -> Result<Hold> {
    let reason = crypto.open(&hold_aad(&r.0), &r.2).map_err(|_| corrupt("hold reason"))?;
    Ok(Hold {
        reason: String::from_utf8(reason).map_err(|_| corrupt("hold reason"))?,
        id: r.0,
        contact_id: r.1,
        until_on: r.3,
        placed_by: r.4,
        placed_at: r.5,
        released_at: r.6,
        released_by: r.7,
    })
}

pub async fn insert_hold(conn: &mut Conn, crypto: &Crypto, h: &Hold) -> Result<()> {
    sqlx::query(&format!("INSERT INTO legal_holds ({HOLD_COLS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"))
        .bind(&h.id)
        .bind(&h.contact_id)
        .bind(crypto.seal(&hold_aad(&h.id), h.reason.as_bytes()))
        .bind(&h.until_on)
        .bind(&h.placed_by)
        .bind(h.placed_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Releases a hold; `false` when it is unknown or already released.
pub async fn release_hold(conn: &mut Conn, id: &str, actor: &str, at: i64) -> Result<bool> {
    Ok(sqlx::query("UPDATE legal_holds SET released_at = $1, released_by = $2 WHERE id = $3 AND released_at IS NULL")
        .bind(at)
        .bind(actor)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn find_hold(conn: &mut Conn, crypto: &Crypto, id: &str) -> Result<Option<Hold>> {
    let row: Option<HoldRow> =
        sqlx::query_as(&format!("SELECT {HOLD_COLS} FROM legal_holds WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| open_hold(crypto, r)).transpose()
}

/// Holds, newest first: all of one contact, or those still in force (not released, not past
/// their end) on `today`.
pub async fn list_holds(conn: &mut Conn, crypto: &Crypto, contact_id: Option<&str>, in_force_on: Option<Date>) -> Result<Vec<Hold>> {
    let mut sql = format!("SELECT {HOLD_COLS} FROM legal_holds WHERE 1 = 1");
    if contact_id.is_some() {
        sql.push_str(" AND contact_id = $1");
    }
    sql.push_str(" ORDER BY placed_at DESC, id");
    let mut q = sqlx::query_as::<_, HoldRow>(&sql);
    if let Some(c) = contact_id {
        q = q.bind(c.to_string());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for r in rows {
        let h = open_hold(crypto, r)?;
        if let Some(today) = in_force_on {
            if !in_force(&h, today)? {
                continue;
            }
        }
        out.push(h);
    }
    Ok(out)
}

/// Whether a hold is in force on `today`.
pub fn in_force(h: &Hold, today: Date) -> Result<bool> {
    Ok(h.released_at.is_none() && h.until_on.as_deref().map(parse_day).transpose()?.is_none_or(|u| u >= today))
}

// ---------------------------------------------------------------------------------------------
// Restriction until a duty ends, pseudonyms, anonymized orders

/// Restricts a contact (Art. 18) until `until` (None: for good, by a rule), remembering
/// whether its erasure was asked for, so that the sweep erases it when the duty ends.
pub async fn restrict_until(
    conn: &mut Conn,
    contact_id: &str,
    until: Option<Date>,
    erasure_requested: bool,
    case_id: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE contacts SET restricted_at = COALESCE(restricted_at, $1) WHERE id = $2")
        .bind(at)
        .bind(contact_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO retention_restrictions (contact_id, until_on, erasure_requested, case_id, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (contact_id) DO UPDATE SET until_on = $2, erasure_requested = CASE WHEN $3 = 1 THEN 1 ELSE retention_restrictions.erasure_requested END, \
         case_id = COALESCE($4, retention_restrictions.case_id), at = $5",
    )
    .bind(contact_id)
    .bind(until.map(|d| d.to_string()))
    .bind(i64::from(erasure_requested))
    .bind(case_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What keeps a contact restricted, if retention does.
pub async fn restriction(conn: &mut Conn, contact_id: &str) -> Result<Option<(Option<String>, bool, Option<String>)>> {
    let r: Option<(Option<String>, i64, Option<String>)> =
        sqlx::query_as("SELECT until_on, erasure_requested, case_id FROM retention_restrictions WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(r.map(|r| (r.0, r.1 != 0, r.2)))
}

/// Forgets the retention state of an erased contact.
pub async fn forget(conn: &mut Conn, contact_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM retention_restrictions WHERE contact_id = $1").bind(contact_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM pseudonyms WHERE contact_id = $1").bind(contact_id).execute(&mut *conn).await?;
    Ok(())
}

fn pseudonym_aad(token: &str) -> Vec<u8> {
    format!("pseudonym:{token}").into_bytes()
}

/// Stores what a pseudonym replaced, sealed under the installation key.
pub async fn insert_pseudonym(conn: &mut Conn, crypto: &Crypto, token: &str, contact_id: &str, plain: &[u8], at: i64) -> Result<()> {
    sqlx::query("INSERT INTO pseudonyms (token, contact_id, sealed, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token)
        .bind(contact_id)
        .bind(crypto.seal(&pseudonym_aad(token), plain))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Resolves a pseudonym: (contact id, what it replaced).
pub async fn resolve_pseudonym(conn: &mut Conn, crypto: &Crypto, token: &str) -> Result<Option<(String, Vec<u8>)>> {
    let r: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT contact_id, sealed FROM pseudonyms WHERE token = $1").bind(token).fetch_optional(&mut *conn).await?;
    r.map(|(c, s)| Ok((c, crypto.open(&pseudonym_aad(token), &s).map_err(|_| corrupt("pseudonym"))?))).transpose()
}

/// Moves orders (all of a contact's, or the ones named) out of the activities into the
/// statistics without the person: kind, time, organization and deal stay; the text sealed
/// under the person's key and the link to the person go.
pub async fn anonymize_orders(conn: &mut Conn, contact_id: Option<&str>, ids: &[String], at: i64) -> Result<u64> {
    // The filter with its placeholders numbered from `first`.
    let filter = |first: usize| match contact_id {
        Some(_) => format!("contact_id = ${first} AND kind = 'order'"),
        None => format!("id IN ({}) AND kind = 'order'", (0..ids.len()).map(|i| format!("${}", i + first)).collect::<Vec<_>>().join(", ")),
    };
    let binds: Vec<String> = match contact_id {
        Some(c) => vec![c.to_string()],
        None if ids.is_empty() => return Ok(0),
        None => ids.to_vec(),
    };
    let insert = format!(
        "INSERT INTO anonymized_activities (id, kind, occurred_at, organization_id, deal_id, anonymized_at) \
         SELECT id, kind, occurred_at, organization_id, deal_id, $1 FROM activities WHERE {}",
        filter(2)
    );
    let mut q = sqlx::query(&insert).bind(at);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let n = q.execute(&mut *conn).await?.rows_affected();
    let delete = format!("DELETE FROM activities WHERE {}", filter(1));
    let mut d = sqlx::query(&delete);
    for b in &binds {
        d = d.bind(b.clone());
    }
    d.execute(&mut *conn).await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Facts for the sweep

/// Which contacts to read facts of.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Up to this many after this id, in id order.
    After(&'a str, i64),
    One(&'a str),
}

/// The facts of the selected contacts as of `today`.
pub async fn load_facts(conn: &mut Conn, sel: Selection<'_>, today: Date) -> Result<Vec<(String, SubjectFacts)>> {
    let contacts: Vec<(String, i64)> = match sel {
        Selection::After(after, limit) => {
            sqlx::query_as("SELECT id, created_at FROM contacts WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }
        Selection::One(id) => sqlx::query_as("SELECT id, created_at FROM contacts WHERE id = $1").bind(id).fetch_all(&mut *conn).await?,
    };
    let (Some(first), Some(last)) = (contacts.first().map(|c| c.0.clone()), contacts.last().map(|c| c.0.clone())) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(String, SubjectFacts)> = contacts
        .into_iter()
        .map(|(id, created)| {
            let f = SubjectFacts {
                created_on: day_of(created),
                last_activity_on: None,
                has_order: false,
                had_consent: false,
                consent_active: false,
                consent_ended_on: None,
                held: None,
                restricted_until: None,
                erasure_requested: false,
                pseudonymized: false,
                restricted_by_rule: false,
                items: Vec::new(),
            };
            (id, f)
        })
        .collect();
    let index: HashMap<String, usize> = out.iter().enumerate().map(|(i, (id, _))| (id.clone(), i)).collect();
    let range = |sql: &str| sql.replace("{range}", "contact_id >= $1 AND contact_id <= $2");

    let acts: Vec<(String, String, i64, String)> =
        sqlx::query_as(&range("SELECT contact_id, kind, occurred_at, id FROM activities WHERE {range}"))
            .bind(&first)
            .bind(&last)
            .fetch_all(&mut *conn)
            .await?;
    for (cid, kind, at, id) in acts {
        let Some(&i) = index.get(&cid) else { continue };
        let f = &mut out[i].1;
        let kind = ActivityKind::parse(&kind).map_err(|_| corrupt("activity kind"))?;
        let day = day_of(at);
        f.last_activity_on = Some(f.last_activity_on.map_or(day, |d| d.max(day)));
        f.has_order |= kind == ActivityKind::Order;
        f.items.push(ItemFacts { id, data_type: DataType::of_activity(kind), start: Some(day) });
    }

    let tickets: Vec<(String, String, String, i64)> =
        sqlx::query_as(&range("SELECT contact_id, id, status, updated_at FROM tickets WHERE {range}"))
            .bind(&first)
            .bind(&last)
            .fetch_all(&mut *conn)
            .await?;
    for (cid, id, status, updated) in tickets {
        let Some(&i) = index.get(&cid) else { continue };
        let closed = matches!(status.as_str(), "closed" | "resolved");
        out[i].1.items.push(ItemFacts { id, data_type: DataType::Ticket, start: closed.then(|| day_of(updated)) });
    }

    // The consent ledger: which consents stand, and when the last one ended.
    let events: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(&range(
        "SELECT contact_id, channel, purpose, topic, kind, at FROM consent_events WHERE {range} ORDER BY contact_id, seq",
    ))
    .bind(&first)
    .bind(&last)
    .fetch_all(&mut *conn)
    .await?;
    let mut standing: HashMap<(String, String, String), bool> = HashMap::new();
    let mut current: Option<usize> = None;
    let flush = |standing: &mut HashMap<(String, String, String), bool>, f: Option<&mut SubjectFacts>| {
        if let Some(f) = f {
            f.consent_active = standing.values().any(|s| *s);
        }
        standing.clear();
    };
    for (cid, channel, purpose, topic, kind, at) in events {
        let Some(&i) = index.get(&cid) else { continue };
        if current != Some(i) {
            flush(&mut standing, current.map(|c| &mut out[c].1));
            current = Some(i);
        }
        let f = &mut out[i].1;
        match kind.as_str() {
            "given" | "confirmed" | "renewed" => {
                f.had_consent = true;
                standing.insert((channel, purpose, topic), true);
            }
            "withdrawn" | "expired" | "refused" => {
                let stood = standing.insert((channel, purpose, topic), false) == Some(true);
                if stood {
                    f.consent_ended_on = Some(day_of(at));
                }
            }
            "objected" => {
                // An objection ends every consent on its channel.
                for (k, s) in standing.iter_mut() {
                    if k.0 == channel && *s {
                        *s = false;
                        f.consent_ended_on = Some(day_of(at));
                    }
                }
            }
            _ => {}
        }
    }
    flush(&mut standing, current.map(|c| &mut out[c].1));

    let holds: Vec<(String, Option<String>)> =
        sqlx::query_as(&range("SELECT contact_id, until_on FROM legal_holds WHERE released_at IS NULL AND {range}"))
            .bind(&first)
            .bind(&last)
            .fetch_all(&mut *conn)
            .await?;
    for (cid, until) in holds {
        let Some(&i) = index.get(&cid) else { continue };
        let until = until.as_deref().map(parse_day).transpose()?;
        if until.is_some_and(|u| u < today) {
            continue;
        }
        let f = &mut out[i].1;
        f.held = Some(match (f.held, until) {
            (Some(None), _) | (_, None) => None,
            (Some(Some(a)), Some(b)) => Some(a.max(b)),
            (None, Some(b)) => Some(b),
        });
    }

    let restrictions: Vec<(String, Option<String>, i64)> =
        sqlx::query_as(&range("SELECT contact_id, until_on, erasure_requested FROM retention_restrictions WHERE {range}"))
            .bind(&first)
            .bind(&last)
            .fetch_all(&mut *conn)
            .await?;
    for (cid, until, erasure) in restrictions {
        let Some(&i) = index.get(&cid) else { continue };
        let f = &mut out[i].1;
        f.restricted_until = until.as_deref().map(parse_day).transpose()?;
        f.erasure_requested = erasure != 0;
        f.restricted_by_rule = f.restricted_until.is_none() && !f.erasure_requested;
    }

    let pseudonyms: Vec<(String,)> =
        sqlx::query_as(&range("SELECT contact_id FROM pseudonyms WHERE {range}")).bind(&first).bind(&last).fetch_all(&mut *conn).await?;
    for (cid,) in pseudonyms {
        if let Some(&i) = index.get(&cid) {
            out[i].1.pseudonymized = true;
        }
    }
    Ok(out)
}

/// The start point's words, for texts.
pub fn start_words(s: StartPoint) -> &'static str {
    match s {
        StartPoint::Collection => "collection",
        StartPoint::EndOfProcess => "end of the process",
        StartPoint::EndOfRelationship => "end of the relationship",
        StartPoint::LastContact => "last contact",
        StartPoint::ConsentWithdrawn => "consent withdrawn",
    }
}

/// Records a finished sweep.
pub async fn insert_run(
    conn: &mut Conn,
    id: &str,
    at_date: Date,
    actor: &str,
    started_at: i64,
    finished_at: i64,
    c: &RunCounts,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO retention_runs (id, at_date, actor, started_at, finished_at, contacts_erased, contacts_anonymized, contacts_pseudonymized, \
         contacts_restricted, records_erased, records_anonymized, held) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id)
    .bind(at_date.to_string())
    .bind(actor)
    .bind(started_at)
    .bind(finished_at)
    .bind(c.contacts_erased)
    .bind(c.contacts_anonymized)
    .bind(c.contacts_pseudonymized)
    .bind(c.contacts_restricted)
    .bind(c.records_erased)
    .bind(c.records_anonymized)
    .bind(c.held)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The day of the last sweep, if any ran.
pub async fn last_run_on(conn: &mut Conn) -> Result<Option<String>> {
    let r: Option<(String,)> =
        sqlx::query_as("SELECT at_date FROM retention_runs ORDER BY started_at DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    Ok(r.map(|r| r.0))
}
