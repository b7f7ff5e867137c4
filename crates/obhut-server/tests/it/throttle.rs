//! The sign-in throttle through the web form, on both backends: per account and per client
//! network, kept in the database (a restart keeps it), sparing a device that signed in before,
//! honouring forwarding headers only from trusted proxies, and audited once per minute.

use crate::common::{csrf_in, database_url, serve_config, test_config, web_client, Backend, PASSWORD};
use obhut_core::clock::ManualClock;
use obhut_core::user::Role;
use obhut_server::{services, Actor, App, Config};
use time::macros::datetime;

crate::on_both_backends!(
    a_hundred_wrong_passwords_for_one_account_are_throttled_and_audited_once_per_minute,
    a_hundred_names_from_one_network_are_throttled,
    the_right_password_from_a_device_that_signed_in_before_works_during_an_account_throttle,
    a_restart_keeps_the_throttle,
    forwarding_headers_count_only_from_a_trusted_proxy,
);

/// A server on `clock` over the database in `dir` (SQLite) or at `pg_url`.
async fn serve(dir: &std::path::Path, pg_url: Option<String>, clock: &ManualClock, configure: impl FnOnce(&mut Config)) -> (App, String) {
    let mut cfg = test_config(dir, pg_url);
    configure(&mut cfg);
    let (app, addr) = serve_config(cfg, clock.clone()).await;
    (app, format!("http://{addr}"))
}

/// A database for the test: a temporary directory, and on PostgreSQL a schema of its own.
async fn database(b: Backend) -> (tempfile::TempDir, Option<String>) {
    (tempfile::tempdir().expect("dir"), database_url(b).await)
}

/// A browser of its own: a cookie jar, and the CSRF token of the sign-in form.
struct Browser {
    client: reqwest::Client,
    base: String,
    csrf: String,
}

impl Browser {
    async fn new(base: &str) -> Self {
        let client = web_client();
        let page = client.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("body");
        let csrf = csrf_in(&page);
        Browser { client, base: base.to_string(), csrf }
    }

    /// Signs in through the form: the status and any `Retry-After`.
    async fn sign_in(&self, user: &str, password: &str) -> (u16, Option<u64>) {
        self.sign_in_with(user, password, &[]).await
    }

    async fn sign_in_with(&self, user: &str, password: &str, headers: &[(&str, &str)]) -> (u16, Option<u64>) {
        let mut r = self.client.post(format!("{}/login", self.base));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let r = r
            .form(&[("csrf", self.csrf.as_str()), ("username", user), ("password", password), ("next", "/contacts")])
            .send()
            .await
            .expect("sign in");
        let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        (r.status().as_u16(), retry)
    }
}

async fn add_user(app: &App, name: &str) -> String {
    services::users::add_user(app, &Actor::cli(), name, Role::User, PASSWORD).await.expect("user").id.to_string()
}

async fn failed_sign_in_events(app: &App) -> Vec<obhut_store::audit::AuditEvent> {
    let filter = obhut_store::audit::AuditFilter { action: Some("login.failed".into()), ..Default::default() };
    services::audit::search(app, &Actor::cli(), &filter, services::Page::new(Some(500), None)).await.expect("audit").0
}

fn field<'a>(e: &'a obhut_store::audit::AuditEvent, name: &str) -> Option<&'a str> {
    e.entry.fields.iter().find_map(|f| f.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

async fn a_hundred_wrong_passwords_for_one_account_are_throttled_and_audited_once_per_minute(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-11-23 09:00 UTC));
    let (dir, pg) = database(b).await;
    let (app, base) = serve(dir.path(), pg, &clock, |_| {}).await;
    let anna = add_user(&app, "anna").await;
    let attacker = Browser::new(&base).await;
    let mut answers = Vec::new();
    for i in 0..100 {
        answers.push(attacker.sign_in("anna", &format!("guess-number-{i}")).await);
    }
    assert!(answers[..5].iter().all(|(s, _)| *s == 200), "five free attempts: {:?}", &answers[..5]);
    assert!(answers[5..].iter().all(|(s, r)| *s == 429 && r.is_some_and(|r| r >= 1)), "then 429 with Retry-After: {answers:?}");
    // Slowed down, not locked out: a new device with the right password waits too, then gets in.
    let owner = Browser::new(&base).await;
    assert_eq!(owner.sign_in("anna", PASSWORD).await.0, 429);
    clock.advance(time::Duration::seconds(3));
    assert_eq!(owner.sign_in("anna", PASSWORD).await.0, 303);
    // The flood is one audit event for its minute, with the counts; the name is not in it.
    assert!(failed_sign_in_events(&app).await.is_empty(), "the minute is not over yet");
    clock.advance(time::Duration::minutes(1));
    assert_eq!(obhut_server::throttle::audit_closed_minutes(&app).await.expect("audit"), 1);
    let events = failed_sign_in_events(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.entry.actor, "anonymous");
    assert_eq!(e.entry.record_id.as_deref(), Some(anna.as_str()));
    assert_eq!(field(e, "failures"), Some("5"));
    // Refused by the throttle kept in the database (the in-memory guard refused the rest uncounted).
    assert_eq!(field(e, "throttled"), Some("55"));
    assert_eq!(field(e, "network"), Some("127.0.0.0/24"));
    assert_eq!(field(e, "minute"), Some("2026-11-23T09:00:00Z"));
    let account = field(e, "account").expect("account pseudonym");
    assert!(account.starts_with("acct-") && !account.contains("anna"), "{account}");
    assert_eq!(account, obhut_server::throttle::account_pseudonym(&app, "anna"));
    assert_eq!(obhut_server::throttle::audit_closed_minutes(&app).await.expect("audit"), 0, "each minute once");
}

async fn a_hundred_names_from_one_network_are_throttled(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-11-23 09:00 UTC));
    let (dir, pg) = database(b).await;
    let (app, base) = serve(dir.path(), pg, &clock, |_| {}).await;
    add_user(&app, "anna").await;
    let sprayer = Browser::new(&base).await;
    let mut answers = Vec::new();
    for i in 0..100 {
        answers.push(sprayer.sign_in(&format!("user{i}"), "Winter2026!").await);
    }
    let free = app.config.login_failures_per_network as usize;
    assert_eq!(free, 20);
    assert!(answers[..free].iter().all(|(s, _)| *s == 200), "{:?}", &answers[..free]);
    assert!(answers[free..].iter().all(|(s, r)| *s == 429 && r.is_some()), "{answers:?}");
    // The network waits, whoever it names; another network does not.
    let (s, _) = sprayer.sign_in("anna", PASSWORD).await;
    assert_eq!(s, 429, "the throttled network waits even with a right password");
    clock.advance(time::Duration::minutes(1));
    obhut_server::throttle::audit_closed_minutes(&app).await.expect("audit");
    let events = failed_sign_in_events(&app).await;
    let failures: i64 = events.iter().filter_map(|e| field(e, "failures")?.parse::<i64>().ok()).sum();
    assert_eq!(failures, 20, "every checked failure is counted once");
    assert!(events.iter().all(|e| field(e, "network") == Some("127.0.0.0/24")));
}

async fn the_right_password_from_a_device_that_signed_in_before_works_during_an_account_throttle(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-11-23 09:00 UTC));
    let (dir, pg) = database(b).await;
    let (app, base) = serve(dir.path(), pg, &clock, |_| {}).await;
    add_user(&app, "anna").await;
    add_user(&app, "bert").await;
    // Anna's own browser signs in once and is given a device cookie.
    let own = Browser::new(&base).await;
    let r = own
        .client
        .post(format!("{base}/login"))
        .form(&[("csrf", own.csrf.as_str()), ("username", "anna"), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status().as_u16(), 303);
    let cookies: Vec<String> = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let device = cookies.iter().find(|c| c.starts_with("obhut_device=")).expect("a device cookie");
    assert!(device.contains("HttpOnly") && device.contains("SameSite=Strict") && device.contains("Max-Age="), "{device}");
    // Someone else guesses at the account (and from the same network).
    let attacker = Browser::new(&base).await;
    for i in 0..30 {
        attacker.sign_in("anna", &format!("guess-{i}")).await;
    }
    assert_eq!(attacker.sign_in("anna", PASSWORD).await.0, 429, "the account is throttled");
    assert_eq!(Browser::new(&base).await.sign_in("anna", PASSWORD).await.0, 429, "for a new device too");
    // Anna's browser is not subject to the account's throttle.
    assert_eq!(own.sign_in("anna", PASSWORD).await.0, 303, "the known device gets in");
    // It has a limit of its own.
    for i in 0..obhut_server::throttle::DEVICE_FREE {
        assert_eq!(own.sign_in("anna", &format!("typo-{i}")).await.0, 200);
    }
    let (s, retry) = own.sign_in("anna", PASSWORD).await;
    assert_eq!((s, retry.is_some()), (429, true), "after its own free attempts the device waits too");
    clock.advance(time::Duration::seconds(3));
    assert_eq!(own.sign_in("anna", PASSWORD).await.0, 303);
    // The cookie is bound to anna's account: for bert, whose account is throttled, it is no pass.
    for i in 0..5 {
        attacker.sign_in("bert", &format!("guess-{i}")).await;
    }
    assert_eq!(own.sign_in("bert", PASSWORD).await.0, 429);
}

async fn a_restart_keeps_the_throttle(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-11-23 09:00 UTC));
    let (dir, pg) = database(b).await;
    let (first, base) = serve(dir.path(), pg.clone(), &clock, |_| {}).await;
    add_user(&first, "anna").await;
    let attacker = Browser::new(&base).await;
    for i in 0..5 {
        assert_eq!(attacker.sign_in("anna", &format!("guess-{i}")).await.0, 200);
    }
    for i in 0..15 {
        assert_eq!(attacker.sign_in(&format!("user{i}"), "guess").await.0, 200);
    }
    assert_eq!(attacker.sign_in("anna", PASSWORD).await.0, 429);
    // A second server on the same database (or this one restarted) knows it at once.
    let (second, base2) = serve(dir.path(), pg, &clock, |_| {}).await;
    let fresh = Browser::new(&base2).await;
    let (s, retry) = fresh.sign_in("anna", PASSWORD).await;
    assert_eq!((s, retry.is_some()), (429, true), "the account's throttle holds across the restart");
    assert_eq!(fresh.sign_in("someone", "x").await.0, 429, "and the network's");
    clock.advance(time::Duration::seconds(3));
    assert_eq!(fresh.sign_in("anna", PASSWORD).await.0, 303);
    drop(second);
}

async fn forwarding_headers_count_only_from_a_trusted_proxy(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-11-23 09:00 UTC));
    // Without trusted proxies the header is the client's own word: ignored.
    let (dir, pg) = database(b).await;
    let (_app, base) = serve(dir.path(), pg, &clock, |_| {}).await;
    let b1 = Browser::new(&base).await;
    for i in 0..20 {
        let xff = format!("198.51.{i}.7");
        assert_eq!(b1.sign_in_with(&format!("user{i}"), "x", &[("x-forwarded-for", &xff)]).await.0, 200);
    }
    assert_eq!(b1.sign_in_with("user99", "x", &[("x-forwarded-for", "203.0.113.5")]).await.0, 429, "all from 127.0.0.1");
    // Behind a trusted proxy (here: loopback) the header names the client.
    let (dir2, pg2) = database(b).await;
    let (app2, base2) =
        serve(dir2.path(), pg2, &clock, |c| c.trusted_proxies = obhut_server::config::parse_nets("127.0.0.1").unwrap_or_default()).await;
    let b2 = Browser::new(&base2).await;
    for i in 0..20 {
        assert_eq!(b2.sign_in_with(&format!("user{i}"), "x", &[("x-forwarded-for", "198.51.100.7")]).await.0, 200);
    }
    assert_eq!(b2.sign_in_with("user98", "x", &[("x-forwarded-for", "198.51.100.200")]).await.0, 429, "the same /24");
    assert_eq!(b2.sign_in_with("user97", "x", &[("x-forwarded-for", "203.0.113.5")]).await.0, 200, "another network");
    assert_eq!(b2.sign_in_with("user96", "x", &[("forwarded", "for=\"[2001:db8:1:2::3]\"")]).await.0, 200, "RFC 7239");
    // A client behind the proxy cannot slip out by writing its own header in front.
    assert_eq!(b2.sign_in_with("user95", "x", &[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]).await.0, 429);
    clock.advance(time::Duration::minutes(1));
    obhut_server::throttle::audit_closed_minutes(&app2).await.expect("audit");
    let networks: std::collections::BTreeSet<String> =
        failed_sign_in_events(&app2).await.iter().filter_map(|e| field(e, "network").map(str::to_string)).collect();
    assert_eq!(
        networks.into_iter().collect::<Vec<_>>(),
        ["198.51.100.0/24", "2001:db8:1::/56", "203.0.113.0/24"],
        "the audit names the client's network, not the proxy's"
    );
}
