//! Art. 15 figures: the time of one complete access report (gathered, decrypted, audited and
//! written as JSON) for one contact in a seeded database. The subject gets a history of its
//! own: activities, a ticket, a consent, changes, reads and an audience export.
//! Usage: access_report_bench DATA_DIR [CONTACTS] [ACTIVITIES] [RUNS] (release build; the
//! database is seeded on first use and kept).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obhut_core::activity::ActivityInput;
use obhut_core::contact::{AddressInput, ContactInput};
use obhut_core::ticket::TicketInput;
use obhut_server::services::{self, dsr_report};
use obhut_server::{Actor, App, Config};
use std::time::Instant;

/// The allocator the `obhut` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn subject(app: &App, actor: &Actor) -> String {
    let input = ContactInput {
        given_name: Some("Erika".into()),
        family_name: Some("Mustermann".into()),
        email: Some("erika.bench@example.org".into()),
        phone: Some("030 1234567".into()),
        addresses: Some(vec![AddressInput {
            street: Some("Gänseweg 5".into()),
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            country: Some("DE".into()),
            ..Default::default()
        }]),
        tags: Some(vec!["kundin".into()]),
        ..Default::default()
    };
    let origin = obhut_store::contacts::Origin { source: "cli".into(), detail: None, import_run_id: None };
    let (c, _) = services::contacts::create(app, actor, &input, origin).await.expect("contact");
    let id = c.id.to_string();
    for i in 0..20 {
        let a = ActivityInput {
            kind: Some(["call", "email", "meeting", "note"][i % 4].into()),
            subject: Some(format!("Gespräch {i}")),
            body: Some("Rückfrage zum Angebot, Termin vereinbart.".into()),
            contact_id: Some(id.clone()),
            ..Default::default()
        };
        services::activities::create(app, actor, &a).await.expect("activity");
    }
    let t = TicketInput {
        title: Some("Fenster undicht".into()),
        kind: Some("complaint".into()),
        contact_id: Some(id.clone()),
        ..Default::default()
    };
    services::tickets::create(app, actor, &t).await.expect("ticket");
    let consent = services::consent::RecordInput {
        purpose: Some("newsletter".into()),
        channel: "email".into(),
        kind: "given".into(),
        method: Some("paper".into()),
        recording_ref: Some("Scan 4711".into()),
        ..Default::default()
    };
    services::consent::record(app, actor, &id, &consent).await.expect("consent");
    for i in 0..10 {
        let patch = ContactInput { job_title: Some(format!("Einkäuferin {i}")), ..Default::default() };
        services::contacts::update(app, actor, c.id, patch, None).await.expect("update");
    }
    for _ in 0..200 {
        services::contacts::get(app, actor, c.id).await.expect("read");
    }
    let mut sink = std::io::sink();
    services::consent::export_csv(
        app,
        actor,
        "newsletter",
        "email",
        None,
        &Default::default(),
        Some("Versanddienst GmbH"),
        false,
        &mut sink,
    )
    .await
    .expect("export");
    id
}

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/var/tmp/obhut-access-report-bench".into());
    let contacts: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let activities: u64 = std::env::args().nth(3).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = std::env::args().nth(4).and_then(|s| s.parse().ok()).unwrap_or(50);
    let cfg = Config { data_dir: dir.clone().into(), ..Config::default() };
    let app = App::open(cfg).await.expect("open");
    let actor = Actor::cli();
    let marker = std::path::Path::new(&dir).join("bench-subject");
    let id = match std::fs::read_to_string(&marker) {
        Ok(id) => id.trim().to_string(),
        Err(_) => {
            let started = Instant::now();
            let r = services::demo::seed(&app, &actor, contacts, activities, 42, |_, _| {}).await.expect("seed");
            eprintln!("seeded {} contacts and {} activities in {:.1} s", r.contacts, r.activities, started.elapsed().as_secs_f64());
            let id = subject(&app, &actor).await;
            std::fs::write(&marker, &id).expect("marker");
            id
        }
    };
    // The first report warms the caches (registry, policies, pages).
    let first = dsr_report::access_report(&app, &actor, &id).await.expect("report");
    eprintln!(
        "subject: {} activities, {} tickets, {} audit events, {} recipients",
        first.activities.len(),
        first.tickets.len(),
        first.audit_trail.len(),
        first.recipients.len()
    );
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let r = dsr_report::access_report(&app, &actor, &id).await.expect("report");
        let json = dsr_report::render(&r, dsr_report::Format::Json, obhut_server::i18n::Lang::De, None).expect("json");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        bytes = json.len();
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "access report (JSON, {} KiB) over {contacts} contacts / {activities} activities: median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({runs} runs)",
        bytes / 1024,
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    let started = Instant::now();
    let pdf = dsr_report::render(&first, dsr_report::Format::Pdf, obhut_server::i18n::Lang::De, None).expect("pdf");
    println!("the same as PDF: {} KiB in {:.1} ms", pdf.len() / 1024, started.elapsed().as_secs_f64() * 1000.0);
}
