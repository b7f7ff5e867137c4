//! The retention sweep's throughput on a large database: prospects collected years ago and
//! never contacted since are due under `contact.prospect` (two years after the last contact)
//! and erased by one sweep, among the contacts and activities already there.
//!
//! `cargo run --release -p obhut-server --example retention_bench -- DIR [DUE]` on a data
//! directory (for example the access report bench's, seeded with 1,000,000 contacts and
//! 10,000,000 activities). The first run adds DUE contacts (default 100,000) dated three
//! years back and keeps a copy of the database (`DIR/pristine.db`); each run starts from it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use obhut_core::clock::ManualClock;
use obhut_server::{services, Actor, App, Config};
use std::sync::Arc;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("DIR: a data directory");
    let due: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let cfg = Config { data_dir: dir.clone().into(), ..Config::default() };
    let db = obhut_store::sqlite_path(&cfg.data_dir);
    let pristine = std::path::Path::new(&dir).join("pristine.db");
    let now = time::OffsetDateTime::now_utc();
    if !pristine.exists() {
        // Old prospects: created three years ago, never contacted since.
        let clock = ManualClock::at(now - time::Duration::days(3 * 365));
        let app = App::open_with_clock(cfg.clone(), Arc::new(clock)).await.expect("open");
        let t = Instant::now();
        let r = services::demo::seed(&app, &Actor::cli(), due, 0, 7, |_, _| {}).await.expect("seed");
        eprintln!("added {} old prospects in {:.1} s", r.contacts, t.elapsed().as_secs_f64());
        app.store.checkpoint().await.expect("checkpoint");
        app.store.pool.close().await;
        drop(app);
        std::fs::copy(&db, &pristine).expect("keep a pristine copy");
    } else {
        std::fs::copy(&pristine, &db).expect("start from the pristine copy");
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
    let app = App::open(cfg).await.expect("open");
    let mut conn = app.store.pool.acquire().await.expect("conn");
    let contacts: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM contacts").fetch_one(&mut *conn).await.expect("count").0;
    let activities: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM activities").fetch_one(&mut *conn).await.expect("count").0;
    drop(conn);
    let actor = Actor::cli();
    let t = Instant::now();
    let dry = services::retention::sweep(&app, &actor, None, true, 0).await.expect("dry run");
    let dry_s = t.elapsed().as_secs_f64();
    println!(
        "dry run over {contacts} contacts / {activities} activities: {:.1} s; would erase {} contacts and {} records, restrict {}",
        dry_s, dry.counts.contacts_erased, dry.counts.records_erased, dry.counts.contacts_restricted
    );
    let t = Instant::now();
    let run = services::retention::sweep(&app, &actor, None, false, 0).await.expect("sweep");
    let s = t.elapsed().as_secs_f64();
    println!(
        "sweep: {:.1} s, {} contacts erased ({:.0} contacts/s including the walk over all {contacts}), {} records erased",
        s,
        run.counts.contacts_erased,
        run.counts.contacts_erased as f64 / s,
        run.counts.records_erased
    );
    let t = Instant::now();
    let again = services::retention::sweep(&app, &actor, None, true, 0).await.expect("dry run");
    println!("a dry run afterwards: {:.1} s, {} contacts due", t.elapsed().as_secs_f64(), again.steps_total);
}
