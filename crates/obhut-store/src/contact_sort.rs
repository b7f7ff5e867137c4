//! Contact lists in name order across pages, though names are encrypted. Each contact
//! carries a sort bucket: a keyed hash of the first four characters of its sort key (see
//! [`Crypto::sort_bucket`]). The database groups and counts by bucket; the application, which
//! alone can tell which letters a bucket stands for, puts the buckets in order and opens only
//! the ones the page falls into.
//!
//! What the database learns: which contacts share the first four letters of their sort key
//! (family name, space, given name), as the blind name index already tells for every name
//! word; not the letters, and not which bucket comes before which.

use crate::contacts::{filter_sql, open_row, ContactFilter, ContactRecord, Row, SELECT};
use crate::crypto::Crypto;
use crate::db::Conn;
use crate::error::Result;
use crate::store::SortCounts;


/// One page of contacts by name (family name, then given name, by their letters a-z), across
/// all pages, and the total. The database groups the contacts by their sort bucket (a keyed
/// hash of the first four letters, see [`Crypto::sort_bucket`]) and counts them; the buckets
/// are put in order by the letters only the key holder can tell them by; then just the
/// buckets the page falls into are read, opened and sorted.
pub async fn list_contacts_by_name(
    conn: &mut Conn,
    crypto: &Crypto,
    counts: &SortCounts,
    f: &ContactFilter,
    descending: bool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ContactRecord>, i64)> {
    let (limit, offset) = (limit.clamp(1, 1000), offset.max(0));
    let mut args = Vec::new();
    let wh = filter_sql(f, &mut args);
    let count_sql = format!("SELECT c.sort_bucket, COUNT(*) FROM contacts c{wh} GROUP BY c.sort_bucket");
    let key = format!("{count_sql}\u{0}{}", args.join("\u{0}"));
    let (epoch,): (i64,) = sqlx::query_as("SELECT value FROM counters WHERE name = 'contacts_epoch'").fetch_one(&mut *conn).await?;
    let cached = counts.0.lock().ok().and_then(|m| m.get(&key).filter(|(e, _)| *e == epoch).map(|(_, b)| b.clone()));
    let mut buckets: Vec<(String, Option<String>, i64)> = match cached {
        Some(b) => b.as_ref().clone(),
        None => {
            let mut q = sqlx::query_as::<_, (Option<String>, i64)>(&count_sql);
            for a in &args {
                q = q.bind(a.clone());
            }
            let mut b: Vec<(String, Option<String>, i64)> = q
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(b, n)| (b.as_deref().and_then(|b| crypto.sort_prefix(b)).unwrap_or_default(), b, n))
                .collect();
            b.sort_by(|x, y| x.0.cmp(&y.0));
            if let Ok(mut m) = counts.0.lock() {
                if m.len() > 1000 {
                    m.clear();
                }
                m.insert(key, (epoch, std::sync::Arc::new(b.clone())));
            }
            b
        }
    };
    buckets.sort_by(|a, b| a.0.cmp(&b.0));
    if descending {
        buckets.reverse();
    }
    let total: i64 = buckets.iter().map(|b| b.2).sum();
    // The buckets the page [offset, offset + limit) falls into, and where the first begins.
    let (mut start, mut at, mut wanted) = (None, 0i64, Vec::new());
    for (_, bucket, n) in &buckets {
        if at + n > offset && at < offset + limit {
            start.get_or_insert(at);
            wanted.push(bucket.clone());
        }
        at += n;
    }
    let Some(start) = start else { return Ok((Vec::new(), total)) };
    let mut conds = Vec::new();
    let mut args = args;
    let mut ph = Vec::new();
    for b in wanted.iter().flatten() {
        args.push(b.clone());
        ph.push(format!("${}", args.len()));
    }
    if !ph.is_empty() {
        conds.push(format!("c.sort_bucket IN ({})", ph.join(", ")));
    }
    if wanted.iter().any(Option::is_none) {
        conds.push("c.sort_bucket IS NULL".into());
    }
    let bucket_cond = format!("({})", conds.join(" OR "));
    let wh = if wh.is_empty() { format!(" WHERE {bucket_cond}") } else { format!("{wh} AND {bucket_cond}") };
    let page_sql = format!("{SELECT}{wh}");
    let mut q = sqlx::query_as::<_, Row>(&page_sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut items: Vec<(String, ContactRecord)> =
        rows.into_iter().map(|r| open_row(crypto, r).map(|c| (c.personal.sort_key(), c))).collect::<Result<Vec<_>>>()?;
    items.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.0.cmp(&b.1.id.0)));
    if descending {
        items.reverse();
    }
    let skip = usize::try_from(offset - start).unwrap_or(0);
    Ok((items.into_iter().skip(skip).take(limit as usize).map(|(_, c)| c).collect(), total))
}

/// Contacts whose sort bucket is not set yet (stored before there were buckets), at most `limit`.
pub async fn unsorted_contacts(conn: &mut Conn, crypto: &Crypto, limit: i64) -> Result<Vec<ContactRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.sort_bucket IS NULL LIMIT {}", limit.clamp(1, 10_000))).fetch_all(&mut *conn).await?;
    rows.into_iter().map(|r| open_row(crypto, r)).collect()
}

/// Sets the sort buckets of contacts stored before there were any.
pub async fn set_sort_buckets(conn: &mut Conn, crypto: &Crypto, contacts: &[ContactRecord]) -> Result<()> {
    for c in contacts {
        sqlx::query("UPDATE contacts SET sort_bucket = $1 WHERE id = $2")
            .bind(crypto.sort_bucket(&c.personal.sort_key()))
            .bind(c.id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
