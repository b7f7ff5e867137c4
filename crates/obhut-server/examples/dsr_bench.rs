//! Data subject rights on a large database: the time to erase one contact (each its own
//! committed transaction, the WAL emptied after it), then an encrypted backup and a restore
//! that re-applies those erasures.
//!
//! `cargo run --release -p obhut-server --example dsr_bench -- DIR [ERASURES]` on a data
//! directory that already holds contacts (for example a copy of the consent bench's).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use obhut_server::{services, Actor, App, Config};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("DIR: a data directory with contacts");
    let n: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(50);
    let cfg = Config { data_dir: dir.clone().into(), ..Config::default() };
    let app = App::open(cfg.clone()).await.expect("open");
    let mut conn = app.store.pool.acquire().await.expect("conn");
    let contacts: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM contacts").fetch_one(&mut *conn).await.expect("count").0;
    let activities: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM activities").fetch_one(&mut *conn).await.expect("count").0;
    // Contacts spread over the id space.
    let ids: Vec<(String,)> =
        sqlx::query_as(&format!("SELECT id FROM contacts WHERE rowid % {} = 0 LIMIT {n}", (contacts / n as i64).max(1)))
            .fetch_all(&mut *conn)
            .await
            .expect("ids");
    drop(conn);
    let actor = Actor::cli();
    // 1. A backup while nothing else runs (the server would keep serving).
    let file = std::path::Path::new(&dir).with_extension("bench.bak");
    let _ = std::fs::remove_file(&file);
    let t = std::time::Instant::now();
    let b = services::backup::backup(&app, &file).await.expect("backup");
    println!(
        "backup: {:.1} s, {:.0} MiB database, {:.0} MiB file",
        t.elapsed().as_secs_f64(),
        b.database_bytes as f64 / 1048576.0,
        b.file_bytes as f64 / 1048576.0
    );
    // 2. Erasures, each its own request.
    let mut times = Vec::new();
    for (id,) in &ids {
        let t = std::time::Instant::now();
        services::erasure::erase(&app, &actor, id, "benchmark", None).await.expect("erase");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "erasure of one contact ({contacts} contacts, {activities} activities): {} erasures, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default()
    );
    app.store.pool.close().await;
    drop(app);
    // 3. The restore of the older backup erases them again.
    let t = std::time::Instant::now();
    let r = services::backup::restore(&cfg, &file).await.expect("restore");
    println!("restore: {:.1} s, {} erasure(s) re-applied", t.elapsed().as_secs_f64(), r.erasures_reapplied);
    let _ = std::fs::remove_file(&file);
}
