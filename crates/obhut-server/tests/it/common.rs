//! `spawn_app()`: a real server on 127.0.0.1:0 with a fresh database (SQLite in a temp
//! directory, or a schema of its own in PostgreSQL) and cheap password hashing.

#![allow(dead_code)]

use obhut_core::clock::{Clock, SystemClock};
use obhut_core::contact::{ContactInput, EmailInput};
use obhut_core::user::Role;
use obhut_server::{services, Actor, App, Config};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The password of every user the tests add.
pub const PASSWORD: &str = "Correct-Horse-Battery-9";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    /// The PostgreSQL URL (with its own schema) when on PostgreSQL.
    pub pg_url: Option<String>,
    pub pg_schema: Option<String>,
}

pub fn pg_base() -> String {
    std::env::var("OBHUT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether PostgreSQL tests can run. Under CI=true a missing server fails the test instead.
pub async fn pg_available() -> bool {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let ok = sqlx::AnyConnection::connect(&pg_base()).await.is_ok();
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("PostgreSQL is not reachable at {} and CI=true: the PostgreSQL tests must run", pg_base());
        }
        eprintln!("note: PostgreSQL not reachable at {}; skipping this PostgreSQL test", pg_base());
    }
    ok
}

/// A fresh schema in the test database, and a URL whose connections use it.
pub async fn pg_schema() -> (String, String) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::AnyConnection::connect(&pg_base()).await.unwrap_or_else(|e| panic!("connect: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut c).await.unwrap_or_else(|e| panic!("create schema: {e}"));
    let sep = if pg_base().contains('?') { '&' } else { '?' };
    (format!("{}{sep}options=-c%20search_path%3D{schema}", pg_base()), schema)
}

pub fn test_config(dir: &std::path::Path, database_url: Option<String>) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        data_dir: dir.to_path_buf(),
        database_url,
        argon2_memory_kib: 256,
        argon2_iterations: 1,
        max_connections: 8,
        ..Config::default()
    }
}

/// Starts the app; `None` when the backend is PostgreSQL and it is unavailable outside CI.
pub async fn try_spawn_app(backend: Backend) -> Option<TestApp> {
    try_spawn_app_with(backend, |_| {}).await
}

/// [`try_spawn_app`] with changes to the configuration.
pub async fn try_spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    try_spawn_app_at(backend, SystemClock, configure).await
}

/// [`try_spawn_app_with`] on a clock the test moves.
pub async fn try_spawn_app_at(backend: Backend, clock: impl Clock, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (pg_url, pg_schema) = match backend {
        Backend::Sqlite => (None, None),
        Backend::Postgres => {
            if !pg_available().await {
                return None;
            }
            let (u, s) = pg_schema().await;
            (Some(u), Some(s))
        }
    };
    let mut cfg = test_config(dir.path(), pg_url.clone());
    configure(&mut cfg);
    let (app, addr) = serve_config(cfg, clock).await;
    let client = web_client();
    Some(TestApp { base: format!("http://{addr}"), app, client, dir, backend, pg_url, pg_schema })
}

/// The database URL for `backend` in [`test_config`]: none on SQLite (the data directory holds
/// it), a schema of its own on PostgreSQL.
pub async fn database_url(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(pg_schema().await.0),
    }
}

/// Opens the app on `cfg` and `clock` and serves it on a free port of 127.0.0.1 (`cfg.listen`
/// is set to it): the app and its address.
pub async fn serve_config(mut cfg: Config, clock: impl Clock) -> (App, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    cfg.listen = addr;
    let app = App::open_with_clock(cfg, Arc::new(clock)).await.unwrap_or_else(|e| panic!("open app: {e:#}"));
    tokio::spawn(obhut_server::server::serve(app.clone(), listener));
    (app, addr)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    match try_spawn_app(backend).await {
        Some(a) => a,
        None => panic!("backend {backend:?} unavailable"),
    }
}

impl TestApp {
    pub async fn add_user(&self, name: &str, role: Role, password: &str) {
        obhut_server::services::users::add_user(&self.app, &Actor::cli(), name, role, password)
            .await
            .unwrap_or_else(|e| panic!("add user: {e}"));
    }

    /// A token that never expires (tests move the clock by years).
    pub async fn token(&self, user: &str) -> String {
        obhut_server::services::users::create_token(&self.app, &Actor::cli(), user, None, Some(0))
            .await
            .unwrap_or_else(|e| panic!("token: {e}"))
    }

    /// A user of `role` and a bearer token for it.
    pub async fn user_token(&self, name: &str, role: Role) -> String {
        self.add_user(name, role, PASSWORD).await;
        self.token(name).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API request with `token` and, if given, a JSON body: the status and the answer's JSON.
    pub async fn api(&self, method: reqwest::Method, token: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap_or_else(|e| panic!("send: {e}"));
        let status = r.status().as_u16();
        (status, json_body(r).await)
    }

    /// [`TestApp::api`] for a GET.
    pub async fn api_get(&self, token: &str, path: &str) -> (u16, Value) {
        self.api(reqwest::Method::GET, token, path, None).await
    }

    /// [`TestApp::api`] for a POST of `body`.
    pub async fn api_post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    /// A contact created over the API (which must answer 201); its id.
    pub async fn api_contact(&self, token: &str, body: Value) -> String {
        let (s, v) = self.api_post(token, "/api/v1/contacts", body).await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_string()
    }

    /// A b2c contact with one email address, created through the service as the API would; its id.
    pub async fn add_contact(&self, given: &str, family: &str, email: &str) -> String {
        let input = ContactInput {
            kind: Some("b2c".into()),
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            emails: Some(vec![EmailInput { address: email.into(), label: None, purposes: None }]),
            ..Default::default()
        };
        let origin = obhut_store::contacts::Origin { source: "api".into(), detail: None, import_run_id: None };
        let (c, _) = services::contacts::create(&self.app, &Actor::cli(), &input, origin).await.unwrap_or_else(|e| panic!("create: {e}"));
        c.id.to_string()
    }

    /// The audit events of one action (at most 200), or of every action for `""`.
    pub async fn audit_events(&self, action: &str) -> Vec<obhut_store::audit::AuditEvent> {
        let action = Some(action.to_string()).filter(|a| !a.is_empty());
        let filter = obhut_store::audit::AuditFilter { action, ..Default::default() };
        let page = services::Page::new(Some(200), None);
        services::audit::search(&self.app, &Actor::cli(), &filter, page).await.unwrap_or_else(|e| panic!("audit search: {e}")).0
    }

    /// The number a `SELECT COUNT(*) …` gives, straight from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        let mut c = self.app.store.pool.acquire().await.unwrap_or_else(|e| panic!("conn: {e}"));
        sqlx::query_as::<_, (i64,)>(sql).fetch_one(&mut *c).await.unwrap_or_else(|e| panic!("{sql}: {e}")).0
    }

    /// Runs a statement straight on the database, behind the services' back.
    pub async fn exec(&self, sql: &str) {
        let mut c = self.app.store.pool.acquire().await.unwrap_or_else(|e| panic!("conn: {e}"));
        sqlx::query(sql).execute(&mut *c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Every byte the database holds at rest: the SQLite files, or a pg_dump of the schema.
    pub async fn raw_bytes(&self) -> Vec<u8> {
        match self.backend {
            Backend::Sqlite => {
                let mut out = Vec::new();
                for entry in std::fs::read_dir(self.dir.path()).unwrap_or_else(|e| panic!("{e}")).flatten() {
                    if entry.path().is_file() {
                        out.extend(std::fs::read(entry.path()).unwrap_or_default());
                    }
                }
                out
            }
            Backend::Postgres => {
                let base = pg_base();
                let db_url = base.split('?').next().unwrap_or(&base).to_string();
                let schema = self.pg_schema.clone().unwrap_or_default();
                let out = tokio::process::Command::new("pg_dump")
                    .arg("--schema")
                    .arg(&schema)
                    .arg(&db_url)
                    .output()
                    .await
                    .unwrap_or_else(|e| panic!("pg_dump: {e}"));
                assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
                out.stdout
            }
        }
    }
}

/// An API answer's JSON, parsed strictly: a key repeated in any object fails the test (a
/// lenient parser keeps one of them silently). A body that is not JSON gives `Null`.
pub async fn json_body(r: reqwest::Response) -> serde_json::Value {
    let bytes = r.bytes().await.unwrap_or_default();
    match parse_strict(&bytes) {
        Ok(v) => v,
        Err(e) if e.to_string().contains("duplicate key") => {
            panic!("the answer repeats a key ({e}): {}", String::from_utf8_lossy(&bytes))
        }
        Err(_) => serde_json::Value::Null,
    }
}

/// Parses JSON like `serde_json::from_slice`, but refuses an object with a repeated key.
pub fn parse_strict(bytes: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = StrictValue::deserialize(&mut de)?;
    de.end()?;
    Ok(v.0)
}

struct StrictValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        serde::Deserialize::deserialize(d).map(|v: StrictValue| v.0)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

#[test]
fn the_strict_parser_refuses_a_repeated_key_and_reads_everything_else() {
    let e = parse_strict(br#"{"a": {"id": 1, "x": [1, 2.5, "s", null, true], "id": 2}}"#).expect_err("a repeated key");
    assert!(e.to_string().contains("duplicate key `id`"), "{e}");
    let v = parse_strict(br#"{"id": "1", "items": [{"id": 1}, {"id": 2}], "n": -3, "f": 2.5, "b": false, "z": null}"#).expect("parse");
    assert_eq!(v, serde_json::json!({"id": "1", "items": [{"id": 1}, {"id": 2}], "n": -3, "f": 2.5, "b": false, "z": null}));
    assert!(parse_strict(b"{} x").is_err(), "trailing characters");
}

// ---------------------------------------------------------------------------------------
// The web UI over plain HTTP: a cookie jar per user, the sign-in form, CSRF tokens.
// ---------------------------------------------------------------------------------------

/// A browser of its own for plain HTTP: a cookie jar, and redirects left to the test.
pub fn web_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap_or_else(|e| panic!("{e}"))
}

/// The value of `name="csrf"` in a page.
pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf field in the page: {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap_or_else(|| panic!("no end of the csrf value"))].to_string()
}

/// Signs `name` in through the login form in the browser `c`; the answer to the login POST.
pub async fn web_login(t: &TestApp, c: &reqwest::Client, name: &str, password: &str) -> reqwest::Response {
    let (_, page) = page(c, t, "/login").await;
    let token = csrf_in(&page);
    c.post(t.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", name), ("password", password), ("next", "/contacts")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("login: {e}"))
}

/// A browser of its own signed in as the user `name` (password [`PASSWORD`]), with the CSRF
/// token of its session (from the contact list).
pub async fn signed_in_as(t: &TestApp, name: &str) -> (reqwest::Client, String) {
    let c = web_client();
    let r = web_login(t, &c, name, PASSWORD).await;
    assert_eq!(r.status(), 303, "login must redirect");
    let (status, list) = page(&c, t, "/contacts").await;
    assert_eq!(status, 200);
    (c, csrf_in(&list))
}

/// A new user of `role`, and a browser signed in as it with its CSRF token.
pub async fn signed_in(t: &TestApp, name: &str, role: Role) -> (reqwest::Client, String) {
    t.add_user(name, role, PASSWORD).await;
    signed_in_as(t, name).await
}

/// A page fetched in the browser `c`: its status and its HTML.
pub async fn page(c: &reqwest::Client, t: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(t.url(path)).send().await.unwrap_or_else(|e| panic!("get {path}: {e}"));
    (r.status().as_u16(), r.text().await.unwrap_or_else(|e| panic!("body: {e}")))
}

/// A form posted in the browser `c`: the status, the `Location` (or "") and the body.
pub async fn send_form<F: serde::Serialize + ?Sized>(c: &reqwest::Client, t: &TestApp, path: &str, form: &F) -> (u16, String, String) {
    let r = c.post(t.url(path)).form(form).send().await.unwrap_or_else(|e| panic!("post {path}: {e}"));
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    (status, location, r.text().await.unwrap_or_else(|e| panic!("body: {e}")))
}

/// No inline styles or scripts (the CSP forbids them): the one script is the app's own file.
pub fn no_inline_code(html: &str) -> bool {
    !html.contains("style=") && !html.contains("<style") && html.matches("<script").count() == html.matches("<script src=\"/static/app.js\" defer></script>").count()
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub fn screenshot_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Runs a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if !$crate::common::pg_available().await {
                        return;
                    }
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}
