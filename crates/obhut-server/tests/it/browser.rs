//! The web UI: plain HTTP checks of sessions and CSRF, and browser tests that drive
//! Debian's headless Chromium through chromedriver against the real server and save a
//! screenshot of every page they check into `target/screenshots/`.
//!
//! The browser is spoken to over the W3C WebDriver protocol with a small client on
//! `reqwest` (below, shared with the other browser tests): fantoccini without its TLS
//! features has no connector to offer.

// The helpers below are test code outside `#[test]` functions, where clippy's test allowances do not reach.
#![allow(clippy::expect_used, clippy::panic)]

use crate::common::{csrf_in, screenshot_dir, spawn_app, Backend, TestApp, PASSWORD};
use base64::Engine;
use obhut_core::user::Role;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Plain HTTP: sessions, redirects, CSRF.
// ---------------------------------------------------------------------------------------

/// Signs `user` in through the login form; returns the session's CSRF token (from the contact list).
async fn http_login(t: &TestApp, user: &str) -> String {
    let page = t.client.get(t.url("/login")).send().await.expect("login page");
    assert_eq!(page.status(), 200);
    let token = csrf_in(&page.text().await.expect("body"));
    let r = t
        .client
        .post(t.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", user), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "login must redirect");
    assert_eq!(r.headers()["location"], "/contacts");
    let list = t.client.get(t.url("/contacts")).send().await.expect("contacts");
    assert_eq!(list.status(), 200);
    csrf_in(&list.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_session_and_send_the_browser_back_where_it_was() {
    let t = spawn_app(Backend::Sqlite).await;
    let r = t.client.get(t.url("/contacts?q=M%C3%BCller")).send().await.expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fcontacts%3Fq%3DM%25C3%25BCller");

    let r = t.client.get(t.url("/deals")).header("cookie", "obhut_session=forged").send().await.expect("get");
    assert_eq!(r.status(), 401, "an unknown session is no session: the sign-in form, with 401");

    t.add_user("clara", Role::User, PASSWORD).await;
    let page = t.client.get(t.url("/login?next=https://evil.example/")).send().await.expect("login page");
    let html = page.text().await.expect("body");
    assert!(html.contains("name=\"next\" value=\"/contacts\""), "a foreign next is replaced");
    let token = csrf_in(&html);
    let r = t
        .client
        .post(t.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", "clara"), ("password", PASSWORD), ("next", "//evil.example")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.headers()["location"], "/contacts");
    let cookie = r.headers()["set-cookie"].to_str().expect("cookie").to_string();
    assert!(cookie.starts_with("obhut_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "session cookie lacks {attr}: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no Secure flag on plain http");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_get_one_answer_and_throttling_is_shown() {
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::User, PASSWORD).await;
    let token = csrf_in(&t.client.get(t.url("/login")).send().await.expect("page").text().await.expect("body"));
    let attempt = |user: &'static str, pw: &'static str| {
        let (t, token) = (&t, token.clone());
        async move {
            let r = t
                .client
                .post(t.url("/login"))
                .header("accept-language", "en")
                .form(&[("csrf", token.as_str()), ("username", user), ("password", pw)])
                .send()
                .await
                .expect("post");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    let (s1, wrong_pw) = attempt("dora", "not-the-password").await;
    let (s2, no_user) = attempt("nobody", "not-the-password").await;
    assert_eq!((s1, s2), (200, 200));
    assert!(wrong_pw.contains("Wrong user name or password."));
    assert!(no_user.contains("Wrong user name or password."));
    let mut last = (0, String::new());
    for _ in 0..6 {
        last = attempt("dora", "still-wrong-password").await;
    }
    assert_eq!(last.0, 429);
    assert!(last.1.contains("Too many attempts. Please try again in"), "{}", last.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_right_csrf_token_are_refused() {
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("emil", Role::User, PASSWORD).await;
    // Login: the double-submit cookie must match the field.
    let _ = t.client.get(t.url("/login")).send().await.expect("page");
    let r = t
        .client
        .post(t.url("/login"))
        .form(&[("csrf", "guessed"), ("username", "emil"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    assert!(r.text().await.expect("body").contains("Sicherheitsprüfung fehlgeschlagen"));

    let token = http_login(&t, "emil").await;
    for form in [vec![("family_name", "Ohne")], vec![("csrf", "falsch"), ("family_name", "Falsch")]] {
        let r = t.client.post(t.url("/contacts")).form(&form).send().await.expect("post");
        assert_eq!(r.status(), 403);
    }
    let r = t
        .client
        .post(t.url("/contacts"))
        .form(&[("csrf", token.as_str()), ("family_name", "Richtig"), ("kind", "b2c")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let list = t.client.get(t.url("/contacts")).send().await.expect("list").text().await.expect("body");
    assert!(list.contains("Richtig") && !list.contains("Falsch") && !list.contains("Ohne"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_records_get_a_404_page_and_guests_a_403_page() {
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("gustav", Role::Guest, PASSWORD).await;
    let token = http_login(&t, "gustav").await;
    let r = t.client.get(t.url(&format!("/contacts/{}", uuid::Uuid::now_v7()))).send().await.expect("get");
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("body").contains("Nicht gefunden"));
    let r = t.client.get(t.url("/deals/not-an-id")).send().await.expect("get");
    assert_eq!(r.status(), 404);

    let r = t.client.post(t.url("/contacts")).form(&[("csrf", token.as_str()), ("family_name", "Gast")]).send().await.expect("post");
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("body");
    assert!(html.contains("Keine Berechtigung") && html.contains("Die Rolle Gast darf Datensätze der Art Kontakt nicht anlegen"), "{html}");
    let list = t.client.get(t.url("/contacts")).send().await.expect("list").text().await.expect("body");
    assert!(!list.contains("href=\"/contacts/new\""), "guests do not see the create button");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_assets_are_served_and_pages_carry_no_inline_code() {
    let t = spawn_app(Backend::Sqlite).await;
    let css = t.client.get(t.url("/static/app.css")).send().await.expect("css");
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().expect("ct").starts_with("text/css"));
    let login =
        t.client.get(t.url("/login")).header("accept-language", "en-GB,en;q=0.9").send().await.expect("login").text().await.expect("body");
    assert!(login.contains("<html lang=\"en\">"));
    assert!(
        !login.contains("style=") && !login.contains("<style") && login.matches("<script").count() == login.matches("<script src=\"/static/app.js\" defer></script>").count(),
        "the CSP forbids inline styles and scripts: the one script is the app's own file"
    );
    let js = t.client.get(t.url("/static/app.js")).send().await.expect("js");
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"].to_str().expect("ct").starts_with("text/javascript"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_link_creates_the_first_administrator_once() {
    let t = spawn_app(Backend::Sqlite).await;
    let token = obhut_server::services::users::ensure_setup_token(&t.app).await.expect("setup token").expect("no users yet");
    let r = t.client.get(t.url("/setup?token=wrong")).send().await.expect("get");
    assert_eq!(r.status(), 403);
    let page = t.client.get(t.url(&format!("/setup?token={token}"))).send().await.expect("get");
    assert_eq!(page.status(), 200);
    let csrf = csrf_in(&page.text().await.expect("body"));
    let form = |pw2: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("token", token.clone()),
            ("username", "admin".into()),
            ("password", PASSWORD.into()),
            ("password_repeat", pw2.into()),
        ]
    };
    let r = t.client.post(t.url("/setup")).form(&form("something-else")).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("die Passwörter stimmen nicht überein"));
    let r = t.client.post(t.url("/setup")).form(&form(PASSWORD)).send().await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/contacts?flash=welcome");
    let home = t.client.get(t.url("/contacts?flash=welcome")).send().await.expect("get").text().await.expect("body");
    assert!(home.contains("Willkommen!") && home.contains("admin"));
    let again = t.client.post(t.url("/setup")).form(&form(PASSWORD)).send().await.expect("post");
    assert_eq!(again.status(), 403, "the link works once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_changed_with_messages_next_to_the_fields() {
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("frieda", Role::User, PASSWORD).await;
    let csrf = http_login(&t, "frieda").await;
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        let (t, csrf) = (&t, csrf.clone());
        async move {
            let form = [("csrf", csrf.as_str()), ("current_password", current), ("new_password", new), ("repeat_password", repeat)];
            let r = t.client.post(t.url("/settings/password")).form(&form).send().await.expect("post");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    let (s, html) = change("wrong-password", "Ein-neues-Passwort-1", "Ein-neues-Passwort-1").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"current_password-error\">das aktuelle Passwort ist falsch"), "{html}");
    let (s, html) = change(PASSWORD, "kurz", "kurz").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"new_password-error\">ein Passwort braucht mindestens 10 Zeichen"));
    let (s, html) = change(PASSWORD, "Ein-neues-Passwort-1", "Ein-neues-Passwort-2").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"repeat_password-error\""));
    let (s, _) = change(PASSWORD, "Ein-neues-Passwort-1", "Ein-neues-Passwort-1").await;
    assert_eq!(s, 303);
    let settings = t.client.get(t.url("/settings?flash=password")).send().await.expect("get");
    assert_eq!(settings.status(), 200, "this session stays signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_contact_keeps_the_entries_the_form_does_not_show() {
    use obhut_core::contact::{ContactInput, EmailInput};
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("hanna", Role::User, PASSWORD).await;
    let input = ContactInput {
        given_name: Some("Jürgen".into()),
        family_name: Some("Drei".into()),
        emails: Some(vec![
            EmailInput { address: "eins@example.org".into(), label: Some("privat".into()), purposes: None },
            EmailInput { address: "zwei@example.org".into(), label: None, purposes: None },
            EmailInput { address: "drei@example.org".into(), label: Some("alt".into()), purposes: None },
        ]),
        ..Default::default()
    };
    let origin = obhut_store::contacts::Origin { source: "api".into(), detail: None, import_run_id: None };
    let (c, _) = obhut_server::services::contacts::create(&t.app, &obhut_server::Actor::cli(), &input, origin).await.expect("create");
    let csrf = http_login(&t, "hanna").await;
    let edit = t.client.get(t.url(&format!("/contacts/{}/edit", c.id))).send().await.expect("get").text().await.expect("body");
    assert!(edit.contains("value=\"eins@example.org\"") && edit.contains("value=\"zwei@example.org\""));
    assert!(!edit.contains("drei@example.org"), "the form shows two emails");
    let form = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("kind", "b2c"),
        ("given_name", "Jürgen"),
        ("family_name", "Drei"),
        ("email", "eins@example.org"),
        ("email2", "neu@example.org"),
        ("job_title", "Leitung Einkauf"),
    ];
    let r = t.client.post(t.url(&format!("/contacts/{}/edit", c.id))).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/contacts/{}?flash=saved", c.id).as_str());
    let after = obhut_server::services::contacts::get(&t.app, &obhut_server::Actor::cli(), c.id).await.expect("get");
    let emails: Vec<(String, Option<String>)> = after.personal.emails.iter().map(|e| (e.address.to_string(), e.label.clone())).collect();
    assert_eq!(
        emails,
        vec![
            ("eins@example.org".into(), Some("privat".into())),
            ("neu@example.org".into(), None),
            ("drei@example.org".into(), Some("alt".into()))
        ]
    );
    assert_eq!(after.personal.job_title.as_deref(), Some("Leitung Einkauf"));
    // A change from a stale form (version 1) is a conflict, not a lost update.
    let mut stale = form;
    stale[7] = ("job_title", "Vertrieb");
    let r = t.client.post(t.url(&format!("/contacts/{}/edit", c.id))).form(&stale).send().await.expect("post");
    assert_eq!(r.status(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_the_404_page() {
    let t = spawn_app(Backend::Sqlite).await;
    let r = t.client.get(t.url("/nirgendwo")).header("accept-language", "en").send().await.expect("get");
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("body").contains("Page not found"));
    let api = t.client.get(t.url("/api/v1/nirgendwo")).send().await.expect("get");
    assert_eq!(api.status(), 404);
    assert_eq!(api.headers()["content-type"], "application/problem+json", "the API answers for itself under /api/v1");
}

// ---------------------------------------------------------------------------------------
// A small WebDriver client and the chromedriver it talks to.
// ---------------------------------------------------------------------------------------

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free port; killed on drop.
pub(crate) struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `None` (with a notice) when Chromium or chromedriver is missing; under `CI=true` that fails.
pub(crate) async fn start_driver() -> Option<Driver> {
    let missing: Vec<&str> = ["/usr/bin/chromedriver", "/usr/bin/chromium"].into_iter().filter(|p| !Path::new(p).exists()).collect();
    if !missing.is_empty() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("browser tests need {missing:?} (Debian packages chromium and chromium-driver), and CI=true");
        }
        eprintln!("note: {missing:?} not installed; skipping the browser test");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}"), _profile: tempfile::tempdir().expect("profile dir") };
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await {
            if r.json::<Value>().await.map(|v| v["value"]["ready"] == true).unwrap_or(false) {
                return Some(driver);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not become ready");
}

pub(crate) struct Browser {
    http: reqwest::Client,
    session: String,
    base: String,
}

#[derive(Clone)]
pub(crate) struct El(String);

impl Browser {
    pub(crate) async fn open(driver: &Driver, app_base: &str) -> Browser {
        let profile = driver._profile.path().display().to_string();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                         "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1280,900",
                         "--lang=de-DE", "--hide-scrollbars", format!("--user-data-dir={profile}")],
                "prefs": {"intl.accept_languages": "de-DE,de"}
            }
        }}});
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        let r: Value =
            http.post(format!("{}/session", driver.url)).json(&caps).send().await.expect("new session").json().await.expect("json");
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_string();
        Browser { http, session: format!("{}/session/{session}", driver.url), base: app_base.to_string() }
    }

    pub(crate) async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.expect("webdriver request").json().await.expect("webdriver json");
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub(crate) async fn goto(&self, path: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": format!("{}{path}", self.base)}))).await;
    }

    pub(crate) async fn path(&self) -> String {
        let url = self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_string();
        url.strip_prefix(&self.base).unwrap_or(&url).to_string()
    }

    pub(crate) async fn try_find(&self, css: &str) -> Option<El> {
        let v: Value = self
            .http
            .post(format!("{}/element", self.session))
            .json(&json!({"using": "css selector", "value": css}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        v["value"][ELEMENT_KEY].as_str().map(|s| El(s.to_string()))
    }

    /// Waits up to ten seconds for `css` to appear.
    pub(crate) async fn find(&self, css: &str) -> El {
        for _ in 0..100 {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element {css} on {} within 10 s:\n{}", self.path().await, self.source().await);
    }

    pub(crate) async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{}/click", e.0), Some(json!({}))).await;
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{}/clear", e.0), Some(json!({}))).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{}/value", e.0), Some(json!({"text": text}))).await;
    }

    /// Picks the option with `value` in the select `css`.
    pub(crate) async fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]")).await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{}/text", e.0), None).await.as_str().unwrap_or_default().to_string()
    }

    pub(crate) async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{}/property/{name}", e.0), None).await.as_str().map(String::from)
    }

    pub(crate) async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{}/attribute/{name}", e.0), None).await.as_str().map(String::from)
    }

    pub(crate) async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None).await.as_str().unwrap_or_default().to_string()
    }

    /// Clicks `button` and waits until the next page shows `then_css`. The next page is a new
    /// document (its root element has another reference): waiting for that first keeps
    /// `then_css` from being found on the page that is still being left.
    pub(crate) async fn submit(&self, button: &str, then_css: &str) {
        let before = self.try_find("html").await;
        self.click(button).await;
        if let Some(old) = before {
            for _ in 0..100 {
                match self.try_find("html").await {
                    Some(now) if now.0 != old.0 => break,
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        self.find(then_css).await;
    }

    /// A PNG of the whole page (the window grows to the page height for the shot).
    pub(crate) async fn screenshot(&self, name: &str) {
        self.screenshot_at(name, 1280).await;
    }

    /// A PNG of the whole page at a window `width` (390 is a phone).
    pub(crate) async fn screenshot_at(&self, name: &str, width: i64) {
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": 900}))).await;
        let height = self
            .cmd(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": "return document.documentElement.scrollHeight", "args": []})),
            )
            .await
            .as_i64()
            .unwrap_or(900);
        let height = height.clamp(600, 4000);
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": height + 90}))).await;
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": "window.scrollTo(0, 0)", "args": []}))).await;
        let png = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap_or_default()).expect("base64 png");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), bytes).expect("write screenshot");
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 900}))).await;
    }

    /// [`Browser::screenshot`], and a copy in `/tmp` for a quick look.
    pub(crate) async fn shot(&self, name: &str) {
        self.shot_at(name, 1280).await;
    }

    /// [`Browser::screenshot_at`], and a copy in `/tmp` for a quick look.
    pub(crate) async fn shot_at(&self, name: &str, width: i64) {
        self.screenshot_at(name, width).await;
        let _ = std::fs::copy(screenshot_dir().join(format!("{name}.png")), format!("/tmp/{name}.png"));
    }

    /// Fills the sign-in form (shown in place of a page that needs a session) and submits it,
    /// waiting for `then_css` on the page it leads to.
    pub(crate) async fn sign_in(&self, user: &str, password: &str, then_css: &str) {
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.submit("button[type=submit]", then_css).await;
    }

    /// Waits up to ten seconds for the page's source to hold `text`.
    pub(crate) async fn wait_for_text(&self, text: &str) {
        for _ in 0..100 {
            if self.source().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no '{text}' on {} within 10 s", self.path().await);
    }

    /// Clicks `button` and waits until the next page holds `text` (a selector alone could match
    /// the page being left, which has a flash message too).
    pub(crate) async fn click_until(&self, button: &str, text: &str) {
        self.click(button).await;
        self.wait_for_text(text).await;
    }

    /// Sets the value of the input `id` directly: typed keys, in a date input, would depend on
    /// the browser's locale.
    pub(crate) async fn set_value(&self, id: &str, value: &str) {
        let script = format!("document.getElementById('{id}').value = '{value}'");
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await;
    }

    /// Picks a record in the picker `field` as a user without JavaScript would: types `query`
    /// into its search, asks ("Suchen": the form comes back with the matches) and chooses `id`.
    pub(crate) async fn pick(&self, field: &str, query: &str, id: &str) {
        self.fill(&format!("#{field}_q"), query).await;
        self.click(&format!("button[name=pick][value={field}]")).await;
        let option = format!("#{field} option[value=\"{id}\"]");
        for _ in 0..100 {
            if self.try_find(&option).await.is_some() && self.attr(&format!("#{field}_q"), "value").await.as_deref() == Some(query) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.choose(&format!("#{field}"), id).await;
    }

    /// How many pixels the page is wider than a window `width` wide (0: no horizontal overflow).
    pub(crate) async fn overflow_at(&self, width: i64) -> i64 {
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": 900}))).await;
        let script = "return document.documentElement.scrollWidth - document.documentElement.clientWidth";
        let over = self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await.as_i64().unwrap_or(-1);
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 900}))).await;
        over
    }

    pub(crate) async fn close(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

// ---------------------------------------------------------------------------------------
// Browser tests.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_works_through_contacts_organizations_deals_and_tickets_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("anna", Role::Admin, PASSWORD).await;
    let b = Browser::open(&driver, &t.base).await;

    // Signing in: a wrong password first, then the right one; back to where the user was going.
    b.goto("/contacts").await;
    b.find("form[action=\"/login\"]").await;
    assert!(b.path().await.starts_with("/login?next=%2Fcontacts"));
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("de"));
    b.screenshot("01-login").await;
    b.sign_in("anna", "falsch-falsch", "#login-error").await;
    assert_eq!(b.text("#login-error").await, "Benutzername oder Passwort ist falsch.");
    b.screenshot("02-login-failed").await;
    b.fill("#password", PASSWORD).await;
    b.submit("button[type=submit]", "input#q").await;
    assert_eq!(b.path().await, "/contacts");
    b.screenshot("03-contacts-empty").await;

    // An organization through its form, then its page.
    b.goto("/organizations/new").await;
    b.fill("#name", "Quellwerk Hydraulik GmbH").await;
    b.fill("#industry", "Maschinenbau").await;
    b.fill("#website", "www.quellwerk.example").await;
    b.fill("#street", "Industriestraße 12").await;
    b.fill("#postal_code", "34117").await;
    b.fill("#city", "Kassel").await;
    b.fill("#country", "DE").await;
    b.submit("button[type=submit].btn-primary", ".flash").await;
    assert_eq!(b.text("h1").await, "Quellwerk Hydraulik GmbH");
    let org_path = b.path().await.split('?').next().unwrap_or_default().to_string();
    let org_id = org_path.trim_start_matches("/organizations/").to_string();

    // A contact through the form, as the organization's contact person.
    b.goto("/contacts/new").await;
    b.choose("#kind", "b2b").await;
    b.fill("#salutation", "Frau").await;
    b.fill("#given_name", "Erika").await;
    b.fill("#family_name", "Mustermann").await;
    b.fill("#email", "erika.mustermann@example.org").await;
    b.fill("#phone", "0561 123456").await;
    b.fill("#city", "Kassel").await;
    b.pick("organization_id", "Quellwerk", &org_id).await;
    b.fill("#job_title", "Einkauf").await;
    b.fill("#tags", "VIP, Messe 2026").await;
    b.screenshot("04-contact-form").await;
    b.submit("button[type=submit].btn-primary", ".flash").await;
    assert_eq!(b.text(".flash").await, "Angelegt.");
    assert!(b.text("h1").await.starts_with("Erika Mustermann"));
    assert!(b.source().await.contains("web form, ui:user:"), "the origin names the web form");
    let contact_path = b.path().await.split('?').next().unwrap_or_default().to_string();

    // An activity on the contact page.
    b.choose("#kind", "call").await;
    b.fill("#subject", "Rückruf wegen Angebot").await;
    b.fill("#body", "Wünscht ein Angebot bis Freitag.").await;
    b.submit(".activity-form button[type=submit]", ".timeline-item").await;
    assert!(b.text(".timeline").await.contains("Rückruf wegen Angebot"));
    // Who accessed the record and why: the page's own read, under the default purpose (by
    // its name in the user's language).
    let access = b.text("#access-log").await;
    assert!(
        access.contains("gelesen") && access.contains("Vertragsdurchführung") && access.contains("angelegt") && access.contains("ui: anna"),
        "{access}"
    );
    // Actions by their label, not their audit code.
    assert!(access.contains("Aktivität gelesen") && !access.contains("activity.read"), "{access}");
    b.screenshot("05-contact-page").await;

    // The search box finds her, by name and by email.
    b.goto("/contacts").await;
    b.fill("#q", "Muster").await;
    b.submit("form[role=search] button[type=submit]", "#contact-table").await;
    assert!(b.text("#contact-table").await.contains("Erika Mustermann"));
    assert!(b.text("#contact-table").await.contains("Quellwerk Hydraulik GmbH"));
    b.screenshot("06-contacts-search").await;
    b.goto("/contacts?q=erika.mustermann%40example.org").await;
    assert!(b.text("#contact-table").await.contains("Erika Mustermann"));

    // An invalid email: the message stands next to the field, and what was typed stays.
    b.goto("/contacts/new").await;
    b.fill("#family_name", "Kaputtke").await;
    b.fill("#email", "kaputt-at-example").await;
    b.submit("button[type=submit].btn-primary", "#email-error").await;
    assert_eq!(b.text("#email-error").await, "ist keine gültige E-Mail-Adresse");
    assert_eq!(b.attr("#email", "value").await.as_deref(), Some("kaputt-at-example"));
    assert_eq!(b.attr("#family_name", "value").await.as_deref(), Some("Kaputtke"));
    assert_eq!(b.attribute("#email", "aria-invalid").await.as_deref(), Some("true"));
    b.screenshot("07-contact-form-invalid-email").await;

    // The same email again: a warning with a link, then "create anyway".
    b.fill("#email", "erika.mustermann@example.org").await;
    b.submit("button[type=submit].btn-primary", "#duplicate-warning").await;
    assert!(b.text("#duplicate-warning").await.contains("Erika Mustermann"));
    b.screenshot("08-contact-duplicate-warning").await;
    b.click("#create_anyway").await;
    b.submit("button[type=submit].btn-primary", ".flash").await;
    assert!(b.text("h1").await.starts_with("Kaputtke"));

    // A deal for the organization, the pipeline board, and a move to the next stage.
    b.goto(&format!("/deals/new?organization_id={org_id}")).await;
    b.fill("#title", "Hydraulikpumpen Rahmenvertrag").await;
    b.fill("#amount", "12.500,00").await;
    // A deal about no contact stands on its own class and team (the section "Zugriff").
    b.choose("#record_class", "standard").await;
    b.fill("#team", "nord").await;
    b.screenshot("09-deal-form").await;
    b.submit("button[type=submit].btn-primary", ".flash").await;
    assert!(b.text(".subtitle").await.contains("12.500,00 €"));
    b.screenshot("09-deal-page").await;
    b.goto("/deals").await;
    b.find(".deal-card").await;
    assert!(b.text("#pipeline").await.contains("Hydraulikpumpen Rahmenvertrag"));
    b.screenshot("10-pipeline").await;
    let select_id = b.attr(".deal-card select", "id").await.unwrap_or_default();
    let second_stage = b.attr(".board-col:nth-child(2) h2", "id").await.unwrap_or_default().trim_start_matches("stage-").to_string();
    b.choose(&format!("#{select_id}"), &second_stage).await;
    b.submit(".deal-card .move-form button", ".flash").await;
    assert_eq!(b.text(".flash").await, "Deal verschoben.");
    assert!(b.text(".board-col:nth-child(2)").await.contains("Hydraulikpumpen Rahmenvertrag"));

    // A complaint ticket for the contact, and the list of open tickets.
    b.goto(&format!("/tickets/new?contact_id={}&kind=complaint", contact_path.trim_start_matches("/contacts/"))).await;
    b.fill("#title", "Pumpe undicht").await;
    b.choose("#priority", "high").await;
    b.fill("#description", "Seit der Lieferung tropft Öl am Flansch.").await;
    b.submit("button[type=submit].btn-primary", ".flash").await;
    assert!(b.text("h1").await.contains("Pumpe undicht"));
    b.screenshot("11-ticket-page").await;
    b.goto("/tickets").await;
    assert!(b.text("#ticket-table").await.contains("Pumpe undicht"));
    b.screenshot("12-tickets").await;

    // The organization page lists its contact, deal and ticket.
    b.goto(&org_path).await;
    let page = b.text("main").await;
    assert!(page.contains("Erika Mustermann") && page.contains("Hydraulikpumpen Rahmenvertrag"));
    b.screenshot("13-organization-page").await;

    // German first, then English through the settings, then German again.
    b.goto("/contacts").await;
    assert_eq!(b.text(".nav-links a[aria-current=page]").await, "Kontakte");
    b.screenshot("14-contacts-de").await;
    b.goto("/settings").await;
    b.screenshot("15-settings-de").await;
    b.choose("#language", "en").await;
    b.submit("form[action=\"/settings/language\"] button", ".flash").await;
    assert_eq!(b.text(".flash").await, "Language saved.");
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("en"));
    b.goto("/contacts").await;
    assert_eq!(b.text(".nav-links a[aria-current=page]").await, "Contacts");
    assert_eq!(b.text("h1").await, "Contacts");
    b.screenshot("16-contacts-en").await;
    b.goto("/deals").await;
    assert!(b.text("main").await.contains("Manage stages"));
    b.screenshot("17-pipeline-en").await;
    b.goto(&contact_path).await;
    assert!(b.text("main").await.contains("Origin"));
    b.screenshot("18-contact-page-en").await;
    b.goto("/deals/stages").await;
    b.screenshot("19-stages-en").await;
    b.goto("/settings").await;
    b.choose("#language", "de").await;
    b.submit("form[action=\"/settings/language\"] button", ".flash").await;
    assert_eq!(b.text(".flash").await, "Sprache gespeichert.");

    // On a phone.
    b.goto("/contacts").await;
    b.screenshot_at("21-contacts-phone", 390).await;
    b.goto(&contact_path).await;
    b.screenshot_at("22-contact-page-phone", 390).await;

    // A record that does not exist.
    b.goto(&format!("/tickets/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(b.text("h1").await, "Nicht gefunden");
    b.screenshot("20-not-found").await;

    // Signing out ends the session.
    b.submit("form[action=\"/logout\"] button", "form[action=\"/login\"]").await;
    assert_eq!(b.text(".flash").await, "Sie haben sich abgemeldet.");
    b.goto("/contacts").await;
    b.find("form[action=\"/login\"]").await;

    b.close().await;
    drop(driver);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_browses_purposes_and_the_audit_trail_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("petra", Role::Admin, PASSWORD).await;
    let b = Browser::open(&driver, &t.base).await;

    b.goto("/privacy").await;
    b.sign_in("petra", PASSWORD, "#chain-status").await;
    assert_eq!(b.path().await, "/privacy");
    assert_eq!(b.text(".nav-links a[aria-current=page]").await, "Datenschutz");
    assert!(b.text("#chain-status").await.contains("Protokoll unversehrt"));
    b.shot("dpo-overview").await;

    b.click("a.cockpit-card[href=\"/privacy/purposes\"]").await;
    b.find("#purpose-table").await;
    assert!(b.text("#purpose-table").await.contains("Newsletter per E-Mail"));
    b.shot("dpo-purposes").await;

    // A change without legal basis is refused at the field; then saved as version 2.
    b.goto("/privacy/purposes/postal_marketing/edit").await;
    b.choose("#legal_basis", "").await;
    b.fill("#retention_rule", "Bis zum Widerspruch, sonst 2 Jahre nach dem letzten Kontakt").await;
    b.submit("button[type=submit].btn-primary", "#legal_basis-error").await;
    assert_eq!(b.attribute("#legal_basis", "aria-invalid").await.as_deref(), Some("true"));
    b.shot("dpo-purpose-form-invalid").await;
    b.choose("#legal_basis", "legitimate_interest").await;
    b.submit("button[type=submit].btn-primary", ".flash").await;
    assert!(b.text("#purpose-history").await.contains("ui: petra"));
    b.shot("dpo-purpose-page").await;

    b.goto("/privacy/audit").await;
    b.find("#audit-table").await;
    b.fill("#action", "purpose.update").await;
    b.submit("#audit-filter button[type=submit]", "#audit-table").await;
    assert!(b.path().await.contains("action=purpose.update"));
    assert!(b.text("#audit-table").await.contains("ui: petra"));
    b.goto("/privacy/audit").await;
    b.shot("dpo-audit").await;

    b.goto("/privacy/ropa").await;
    b.find("#ropa-controller").await;
    b.shot("dpo-ropa").await;
    b.goto("/privacy/controller").await;
    b.shot("dpo-controller").await;
    b.goto("/privacy/purposes").await;
    b.shot_at("dpo-purposes-phone", 390).await;

    // The gate's pages: policies (validated, then refused at the field), processors, fields, users.
    b.goto("/privacy/policies").await;
    assert!(b.text("#policy-version").await.contains("Version 1"));
    b.shot("gate-policies").await;
    b.click("#policy-schema summary").await;
    b.submit("#policy-check", "#policy-valid").await;
    b.shot("gate-policies-valid").await;
    b.fill("#source", "permit (principal, action, resource) when { principal.department == \"x\" };").await;
    b.submit("#policy-save", "#source-error").await;
    assert!(b.text("#source-error").await.contains("department"));
    assert_eq!(b.attribute("#source", "aria-invalid").await.as_deref(), Some("true"));
    b.shot("gate-policies-invalid").await;

    b.goto("/privacy/processors/new").await;
    b.fill("#key", "callcenter_nord").await;
    b.fill("#name", "Callcenter Nord GmbH").await;
    b.fill("#purposes", "phone_marketing").await;
    b.fill("#scope_tag", "callcenter").await;
    b.fill("#country", "US").await;
    // Date inputs take typed keys in the browser's locale; the value is set directly.
    let until = (t.app.clock.now().date() + time::Duration::days(200)).to_string();
    b.set_value("valid_until", &until).await;
    b.submit("button[type=submit].btn-primary", "#transfer_mechanism-error").await;
    b.shot("gate-processor-invalid").await;
    b.choose("#transfer_mechanism", "standard_contractual_clauses").await;
    b.fill("#safeguard_document", "SCC vom 15.01.2026").await;
    b.submit("button[type=submit].btn-primary", "#processor-table").await;
    assert!(b.text("#processor-table").await.contains("Callcenter Nord GmbH"));
    b.shot("gate-processors").await;

    b.goto("/privacy/fields").await;
    b.find("#field-catalog").await;
    b.shot("gate-fields").await;
    b.submit("#run-lint", "#lint-report").await;
    b.shot("gate-fields-lint").await;

    b.goto("/privacy/users").await;
    b.find("#user-table").await;
    b.shot("gate-users").await;
    b.goto("/privacy/users/petra/edit").await;
    b.shot("gate-user-form").await;
    b.goto("/privacy").await;
    b.shot("gate-overview").await;
    b.goto("/privacy/policies").await;
    b.shot_at("gate-policies-phone", 390).await;

    // Consents: a paper consent through the contact page's form, refused first without its
    // reference, then recorded; the section and the DPO's consent page.
    let erika = t.add_contact("Erika", "Einwillig", "erika.einwillig@example.org").await;
    b.goto(&format!("/contacts/{erika}")).await;
    b.click("#consent-record summary").await;
    b.choose("#consent_purpose", "newsletter").await;
    b.choose("#consent_method", "paper").await;
    b.submit("#consent-record-submit", "#recording_ref-error").await;
    b.shot("consent-form-invalid").await;
    b.fill("#recording_ref", "Ordner Newsletter 2026, Blatt 12").await;
    b.fill("#consent_note", "Auf der Messe unterschrieben").await;
    b.submit("#consent-record-submit", ".flash").await;
    assert!(b.text("#consent-timeline").await.contains("Ordner Newsletter 2026, Blatt 12"));
    assert!(b.text("#consent-permissions").await.contains("erlaubt"));
    b.shot("consent-contact-page").await;
    b.shot_at("consent-contact-page-phone", 390).await;
    b.goto("/privacy/consent").await;
    b.find("#consent-stats").await;
    b.shot("consent-dpo").await;

    b.close().await;
    drop(driver);
}
