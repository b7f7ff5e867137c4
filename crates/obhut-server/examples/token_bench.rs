//! What checking a bearer token costs now that nothing is cached: `actor_for_token` (the
//! database asked on every request; on SQLite a point read through the C library), per call on
//! one thread, with TOKENS tokens in the table.
//! Usage: `cargo run --release -p obhut-server --example token_bench -- [CALLS] [TOKENS] [postgres://…]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obhut_core::user::Role;
use obhut_server::services::users;
use obhut_server::{Actor, App, Config};
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let calls: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let tokens: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir_in("/var/tmp")?;
    let cfg = Config {
        data_dir: dir.path().to_path_buf(),
        database_url: args.get(3).cloned(),
        argon2_memory_kib: 256,
        argon2_iterations: 1,
        ..Config::default()
    };
    let app = App::open(cfg).await?;
    let cli = Actor::cli();
    let name = format!("bench{}", std::process::id());
    users::add_user(&app, &cli, &name, Role::Admin, "Correct-Horse-Battery-9").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    for _ in 1..tokens {
        users::create_token(&app, &cli, &name, None, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let token = users::create_token(&app, &cli, &name, Some("bench"), None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    for _ in 0..1000 {
        users::actor_for_token(&app, &token).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let started = Instant::now();
    for _ in 0..calls {
        users::actor_for_token(&app, &token).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let t = started.elapsed();
    println!(
        "{:?}: {calls} token checks in {t:?}: {:.1} µs each, {:.0}/s on one thread ({tokens} tokens stored)",
        app.store.backend,
        t.as_secs_f64() * 1e6 / f64::from(calls),
        f64::from(calls) / t.as_secs_f64()
    );
    let started = Instant::now();
    for _ in 0..calls.min(10_000) {
        let _ = users::actor_for_token(&app, "obh_not-a-token").await;
    }
    let t = started.elapsed();
    println!("unknown tokens refused: {:.1} µs each", t.as_secs_f64() * 1e6 / f64::from(calls.min(10_000)));
    Ok(())
}
