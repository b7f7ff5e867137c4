//! The daily-work figures over HTTP against a running server on a seeded database: the
//! contact list sorted by name and filtered by a tag at random pages, the record picker's
//! search, and my day, each a signed-in user's request (session, CSRF cookie, gate, read log,
//! rendering), sequential, with percentiles.
//! Usage: daily_bench DATA_DIR [CONTACTS] [REQUESTS] (release build; the database is seeded on
//! first use and kept: CONTACTS demo contacts, a sales person with 300 tasks, 40 deals and 20
//! tickets).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obhut_core::deal::DealInput;
use obhut_core::task::TaskInput;
use obhut_core::ticket::TicketInput;
use obhut_core::user::Role;
use obhut_server::services::{self, Page};
use obhut_server::{Actor, App, Config};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PASSWORD: &str = "Bench-Passwort-2026!";

async fn seed(app: &App, contacts: u64) {
    let cli = Actor::cli();
    let started = Instant::now();
    let r = services::demo::seed(app, &cli, contacts, 0, 7, |_, _| {}).await.expect("seed");
    eprintln!("seeded {} contacts in {:.1} s", r.contacts, started.elapsed().as_secs_f64());
    services::users::add_user(app, &cli, "sabine", Role::User, PASSWORD).await.expect("user");
    let token = services::users::create_token(app, &cli, "sabine", None, Some(0)).await.expect("token");
    let sabine = services::users::actor_for_token(app, &token).await.expect("actor");
    let some = services::contact_list::list(app, &cli, None, &Default::default(), Default::default(), Page::new(Some(200), None)).await.expect("list");
    let today = services::tasks::today(app);
    let stages = services::deals::stages(app, &cli).await.expect("stages");
    for (i, c) in some.items.iter().enumerate() {
        let id = c.id.to_string();
        if i < 150 {
            for k in 0..2 {
                let due = today + time::Duration::days((i as i64 % 21) - 10 + k);
                let t = TaskInput {
                    title: Some(format!("Nachfassen {i}/{k}")),
                    kind: Some(if k == 0 { "follow_up" } else { "call" }.into()),
                    due_on: Some(due.to_string()),
                    contact_id: Some(id.clone()),
                    ..Default::default()
                };
                services::tasks::create(app, &sabine, &t).await.expect("task");
            }
        } else if i < 190 {
            let d = DealInput {
                title: Some(format!("Angebot {i}")),
                contact_id: Some(id.clone()),
                amount: Some(format!("{}.00", 1000 + i * 37)),
                stage_id: Some(stages[i % 4].id.to_string()),
                expected_close_on: Some((today + time::Duration::days(i as i64 % 60)).to_string()),
                ..Default::default()
            };
            services::deals::create(app, &sabine, &d).await.expect("deal");
        } else {
            let t = TicketInput { title: Some(format!("Anfrage {i}")), contact_id: Some(id.clone()), ..Default::default() };
            services::tickets::create(app, &sabine, &t).await.expect("ticket");
        }
    }
    eprintln!("seeded the sales person's day in {:.1} s", started.elapsed().as_secs_f64());
}

fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string()
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    println!("{name}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} requests)", pct(0.5), pct(0.95), pct(0.99), pct(1.0), ms.len());
}

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/var/tmp/obhut-daily-bench".into());
    let contacts: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let requests: usize = std::env::args().nth(3).and_then(|s| s.parse().ok()).unwrap_or(300);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let cfg = Config { data_dir: dir.clone().into(), listen: addr, retention_sweep: false, ..Config::default() };
    let app = App::open(cfg).await.expect("open");
    let marker = std::path::Path::new(&dir).join("daily-bench-seeded");
    if !marker.exists() {
        seed(&app, contacts).await;
        std::fs::write(&marker, "1").expect("marker");
    }
    tokio::spawn(obhut_server::server::serve(app.clone(), listener));
    let base = format!("http://{addr}");
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let login = c.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("body");
    let r = c
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf_in(&login).as_str()), ("username", "sabine"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303, "signed in");
    let get = |path: String| {
        let c = c.clone();
        let url = format!("{base}{path}");
        async move {
            let started = Instant::now();
            let r = c.get(&url).send().await.expect("get");
            assert_eq!(r.status().as_u16(), 200, "{url}");
            let body = r.bytes().await.expect("body");
            assert!(!body.is_empty());
            started.elapsed().as_secs_f64() * 1000.0
        }
    };
    // How many pages the filtered, sorted list has.
    let filter = obhut_store::contacts::ContactFilter { tag: Some("vip".into()), ..Default::default() };
    let sort = services::contact_list::Sort::Name;
    let total = services::contact_list::list(&app, &Actor::cli(), None, &filter, sort, Page::new(Some(1), None)).await.expect("count").total;
    let pages = (total + 49) / 50;
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: i64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n.max(1) as u64) as i64
    };
    for _ in 0..10 {
        get("/".into()).await;
        get("/contacts?sort=name&tag=vip&page=1".into()).await;
    }
    let mut list = Vec::new();
    let mut slow = Vec::new();
    for _ in 0..requests {
        let p = 1 + next(pages.min(2000));
        let ms = get(format!("/contacts?sort=name&tag=vip&page={p}")).await;
        slow.push((ms, p));
        list.push(ms);
    }
    if std::env::var_os("BENCH_SLOWEST").is_some() {
        slow.sort_by(|a, b| b.0.total_cmp(&a.0));
        eprintln!("slowest list pages (ms, page): {:?}", &slow[..slow.len().min(12)]);
    }
    report(&format!("contact list, sorted by name, tag filter, random page of {pages}"), list);
    let prefixes = ["Mül", "Schm", "Web", "Wag", "Beck", "Hoff", "Kle", "Wolf", "Neu", "Schw", "Zimm", "Krü", "Lang", "Hart", "Wern"];
    let mut pick = Vec::new();
    for i in 0..requests {
        pick.push(get(format!("/pick/contacts?q={}", prefixes[i % prefixes.len()])).await);
    }
    report("picker search (name beginning, 20 matches, each a logged read)", pick);
    let mut day = Vec::new();
    for _ in 0..requests {
        day.push(get("/".into()).await);
    }
    report("my day (tasks overdue/today/week, deals with forecast, tickets, recent)", day);
}
