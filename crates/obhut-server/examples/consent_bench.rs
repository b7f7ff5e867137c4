//! Consent figures: permission checks per second of the pure rule function, and the permitted
//! audience of a purpose and channel over a large database (seeded on first use: contacts by
//! the demo seeder, three ledger events per contact on average).
//! Usage: consent_bench DATA_DIR [CONTACTS] (release build).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obhut_core::consent::{may_approach, Channel, Situation, Status};
use obhut_server::{services, Actor, App, Config};

/// The allocator the `obhut` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A line of /proc/self/status in MiB: `VmHWM` (peak resident, including the database pages
/// the readers map from the page cache) or `RssAnon` (the process's own memory now).
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/var/tmp/obhut-consent-bench".into());
    let n: i64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);

    // 1. The pure function.
    let statuses = [Status::Unknown, Status::Given, Status::Withdrawn, Status::Requested];
    let situations: Vec<Situation> = (0..1024)
        .map(|i| Situation {
            channel: Channel::ALL[i % 4],
            consumer: i % 3 != 0,
            consent: statuses[(i / 4) % 4],
            objected: i % 17 == 0,
            restricted: i % 101 == 0,
            existing_customer: None,
            presumed_consent_reason: (i % 5 == 0).then(|| "Messe".to_string()),
            post_requires_consent: false,
        })
        .collect();
    let rounds = 20_000u64;
    let started = std::time::Instant::now();
    let mut allowed = 0u64;
    for _ in 0..rounds {
        for s in &situations {
            allowed += u64::from(std::hint::black_box(may_approach(std::hint::black_box(s))).allowed);
        }
    }
    let t = started.elapsed();
    let checks = rounds * situations.len() as u64;
    println!("permission checks: {checks} in {t:?}: {:.1} M/s ({allowed} allowed)", checks as f64 / t.as_secs_f64() / 1e6);

    // 2. The audience.
    let cfg = Config { data_dir: dir.clone().into(), ..Config::default() };
    let app = App::open(cfg).await.expect("open");
    let mut conn = app.store.pool.acquire().await.expect("conn");
    let have: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM contacts").fetch_one(&mut *conn).await.expect("count").0;
    if have < n {
        eprintln!("seeding {} contacts …", n - have);
        services::demo::seed(&app, &Actor::cli(), (n - have) as u64, 0, 7, |_, _| {}).await.expect("seed");
    }
    let events: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM consent_events").fetch_one(&mut *conn).await.expect("count").0;
    if events < 3_000_000 {
        eprintln!("writing the ledger …");
        sqlx::query("DELETE FROM consent_events").execute(&mut *conn).await.expect("delete");
        let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM contacts").fetch_all(&mut *conn).await.expect("ids");
        let mut rows: Vec<(String, &str, &str, &str, &str, &str, i64)> = Vec::new();
        for (i, (id,)) in ids.iter().enumerate() {
            let at = 1_700_000_000_000 + i as i64;
            // Every contact was asked; two in three confirmed; one in six withdrew later; one
            // in twenty objected to email advertising; some had a postal consent on paper.
            rows.push((id.clone(), "newsletter", "email", "", "requested", "web_form_double_opt_in", at));
            if i % 3 != 0 {
                rows.push((id.clone(), "newsletter", "email", "", "confirmed", "web_form_double_opt_in", at + 1));
            }
            if i % 6 == 1 {
                rows.push((id.clone(), "newsletter", "email", "", "withdrawn", "unsubscribe_link", at + 2));
            }
            if i % 3 == 2 {
                rows.push((id.clone(), "newsletter", "email", "", "renewed", "web_form_double_opt_in", at + 3));
            }
            if i % 20 == 7 {
                rows.push((id.clone(), "*", "email", "*", "objected", "staff", at + 4));
            }
            if i % 4 == 0 {
                rows.push((id.clone(), "newsletter", "email", "events", "given", "paper", at + 5));
            }
            if i % 10 < 6 {
                rows.push((id.clone(), "postal_marketing", "post", "", "given", "paper", at + 6));
            }
        }
        let mut tx = app.store.begin().await.expect("tx");
        for chunk in rows.chunks(120) {
            let mut sql =
                String::from("INSERT INTO consent_events (id, contact_id, purpose, channel, topic, kind, method, at, actor) VALUES ");
            for (k, _) in chunk.iter().enumerate() {
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str("(?,?,?,?,?,?,?,?,'bench')");
            }
            let mut q = sqlx::query(&sql);
            for (id, purpose, channel, topic, kind, method, at) in chunk {
                q = q
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(id.clone())
                    .bind(*purpose)
                    .bind(*channel)
                    .bind(*topic)
                    .bind(*kind)
                    .bind(*method)
                    .bind(*at);
            }
            q.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
        eprintln!("{} events written", rows.len());
    }
    let events: i64 = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM consent_events").fetch_one(&mut *conn).await.expect("count").0;
    drop(conn);
    // What the server's housekeeping does every few seconds: fold the WAL back into the file.
    app.store.checkpoint().await.expect("checkpoint");
    for run in 0..3 {
        let started = std::time::Instant::now();
        let s = services::consent::audience(&app, &Actor::cli(), "newsletter", "email", None, &Default::default()).await.expect("audience");
        let t = started.elapsed();
        println!(
            "audience newsletter/email, run {run}: {} contacts, {events} events in {t:?}: {} permitted, {} left out {:?}; peak RSS {:.0} MiB (mapped database pages included), own memory {:.0} MiB",
            s.permitted + s.excluded,
            s.permitted,
            s.excluded,
            s.excluded_by_reason,
            status_mib("VmHWM:"),
            status_mib("RssAnon:")
        );
    }
}
