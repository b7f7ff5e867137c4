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
use crate::store::{SortCache, SortCounts};


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
    let cached = counts.0.lock().ok().and_then(|mut m| {
        if m.epoch != epoch {
            // A contact changed: every count and order kept is void.
            *m = SortCache { epoch, ..SortCache::default() };
        }
        m.counts.get(&key).cloned()
    });
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
                if m.epoch == epoch && m.counts.len() < 1000 {
                    m.counts.insert(key.clone(), std::sync::Arc::new(b.clone()));
                }
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
    // Each bucket's order (sort key and id of its contacts within the filter) is kept with the
    // counts until a contact changes; only the buckets not known yet are read and opened.
    let order_key = |b: &Option<String>| format!("{key}\u{1}{}", b.as_deref().unwrap_or(""));
    let known: Vec<Option<std::sync::Arc<Vec<(String, String)>>>> = {
        let m = counts.0.lock().ok();
        wanted.iter().map(|b| m.as_ref().and_then(|m| m.orders.get(&order_key(b)).cloned())).collect()
    };
    let missing: Vec<&Option<String>> = wanted.iter().zip(&known).filter(|(_, k)| k.is_none()).map(|(b, _)| b).collect();
    let mut opened: std::collections::HashMap<String, ContactRecord> = std::collections::HashMap::new();
    let mut fresh: std::collections::HashMap<Option<String>, Vec<(String, String)>> = std::collections::HashMap::new();
    if !missing.is_empty() {
        let mut conds = Vec::new();
        let mut args = args;
        let mut ph = Vec::new();
        for b in missing.iter().copied().flatten() {
            args.push(b.clone());
            ph.push(format!("${}", args.len()));
        }
        if !ph.is_empty() {
            conds.push(format!("c.sort_bucket IN ({})", ph.join(", ")));
        }
        if missing.iter().any(|b| b.is_none()) {
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
        // Opening (a key unwrap and a decryption each) is the cost of a bucket not known yet:
        // spread over the cores.
        let opened_rows: Vec<ContactRecord> = {
            use rayon::prelude::*;
            rows.into_par_iter().map(|r| open_row(crypto, r)).collect::<Result<Vec<_>>>()?
        };
        for c in opened_rows {
            let key = c.personal.sort_key();
            // The row's bucket, as stored (a row without one was asked for as the NULL bucket).
            let bucket = Some(crypto.sort_bucket(&key));
            let bucket = if missing.contains(&&bucket) { bucket } else { None };
            fresh.entry(bucket).or_default().push((key, c.id.to_string()));
            opened.insert(c.id.to_string(), c);
        }
        for list in fresh.values_mut() {
            list.sort();
        }
        if let Ok(mut m) = counts.0.lock() {
            if m.epoch == epoch {
                for (b, list) in &fresh {
                    m.order_rows += list.len();
                    if m.order_rows < ORDER_ROWS_KEPT {
                        m.orders.insert(order_key(b), std::sync::Arc::new(list.clone()));
                    }
                }
            }
        }
    }
    let mut ids: Vec<String> = Vec::with_capacity(limit as usize);
    let mut skip = usize::try_from(offset - start).unwrap_or(0);
    for (b, k) in wanted.iter().zip(known) {
        let list: Vec<(String, String)> = match k {
            Some(l) => l.as_ref().clone(),
            None => fresh.remove(b).unwrap_or_default(),
        };
        let iter: Box<dyn Iterator<Item = (String, String)>> = if descending { Box::new(list.into_iter().rev()) } else { Box::new(list.into_iter()) };
        for (_, id) in iter {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if ids.len() < limit as usize {
                ids.push(id);
            }
        }
    }
    let need: Vec<String> = ids.iter().filter(|i| !opened.contains_key(*i)).cloned().collect();
    for c in crate::contacts::find_contacts(conn, crypto, &need).await? {
        opened.insert(c.id.to_string(), c);
    }
    Ok((ids.iter().filter_map(|i| opened.remove(i)).collect(), total))
}

/// How many contacts' places in the name order are kept in memory at most.
const ORDER_ROWS_KEPT: usize = 2_000_000;

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
