//! Files at rest (modes, delivered mails), security headers, session lifetimes and cookie
//! names, the serve loop's timeouts and connection limit, the metrics token, and imports
//! refused before their body is read.

use crate::common::{database_url, serve_config, test_config, Backend, PASSWORD};
use obhut_core::clock::ManualClock;
use obhut_core::user::Role;
use obhut_server::{services, Actor, App, Config};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use time::macros::datetime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

crate::on_both_backends!(
    a_fresh_data_directory_is_private_and_delivered_mail_files_do_not_stay,
    sessions_end_at_their_absolute_lifetime_however_busy,
    a_guest_import_is_refused_before_its_body_is_read,
);

/// A server on `clock` with its data in `dir`; on PostgreSQL a schema of its own.
async fn serve(b: Backend, dir: &std::path::Path, clock: &ManualClock, configure: impl FnOnce(&mut Config)) -> (App, std::net::SocketAddr) {
    let mut cfg = test_config(dir, database_url(b).await);
    configure(&mut cfg);
    serve_config(cfg, clock.clone()).await
}

fn clock() -> ManualClock {
    ManualClock::at(datetime!(2026-11-23 09:00 UTC))
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Sends raw bytes on a new connection and reads until the server closes it (or 10 s pass).
async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).to_string()
}

async fn a_fresh_data_directory_is_private_and_delivered_mail_files_do_not_stay(b: Backend) {
    let root = tempfile::tempdir().expect("dir");
    let dir = root.path().join("data");
    let clock = clock();
    let (app, addr) = serve(b, &dir, &clock, |_| {}).await;
    assert_eq!(mode(&dir), 0o700, "the data directory");
    assert_eq!(mode(&dir.join("master.key")), 0o600);
    if b == Backend::Sqlite {
        for f in ["obhut.db", "obhut.db-wal", "obhut.db-shm"] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
    }
    // A double opt-in mail, delivered by the file transport.
    services::users::add_user(&app, &Actor::cli(), "anna", Role::User, PASSWORD).await.expect("user");
    let token = services::users::create_token(&app, &Actor::cli(), "anna", None, None).await.expect("token");
    let base = format!("http://{addr}");
    let c = client();
    let r = c
        .post(format!("{base}/api/v1/contacts"))
        .bearer_auth(&token)
        .json(&json!({"family_name": "Post", "email": "post@example.org"}))
        .send()
        .await
        .expect("create");
    let id = crate::common::json_body(r).await["id"].as_str().expect("id").to_string();
    let r = c
        .post(format!("{base}/api/v1/contacts/{id}/consents/request"))
        .bearer_auth(&token)
        .json(&json!({"purpose": "newsletter"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 202);
    let outbox = dir.join("outbox");
    let emls = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect()
    };
    for _ in 0..100 {
        services::mail::deliver_due(&app).await.expect("deliver");
        if !emls().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let files = emls();
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&outbox), 0o700, "the outbox folder");
    assert_eq!(mode(&files[0]), 0o600, "a mail file holds an address and a live link");
    assert!(std::fs::read_dir(&outbox).expect("outbox").flatten().all(|e| !e.file_name().to_string_lossy().ends_with(".tmp")));
    // Its time over, the delivered file goes; the record that it was sent stays.
    assert_eq!(services::mail::remove_delivered_files(&app).await.expect("sweep"), 0, "not before its time");
    clock.advance(time::Duration::hours(app.config.outbox_file_hours + 1));
    // This sweep or the server's own minute sweep (it runs beside the test) removes it, once.
    assert!(services::mail::remove_delivered_files(&app).await.expect("sweep") <= 1);
    assert!(emls().is_empty(), "no delivered .eml file stays");
    let mut conn = app.store.pool.acquire().await.expect("conn");
    let (sent, removed): (i64, i64) =
        sqlx::query_as("SELECT COUNT(sent_at), COUNT(file_removed_at) FROM outbox").fetch_one(&mut *conn).await.expect("outbox");
    assert_eq!((sent, removed), (1, 1));
    drop(conn);
    assert_eq!(services::mail::remove_delivered_files(&app).await.expect("sweep"), 0, "each file once");
    // The queued body itself was sealed: nothing of the address in the database files.
    app.store.checkpoint().await.expect("checkpoint");
    if b == Backend::Sqlite {
        let db = std::fs::read(dir.join("obhut.db")).expect("db");
        assert!(!crate::common::contains(&db, "post@example.org"));
    }
}

async fn sessions_end_at_their_absolute_lifetime_however_busy(b: Backend) {
    let root = tempfile::tempdir().expect("dir");
    let clock = clock();
    let (app, _) = serve(b, root.path(), &clock, |_| {}).await;
    assert_eq!(app.config.session_absolute_hours, 12);
    services::users::add_user(&app, &Actor::cli(), "anna", Role::User, PASSWORD).await.expect("user");
    let (sid, _) = services::users::login(&app, "anna", PASSWORD).await.expect("login");
    // In use every half hour: the idle lifetime never ends it, the absolute one does.
    for _ in 0..23 {
        clock.advance(time::Duration::minutes(30));
        assert!(services::users::session(&app, &sid).await.is_ok(), "ended before 12 hours");
    }
    clock.advance(time::Duration::minutes(31));
    assert!(matches!(services::users::session(&app, &sid).await, Err(obhut_server::ServiceError::Unauthorized)));
    // A new sign-in starts a new twelve hours.
    let (sid, _) = services::users::login(&app, "anna", PASSWORD).await.expect("login");
    assert!(services::users::session(&app, &sid).await.is_ok());
}

async fn a_guest_import_is_refused_before_its_body_is_read(b: Backend) {
    let root = tempfile::tempdir().expect("dir");
    let (app, addr) = serve(b, root.path(), &clock(), |_| {}).await;
    services::users::add_user(&app, &Actor::cli(), "gast", Role::Guest, PASSWORD).await.expect("user");
    services::users::add_user(&app, &Actor::cli(), "anna", Role::User, PASSWORD).await.expect("user");
    let guest = services::users::create_token(&app, &Actor::cli(), "gast", None, None).await.expect("token");
    let user = services::users::create_token(&app, &Actor::cli(), "anna", None, None).await.expect("token");
    // The head announces more than the import limit; only a few bytes of the body follow.
    let head = |token: &str| {
        format!(
            "POST /api/v1/contacts/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\ngiven_name,family_name\r\n",
            obhut_server::server::IMPORT_LIMIT + 1
        )
    };
    let answer = raw(addr, head(&guest).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "a guest is refused, not told the body is too large: {answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let answer = raw(addr, head("obh_forged").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let answer = raw(addr, head(&user).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "whoever may import still meets the size limit: {answer}");
    // And a permitted import of a real file works as before.
    let r = client()
        .post(format!("http://{addr}/api/v1/contacts/import?file_name=k.csv"))
        .bearer_auth(&user)
        .header("content-type", "text/csv")
        .body("given_name,family_name,email\nImke,Import,imke@example.org\n")
        .send()
        .await
        .expect("import");
    let status = r.status().as_u16();
    let v = crate::common::json_body(r).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["imported"], 1, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_cut_off_after_the_header_read_timeout() {
    let root = tempfile::tempdir().expect("dir");
    let (_app, addr) = serve(Backend::Sqlite, root.path(), &clock(), |c| c.header_read_timeout_secs = 1).await;
    let start = std::time::Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1").await.expect("write");
    let mut out = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(8), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the connection is still open after 8 s");
    let waited = start.elapsed();
    assert!(waited >= std::time::Duration::from_millis(900), "closed before the timeout: {waited:?}");
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"), "the half request was not served");
    // A whole request is served as ever.
    let answer = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_connections_from_one_address_are_closed_at_once() {
    let root = tempfile::tempdir().expect("dir");
    let (_app, addr) = serve(Backend::Sqlite, root.path(), &clock(), |c| c.max_connections_per_ip = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
    }
    // The fourth is accepted and closed without an answer.
    let answer = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(answer, "", "a fourth connection is closed at once");
    // One closes: there is room again (once the server has seen it go).
    held.pop();
    let mut served = false;
    for _ in 0..100 {
        let answer = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if answer.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served, "a freed slot is given again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_and_host_prefixed_cookies_under_an_https_public_url_plain_names_under_http() {
    let root = tempfile::tempdir().expect("dir");
    let (app, addr) = serve(Backend::Sqlite, root.path(), &clock(), |c| c.public_url = Some("https://crm.example.de".into())).await;
    services::users::add_user(&app, &Actor::cli(), "anna", Role::User, PASSWORD).await.expect("user");
    let base = format!("http://{addr}");
    let c = client();
    let r = c.get(format!("{base}/login")).send().await.expect("login page");
    assert_eq!(r.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()), Some("max-age=31536000"));
    let csp = r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.contains("base-uri 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let set = |r: &reqwest::Response| -> Vec<String> {
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    };
    let cookies = set(&r);
    let csrf_cookie = cookies.iter().find(|c| c.starts_with("__Host-obhut_csrf=")).unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(csrf_cookie.contains("Secure") && csrf_cookie.contains("Path=/") && !csrf_cookie.contains("Domain"), "{csrf_cookie}");
    let csrf = csrf_cookie["__Host-obhut_csrf=".len()..].split(';').next().expect("value").to_string();
    // (A browser sends Secure cookies over https only; the test sends them by hand.)
    let r = c
        .post(format!("{base}/login"))
        .header("cookie", format!("__Host-obhut_csrf={csrf}"))
        .form(&[("csrf", csrf.as_str()), ("username", "anna"), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status().as_u16(), 303);
    let cookies = set(&r);
    let session = cookies.iter().find(|c| c.starts_with("__Host-obhut_session=")).unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("Path=/"), "{session}");
    assert!(cookies.iter().any(|c| c.starts_with("__Host-obhut_device=") && c.contains("Secure")), "{cookies:?}");
    let sid = session["__Host-obhut_session=".len()..].split(';').next().expect("value").to_string();
    let r = c.get(format!("{base}/contacts")).header("cookie", format!("__Host-obhut_session={sid}")).send().await.expect("contacts");
    assert_eq!(r.status().as_u16(), 200, "the prefixed session cookie is the one read");
    let page = r.text().await.expect("page");
    let at = page.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
    let session_csrf = page[at..].split('"').next().expect("csrf").to_string();
    let r = c.get(format!("{base}/contacts")).header("cookie", format!("obhut_session={sid}")).send().await.expect("contacts");
    assert_eq!(r.status().as_u16(), 303, "the plain name means nothing under https");
    // Signing out removes it the only way a browser accepts for a __Host- cookie.
    let r = c
        .post(format!("{base}/logout"))
        .header("cookie", format!("__Host-obhut_session={sid}"))
        .form(&[("csrf", session_csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status().as_u16(), 303);
    let cookies = set(&r);
    let gone = cookies.iter().find(|c| c.starts_with("__Host-obhut_session=")).unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(gone.contains("Secure") && gone.contains("Path=/") && gone.contains("Max-Age=0"), "{gone}");

    // Under http: no HSTS, plain names.
    let root2 = tempfile::tempdir().expect("dir");
    let (_app2, addr2) = serve(Backend::Sqlite, root2.path(), &clock(), |_| {}).await;
    let r = c.get(format!("http://{addr2}/login")).send().await.expect("login page");
    assert!(r.headers().get("strict-transport-security").is_none());
    assert!(r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").contains("base-uri 'none'"));
    let cookies = set(&r);
    assert!(cookies.iter().any(|c| c.starts_with("obhut_csrf=") && !c.contains("Secure")), "{cookies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_their_token_or_their_own_listener() {
    const TOKEN: &str = "metrics-token-for-the-test-0123";
    let root = tempfile::tempdir().expect("dir");
    let (_app, addr) = serve(Backend::Sqlite, root.path(), &clock(), |c| c.metrics_token = Some(TOKEN.to_string().into())).await;
    let c = client();
    let url = format!("http://{addr}/metrics");
    let r = c.get(&url).send().await.expect("metrics");
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    assert_eq!(c.get(&url).bearer_auth("wrong-token-of-the-same-size-01").send().await.expect("metrics").status().as_u16(), 401);
    let r = c.get(&url).bearer_auth(TOKEN).send().await.expect("metrics");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap_or_default().contains("obhut_http_requests_total"));
    // Without a token, the public listener refuses; a listener of its own serves.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port");
    let root2 = tempfile::tempdir().expect("dir");
    let (_app2, addr2) = serve(Backend::Sqlite, root2.path(), &clock(), |c| c.metrics_listen = Some(port)).await;
    assert_eq!(c.get(format!("http://{addr2}/metrics")).send().await.expect("metrics").status().as_u16(), 401);
    let mut ok = false;
    for _ in 0..50 {
        if let Ok(r) = c.get(format!("http://{port}/metrics")).send().await {
            ok = r.status().as_u16() == 200;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(ok, "the metrics listener answers without a token");
    assert_eq!(
        c.get(format!("http://{port}/api/v1/contacts")).send().await.expect("get").status().as_u16(),
        404,
        "and serves nothing else"
    );
}
