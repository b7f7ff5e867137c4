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
#[allow(clippy::too_many_arguments)]
pub async fn list_contacts_by_name(
    conn: &mut Conn,
    readers: Option<&crate::fastread::SqliteReaders>,
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
    // The latest activity moves without moving the epoch: a list filtered by it is never kept.
    let keep = f.active_since.is_none() && f.inactive_since.is_none();
    let counts_kept = if keep { Some(&counts.0) } else { None };
    let cached = counts_kept.and_then(|c| c.lock().ok()).and_then(|mut m| {
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
            if let Some(Ok(mut m)) = counts_kept.map(|c| c.lock()) {
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
        let m = counts_kept.and_then(|c| c.lock().ok());
        wanted.iter().map(|b| m.as_ref().and_then(|m| m.orders.get(&order_key(b)).cloned())).collect()
    };
    let missing: Vec<&Option<String>> = wanted.iter().zip(&known).filter(|(_, k)| k.is_none()).map(|(b, _)| b).collect();
    let mut opened: std::collections::HashMap<String, ContactRecord> = std::collections::HashMap::new();
    let mut fresh: std::collections::HashMap<Option<String>, Vec<(String, String)>> = std::collections::HashMap::new();
    if !missing.is_empty() {
        let wanted_buckets: Vec<Option<String>> = missing.iter().map(|b| (*b).clone()).collect();
        let (orders, whole) = open_buckets(conn, readers, crypto, f, Some(&wanted_buckets), true).await?;
        fresh = orders;
        opened = whole;
        if let Some(Ok(mut m)) = counts_kept.map(|c| c.lock()) {
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

/// The name order of the contacts matching `f` in `buckets` (all buckets when `None`), per
/// bucket, and the contacts that had to be opened whole (stored before there were sealed sort
/// keys). Only the sealed sort keys are read and opened: a key unwrap and a few dozen bytes
/// per contact, spread over the cores when `parallel`.
async fn open_buckets(
    conn: &mut Conn,
    readers: Option<&crate::fastread::SqliteReaders>,
    crypto: &Crypto,
    f: &ContactFilter,
    buckets: Option<&[Option<String>]>,
    parallel: bool,
) -> Result<(Orders, std::collections::HashMap<String, ContactRecord>)> {
    let mut args = Vec::new();
    let wh = match buckets {
        // A few buckets: their contacts by the bucket index, the filter checked one by one.
        Some(buckets) => {
            let wh = crate::contact_filter::filter_sql_per_contact(f, &mut args);
            let mut conds = Vec::new();
            let mut ph = Vec::new();
            for b in buckets.iter().flatten() {
                args.push(b.clone());
                ph.push(format!("${}", args.len()));
            }
            if !ph.is_empty() {
                conds.push(format!("c.sort_bucket IN ({})", ph.join(", ")));
            }
            if buckets.iter().any(Option::is_none) {
                conds.push("c.sort_bucket IS NULL".into());
            }
            let cond = format!("({})", conds.join(" OR "));
            if wh.is_empty() {
                format!(" WHERE {cond}")
            } else {
                format!("{wh} AND {cond}")
            }
        }
        None => filter_sql(f, &mut args),
    };
    let sql = format!("SELECT c.id, c.wrapped_key, c.sort_sealed, c.sort_bucket FROM contacts c{wh}");
    type R = (String, Vec<u8>, Option<Vec<u8>>, Option<String>);
    let rows: Vec<R> = match readers {
        // Thousands of small rows: straight from SQLite, not one channel message each.
        Some(r) => r.query_map(&sql, &args, |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?,
        None => {
            let mut q = sqlx::query_as::<_, R>(&sql);
            for a in &args {
                q = q.bind(a.clone());
            }
            q.fetch_all(&mut *conn).await?
        }
    };
    let (sealed, whole): (Vec<R>, Vec<R>) = rows.into_iter().partition(|r| r.2.is_some());
    let open = |(id, wrapped, sort, bucket): R| -> Result<(Option<String>, String, String)> {
        let key = crypto.unwrap_key(&id, &wrapped)?;
        let plain = key.open(&crate::contacts::sort_aad(&id), sort.as_deref().unwrap_or_default())?;
        let text = String::from_utf8(plain).map_err(|_| crate::error::StoreError::Corrupt("contact sort key".into()))?;
        Ok((bucket, text, id))
    };
    let mut keys: Vec<(Option<String>, String, String)> = if parallel {
        use rayon::prelude::*;
        sealed.into_par_iter().map(open).collect::<Result<Vec<_>>>()?
    } else {
        sealed.into_iter().map(open).collect::<Result<Vec<_>>>()?
    };
    let whole: std::collections::HashMap<String, Option<String>> = whole.into_iter().map(|r| (r.0, r.3)).collect();
    let ids: Vec<String> = whole.keys().cloned().collect();
    let mut opened = std::collections::HashMap::new();
    for c in crate::contacts::find_contacts(conn, crypto, &ids).await? {
        let id = c.id.to_string();
        let bucket = whole.get(&id).cloned().flatten();
        keys.push((bucket, c.personal.sort_key(), id.clone()));
        opened.insert(id, c);
    }
    let mut orders: Orders = std::collections::HashMap::new();
    for (bucket, key, id) in keys {
        orders.entry(bucket).or_default().push((key, id));
    }
    for list in orders.values_mut() {
        list.sort();
    }
    Ok((orders, opened))
}

type Orders = std::collections::HashMap<Option<String>, Vec<(String, String)>>;

/// Opens, in the background, every bucket of a filter's name order that is not kept yet, so
/// that the pages after the first of a list find their order at hand. Runs once per filter
/// and change, for filters of at most [`PREFILL_MAX`] contacts, on one core.
pub async fn prefill(store: crate::store::Store, f: ContactFilter) -> Result<()> {
    if f.active_since.is_some() || f.inactive_since.is_some() {
        return Ok(());
    }
    let mut args = Vec::new();
    let wh = filter_sql(&f, &mut args);
    let count_sql = format!("SELECT c.sort_bucket, COUNT(*) FROM contacts c{wh} GROUP BY c.sort_bucket");
    let key = format!("{count_sql}\u{0}{}", args.join("\u{0}"));
    // Already opened (or being opened) since the change the kept counts belong to: nothing to read.
    if store.sort_counts.0.lock().map(|m| m.prefilled.contains(&key) || !m.counts.contains_key(&key)).unwrap_or(true) {
        return Ok(());
    }
    let mut conn = store.pool.acquire().await?;
    let (epoch,): (i64,) = sqlx::query_as("SELECT value FROM counters WHERE name = 'contacts_epoch'").fetch_one(&mut *conn).await?;
    let order_key = |b: &Option<String>| format!("{key}\u{1}{}", b.as_deref().unwrap_or(""));
    let missing: Vec<Option<String>> = {
        let Ok(mut m) = store.sort_counts.0.lock() else { return Ok(()) };
        let Some(buckets) = m.counts.get(&key).cloned() else { return Ok(()) };
        let total: i64 = buckets.iter().map(|b| b.2).sum();
        if m.epoch != epoch || total > PREFILL_MAX || m.order_rows + total as usize >= ORDER_ROWS_KEPT || !m.prefilled.insert(key.clone()) {
            return Ok(());
        }
        buckets.iter().map(|b| b.1.clone()).filter(|b| !m.orders.contains_key(&order_key(b))).collect()
    };
    if missing.is_empty() {
        return Ok(());
    }
    let (orders, _) = open_buckets(&mut conn, store.readers.as_deref(), &store.crypto, &f, None, false).await?;
    if let Ok(mut m) = store.sort_counts.0.lock() {
        if m.epoch == epoch {
            for (b, list) in orders {
                if missing.contains(&b) && m.order_rows + list.len() < ORDER_ROWS_KEPT {
                    m.order_rows += list.len();
                    m.orders.insert(order_key(&b), std::sync::Arc::new(list));
                }
            }
        }
    }
    Ok(())
}

/// The largest filtered list whose whole name order [`prefill`] opens.
pub const PREFILL_MAX: i64 = 250_000;

/// How many contacts' places in the name order are kept in memory at most.
const ORDER_ROWS_KEPT: usize = 2_000_000;

/// Contacts whose sort bucket, sealed sort key or city token is not set yet (stored before
/// there were any), at most `limit`.
pub async fn unsorted_contacts(conn: &mut Conn, crypto: &Crypto, limit: i64) -> Result<Vec<ContactRecord>> {
    let sql = format!("{SELECT} WHERE c.sort_bucket IS NULL OR c.sort_sealed IS NULL LIMIT {}", limit.clamp(1, 10_000));
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(&mut *conn).await?;
    rows.into_iter().map(|r| open_row(crypto, r)).collect()
}

/// Sets the sort buckets, sealed sort keys and city tokens of contacts stored before there were any.
pub async fn set_sort_buckets(conn: &mut Conn, crypto: &Crypto, contacts: &[ContactRecord]) -> Result<()> {
    for chunk in contacts.chunks(250) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, wrapped_key FROM contacts WHERE id IN ({})", ph.join(", "));
        let mut q = sqlx::query_as::<_, (String, Vec<u8>)>(&sql);
        for c in chunk {
            q = q.bind(c.id.to_string());
        }
        let wrapped: std::collections::HashMap<String, Vec<u8>> = q.fetch_all(&mut *conn).await?.into_iter().collect();
        for c in chunk {
            let id = c.id.to_string();
            let Some(w) = wrapped.get(&id) else { continue };
            let key = crypto.unwrap_key(&id, w)?;
            sqlx::query("UPDATE contacts SET sort_bucket = $1, sort_sealed = $2, city_token = $3 WHERE id = $4")
                .bind(crypto.sort_bucket(&c.personal.sort_key()))
                .bind(crate::contacts::seal_sort_key(&key, &id, &c.personal))
                .bind(crate::contacts::city_token(crypto, &c.personal))
                .bind(&id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
