//! Connections and the small SQL helpers every repository module shares: placeholders for
//! multi-row inserts, equality filters, paging, `LIKE` escaping and id parsing; and the SQLite
//! pragmas a connection is tuned with at run time (page cache, WAL checkpoints).

use crate::error::{Result, StoreError};

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;
pub type Conn = sqlx::AnyConnection;

fn is_sqlite(conn: &Conn) -> bool {
    conn.backend_name() == "SQLite"
}

/// Gives this connection a 64 MiB page cache for a bulk write while its tables grow (SQLite
/// only; nothing on PostgreSQL). [`reset_page_cache`] sets it back before the connection
/// returns to the pool.
pub async fn enlarge_page_cache(conn: &mut Conn) -> Result<()> {
    if is_sqlite(conn) {
        sqlx::query("PRAGMA cache_size = -65536").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Sets this connection's page cache back to the 16,000 KiB every pooled connection opens with
/// (SQLite only; nothing on PostgreSQL).
pub async fn reset_page_cache(conn: &mut Conn) -> Result<()> {
    if is_sqlite(conn) {
        sqlx::query("PRAGMA cache_size = -16000").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Folds the WAL back into the main file through this connection, as far as no reader still
/// needs it and without waiting for anyone (SQLite only; nothing on PostgreSQL).
pub async fn checkpoint_passive(conn: &mut Conn) -> Result<()> {
    if is_sqlite(conn) {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Stops this connection from checkpointing inside its own commits, for a writer that
/// checkpoints at times of its choosing with [`checkpoint_passive`] (SQLite only; nothing on
/// PostgreSQL).
pub async fn disable_autocheckpoint(conn: &mut Conn) -> Result<()> {
    if is_sqlite(conn) {
        sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Placeholders of a multi-row insert of `rows` rows of `cols` columns: `($1,$2),($3,$4)…` on
/// PostgreSQL, `(?,?),(?,?)…` on SQLite. SQLite resolves each bound parameter's name by a linear
/// search, which makes numbered parameters quadratic in their count; plain `?` are bound by position.
pub fn values_placeholders(conn: &Conn, rows: usize, cols: usize) -> String {
    placeholders(is_sqlite(conn), rows, cols)
}

fn placeholders(positional: bool, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if positional {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&n.to_string());
            }
            n += 1;
        }
        s.push(')');
    }
    s
}

/// Rows per multi-row insert of `cols` columns: about a thousand parameters per statement.
pub fn rows_per_insert(cols: usize) -> usize {
    (1000 / cols.max(1)).max(1)
}

/// The `ORDER BY` of a list sorted by a column chosen by name: `orders` maps each name to the
/// SQL of its value; `key` sorts ascending, `-key` descending, rows without a value last either
/// way, ties broken by `tie` (the id) in the same direction. `None` for a name not in `orders`.
pub fn order_by(orders: &[(&str, &str)], key: &str, tie: &str) -> Option<String> {
    let (name, dir) = match key.strip_prefix('-') {
        Some(k) => (k, "DESC"),
        None => (key, "ASC"),
    };
    let (_, expr) = orders.iter().find(|(n, _)| *n == name)?;
    Some(format!("CASE WHEN {expr} IS NULL THEN 1 ELSE 0 END, {expr} {dir}, {tie} {dir}"))
}

/// Whether `key` names one of `orders` (ascending, or descending with a leading `-`).
pub fn is_order(orders: &[(&str, &str)], key: &str) -> bool {
    order_by(orders, key, "").is_some()
}

/// The error text for a sort name not in `orders`.
pub fn order_names(orders: &[(&str, &str)]) -> String {
    let names: Vec<String> = orders.iter().map(|(n, _)| format!("{n}, -{n}")).collect();
    format!("must be one of {}", names.join(", "))
}

/// Equality filters `(column, value)` as conditions with `$n` placeholders; the values to
/// bind come back in order.
pub(crate) fn conditions(eq: Vec<(&str, Option<String>)>) -> (Vec<String>, Vec<String>) {
    let mut w: Vec<String> = Vec::new();
    let mut args = Vec::new();
    for (col, v) in eq {
        if let Some(v) = v {
            args.push(v);
            w.push(format!("{col} = ${}", args.len()));
        }
    }
    (w, args)
}

/// Runs a page query and its `COUNT(*)` with the same bound filter values.
pub(crate) async fn page_and_count<R>(conn: &mut Conn, sql: &str, count_sql: &str, args: &[String]) -> Result<(Vec<R>, i64)>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut q = sqlx::query_as::<_, R>(sql);
    for a in args {
        q = q.bind(a.clone());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut cq = sqlx::query_as::<_, (i64,)>(count_sql);
    for a in args {
        cq = cq.bind(a.clone());
    }
    Ok((rows, cq.fetch_one(&mut *conn).await?.0))
}

/// Escapes `\`, `%` and `_` for a `LIKE … ESCAPE '\'` pattern (the same on both databases).
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn id_str<T: std::fmt::Display>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|x| x.to_string())
}

pub(crate) fn parse_uuid(s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("bad id '{s}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_count_up() {
        assert_eq!(placeholders(false, 2, 2), "($1,$2),($3,$4)");
        assert_eq!(placeholders(true, 2, 3), "(?,?,?),(?,?,?)");
    }
}
