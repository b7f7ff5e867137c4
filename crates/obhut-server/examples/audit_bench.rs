//! Audit trail figures: durable appends per second with concurrent writers (each event its own
//! committed transaction, as a change is), and the time `audit verify` takes for N events.
//! Usage: `cargo run --release -p obhut-server --example audit_bench -- [EVENTS] [WRITERS] [SECONDS] [postgres://…]`

use obhut_store::audit::{self, AuditEntry};
use obhut_store::{MasterKeySource, Store, StoreOptions};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn event(i: u64) -> AuditEntry {
    AuditEntry {
        actor: "api:user:0190f0c8-0000-7000-8000-000000000001".into(),
        action: "contact.read".into(),
        record_type: "contact".into(),
        record_id: Some(format!("0190f0c8-0000-7000-8000-{i:012}")),
        subject_id: Some(format!("0190f0c8-0000-7000-8000-{i:012}")),
        fields: vec!["given_name".into(), "family_name".into(), "emails".into()],
        detail: None,
        purpose: Some("contract".into()),
        recipient: None,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let events: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let writers: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(5);
    let url = args.get(4).cloned();
    let dir = tempfile::tempdir_in("/var/tmp")?;
    let opts = StoreOptions {
        database_url: url,
        data_dir: dir.path().to_path_buf(),
        master_key: MasterKeySource::DataDir(dir.path().to_path_buf()),
        max_connections: 10,
    };
    let store = Store::open(&opts).await?;
    store.migrate().await?;

    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, done) = (store.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w as u64 * 1_000_000_000;
            while Instant::now() < until {
                let mut tx = store.begin().await?;
                audit::lock_head(&mut tx).await?;
                audit::append(&mut tx, &store.crypto, 1, &[event(i)]).await?;
                tx.commit().await?;
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            Ok::<(), obhut_store::StoreError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let n = done.load(Ordering::Relaxed);
    println!("{:?}: {writers} writers, one committed event each: {:.0} appends/s", store.backend, n as f64 / seconds as f64);

    let started = Instant::now();
    let mut written = n;
    while written < events {
        let batch: Vec<AuditEntry> = (written..(written + 10_000).min(events)).map(event).collect();
        let mut tx = store.begin().await?;
        audit::lock_head(&mut tx).await?;
        audit::append(&mut tx, &store.crypto, 1, &batch).await?;
        tx.commit().await?;
        written += batch.len() as u64;
    }
    println!("appended up to {events} events in batches of 10,000 in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let v = match &store.readers {
        Some(r) => audit::verify_sqlite(r, &store.crypto)?,
        None => {
            let mut conn = store.pool.acquire().await?;
            audit::verify(&mut conn, &store.crypto).await?
        }
    };
    anyhow::ensure!(v.intact, "the chain does not verify: {v:?}");
    println!(
        "audit verify: {} events in {:.2} s ({:.0} events/s)",
        v.events,
        started.elapsed().as_secs_f64(),
        v.events as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}
