//! Criterion benchmarks of the contact services on SQLite: create, read by id, search by
//! email, list a page, import a CSV. `OBHUT_BENCH_CONTACTS` sets the seeded size (default 20,000).
//! Run: `cargo bench -p obhut-server --bench contacts`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use obhut_core::contact::ContactInput;
use obhut_server::services::{self, Page};
use obhut_server::{Actor, App, Config};
use obhut_store::contacts::{ContactFilter, Origin};

fn setup(rt: &tokio::runtime::Runtime, dir: &std::path::Path, n: u64) -> App {
    rt.block_on(async {
        let cfg = Config { data_dir: dir.to_path_buf(), argon2_memory_kib: 256, argon2_iterations: 1, ..Config::default() };
        let app = App::open(cfg).await.expect("open");
        services::demo::seed(&app, &Actor::cli(), n, 0, 7, |_, _| {}).await.expect("seed");
        app
    })
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let n: u64 = std::env::var("OBHUT_BENCH_CONTACTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("dir");
    let app = setup(&rt, dir.path(), n);
    let actor = Actor::cli();
    let sample = rt
        .block_on(services::contact_list::list(&app, &actor, None, &ContactFilter::default(), Default::default(), Page::new(Some(200), None)))
        .expect("list")
        .items;
    let ids: Vec<_> = sample.iter().map(|c| c.id).collect();
    let emails: Vec<String> = sample.iter().filter_map(|c| c.personal.primary_email().map(|e| e.to_string())).collect();

    let mut g = c.benchmark_group(format!("contacts@{n}"));
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("create", |b| {
        b.to_async(&rt).iter(|| {
            i += 1;
            let input = ContactInput {
                given_name: Some("Bench".into()),
                family_name: Some(format!("Mark{i}")),
                email: Some(format!("bench{i}@example.org")),
                ..Default::default()
            };
            let (app, actor) = (app.clone(), actor.clone());
            async move {
                let origin = Origin { source: "api".into(), detail: None, import_run_id: None };
                services::contacts::create(&app, &actor, &input, origin).await.expect("create")
            }
        })
    });
    let mut k = 0usize;
    g.bench_function("read_by_id", |b| {
        b.to_async(&rt).iter(|| {
            k += 1;
            let id = ids[k % ids.len()];
            let (app, actor) = (app.clone(), actor.clone());
            async move { services::contacts::get(&app, &actor, id).await.expect("get") }
        })
    });
    g.bench_function("search_by_email", |b| {
        b.to_async(&rt).iter(|| {
            k += 1;
            let q = emails[k % emails.len()].clone();
            let (app, actor) = (app.clone(), actor.clone());
            async move {
                services::contact_list::list(&app, &actor, Some(&q), &ContactFilter::default(), Default::default(), Page::default())
                    .await
                    .expect("search")
            }
        })
    });
    g.bench_function("list_page_50", |b| {
        b.to_async(&rt).iter(|| {
            k += 1;
            let (app, actor) = (app.clone(), actor.clone());
            let page = Page::new(Some(50), Some((k % 100) as i64 * 50));
            async move { services::contact_list::list(&app, &actor, None, &ContactFilter::default(), Default::default(), page).await.expect("list") }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1000));
    let mut run = 0u64;
    g.bench_function("csv_1000_rows", |b| {
        b.iter_batched(
            || {
                run += 1;
                let mut csv = String::from("Vorname;Nachname;E-Mail;Telefon\n");
                for r in 0..1000 {
                    csv.push_str(&format!("Anna;Import{run}x{r};imp{run}x{r}@example.org;0151 {:08}\n", run * 1000 + r));
                }
                csv
            },
            |csv| {
                rt.block_on(services::imports::import_contacts(&app, &actor, csv.as_bytes(), "bench.csv", Default::default()))
                    .expect("import")
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(contacts, benches);
criterion_main!(contacts);
