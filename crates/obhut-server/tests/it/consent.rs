//! The consent ledger end to end: double opt-in over a real SMTP server on loopback, tokens
//! that are single-use and expire, withdrawal and objection with the suppression list, the
//! UWG rules in audiences, the export as a disclosure, the review of old consents.

use crate::common::{try_spawn_app_with, Backend, TestApp};
use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

crate::on_both_backends!(
    double_opt_in_over_a_real_smtp_server,
    an_smtp_outage_or_refusal_loses_no_mail_and_sends_none_twice,
    expired_reused_forged_and_withdrawn_confirmations_change_nothing,
    requests_are_limited_per_address,
    bad_consent_input_is_refused_and_writes_nothing,
    an_objection_blocks_the_channel_and_survives_erasure,
    the_export_is_a_disclosure_and_unsubscribe_is_one_click,
    uwg_channel_rules_decide_the_audience,
    an_audience_decides_the_same_whatever_its_batches,
    old_consents_come_up_for_review_and_are_renewed_by_mail,
    the_public_sign_up_reveals_nothing_and_forgets_the_unconfirmed,
);

/// A mail the test SMTP server accepted: the envelope recipients and the message.
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

#[derive(Clone)]
struct Smtp {
    inbox: Inbox,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Smtp {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("refuse") {
            return response::NO_MAILBOX;
        }
        response::OK
    }
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let text = String::from_utf8_lossy(&self.data).to_string();
        self.inbox.lock().unwrap().push((self.to.clone(), text));
        response::OK
    }
}

/// Starts a real SMTP server on `listener` in its own threads.
fn smtp_server(listener: std::net::TcpListener) -> Inbox {
    let inbox: Inbox = Arc::new(Mutex::new(Vec::new()));
    let mut server = Server::new(Smtp { inbox: inbox.clone(), to: vec![], data: vec![] });
    server.with_name("mx.test").with_ssl(SslConfig::None).expect("ssl").with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    inbox
}

async fn app_with_smtp(b: Backend) -> Option<(TestApp, Inbox, u16)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox = smtp_server(listener);
    let t = try_spawn_app_with(b, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_from = Some("Beispiel GmbH <info@beispiel.test>".into());
        c.smtp_timeout_secs = 2;
    })
    .await?;
    Some((t, inbox, port))
}

async fn file_app(b: Backend) -> Option<TestApp> {
    try_spawn_app_with(b, |_| {}).await
}

async fn audience(t: &TestApp, purpose: &str, channel: &str) -> services::consent::AudienceSummary {
    services::consent::audience(&t.app, &Actor::cli(), purpose, channel, None, &Default::default()).await.expect("audience")
}

/// Waits until the inbox holds `n` mails (the server's worker delivers).
async fn wait_for(inbox: &Inbox, n: usize) -> Vec<(Vec<String>, String)> {
    for _ in 0..200 {
        if inbox.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    inbox.lock().unwrap().clone()
}

/// The path of the first link of a kind in a mail (quoted-printable soft breaks undone).
fn link(mail: &str, kind: &str) -> Option<String> {
    let text = mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let at = text.find(&format!("/consent/{kind}/"))?;
    Some(text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/-_.".contains(*c)).collect())
}

/// Waits until the outbox has delivered (or given up on) everything queued.
async fn settle(t: &TestApp) {
    for _ in 0..200 {
        services::mail::deliver_due(&t.app).await.expect("deliver");
        if t.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the outbox did not settle");
}

async fn post_form(t: &TestApp, path: &str, body: &str) -> (u16, String) {
    let r = t
        .client
        .post(t.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", "Testbrowser/1.0")
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

async fn double_opt_in_over_a_real_smtp_server(b: Backend) {
    let Some((t, inbox, _)) = app_with_smtp(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let id = t.api_contact(&token, json!({"given_name": "Nina", "family_name": "Neu", "email": "nina@example.org"})).await;
    assert_eq!(audience(&t, "newsletter", "email").await.permitted, 0);
    let (s, v) = t.api_post(&token, &format!("/api/v1/contacts/{id}/consents/request"), json!({"purpose": "newsletter"})).await;
    assert_eq!(s, 202, "{v}");
    let mails = wait_for(&inbox, 1).await;
    assert_eq!(mails.len(), 1, "one mail over SMTP");
    let (to, mail) = &mails[0];
    assert_eq!(to, &vec!["nina@example.org".to_string()]);
    assert!(mail.contains("Content-Language: de") && mail.contains("Bitte best"), "{mail}");
    let confirm = link(mail, "confirm").expect("confirmation link");
    // Pending: not in the audience, and opening the link (a mail scanner's GET) confirms nothing.
    let page = t.client.get(t.url(&confirm)).send().await.expect("get");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("<form method=\"post\"") && html.contains("Newsletter"), "{html}");
    let a = audience(&t, "newsletter", "email").await;
    assert_eq!((a.permitted, a.excluded_by_reason.get("no_consent").copied()), (0, Some(1)));
    let (s, html) = post_form(&t, &confirm, "").await;
    assert_eq!(s, 200, "{html}");
    let a = audience(&t, "newsletter", "email").await;
    assert_eq!((a.permitted, a.permitted_by_reason.get("consent").copied()), (1, Some(1)));
    // The ledger: requested then confirmed, evidence with a truncated IP and the user agent.
    let (_, o) = t.api_get(&token, &format!("/api/v1/contacts/{id}/consents")).await;
    let kinds: Vec<&str> = o["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["requested", "confirmed"]);
    let ev = &o["events"][1]["evidence"];
    assert_eq!(ev["ip"], "127.0.0.0", "{o}");
    assert_eq!(ev["user_agent"], "Testbrowser/1.0");
    assert!(ev["confirmed_at"].is_i64());
    assert_eq!(o["consents"][0]["dpv"], "dpv:ConsentGiven");
    let perm = o["permissions"]
        .as_array()
        .expect("p")
        .iter()
        .find(|p| p["purpose"] == "newsletter" && p["channel"] == "email")
        .cloned()
        .expect("perm");
    assert_eq!((perm["allowed"].as_bool(), perm["reason"].as_str()), (Some(true), Some("consent")));
    // The receipt names the notice by version and hash.
    let (s, r) = t.api_get(&token, &format!("/api/v1/contacts/{id}/consents/receipt?purpose=newsletter&channel=email")).await;
    assert_eq!(s, 200, "{r}");
    let text = r["notice"]["text"].as_str().expect("notice text");
    assert_eq!(r["notice"]["sha256"].as_str(), Some(obhut_store::consent::notice_hash(text).as_str()));
    assert_eq!(r["status"]["dpv"], "dpv:ConsentGiven");
    assert_eq!(r["notice"]["version"], 1);
    // The confirmed address now serves the newsletter (purpose binding).
    let (_, c) = t.api_get(&token, &format!("/api/v1/contacts/{id}?purpose=newsletter")).await;
    assert_eq!(c["emails"][0]["address"], "nina@example.org", "{c}");
    // Nothing is sent twice, and the delivered body is gone from the database.
    services::mail::deliver_due(&t.app).await.expect("deliver");
    assert_eq!(inbox.lock().unwrap().len(), 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND sealed IS NULL").await, 1);
    // Withdrawal through the API takes the contact out again.
    let (s, v) =
        t.api_post(&token, &format!("/api/v1/contacts/{id}/consents/withdraw"), json!({"purpose": "newsletter", "channel": "email"})).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(audience(&t, "newsletter", "email").await.permitted, 0);
    assert!(!t.raw_bytes().await.windows(b"nina@example.org".len()).any(|w| w == b"nina@example.org"), "no address in plaintext at rest");
}

async fn an_smtp_outage_or_refusal_loses_no_mail_and_sends_none_twice(b: Backend) {
    // A server that accepts connections and never answers: the attempt times out.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hang.local_addr().expect("addr").port();
    let Some(t) = try_spawn_app_with(b, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_from = Some("info@beispiel.test".into());
        c.smtp_timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    let id =
        t.api_contact(&t.user_token("anna", Role::User).await, json!({"family_name": "Ausfall", "email": "ausfall@example.org"})).await;
    services::consent::request(&t.app, &Actor::cli(), &id, "newsletter", "email", None, None, None).await.expect("request");
    // Accept (and hold) whatever connects, so the client waits for a greeting that never comes.
    let held = std::thread::spawn(move || {
        let mut v = Vec::new();
        hang.set_nonblocking(false).ok();
        for s in hang.incoming().take(1).flatten() {
            std::thread::sleep(std::time::Duration::from_secs(3));
            v.push(s);
        }
    });
    for _ in 0..100 {
        if t.count("SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = held.join();
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND sealed IS NOT NULL AND last_error IS NOT NULL"
        )
        .await,
        1,
        "kept for a retry"
    );
    // Now the mail server is back on the same port: the retry delivers it, once.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("rebind");
    let inbox = smtp_server(listener);
    t.exec("UPDATE outbox SET next_attempt_at = 0").await;
    let mails = wait_for(&inbox, 1).await;
    assert_eq!(mails.len(), 1);
    services::mail::deliver_due(&t.app).await.expect("deliver");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(inbox.lock().unwrap().len(), 1, "sent once");
    // A permanent refusal (550) is kept as failed with the reason, not retried.
    let id2 =
        t.api_contact(&t.user_token("bert", Role::User).await, json!({"family_name": "Abweisung", "email": "refuse@example.org"})).await;
    services::consent::request(&t.app, &Actor::cli(), &id2, "newsletter", "email", None, None, None).await.expect("request");
    for _ in 0..100 {
        if t.count("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut c = t.app.store.pool.acquire().await.expect("conn");
    let list = obhut_store::consent::list_outbox(&mut c, 10).await.expect("list");
    let failed = list.iter().find(|m| m.failed_at.is_some()).expect("a failed mail");
    assert!(failed.last_error.as_deref().unwrap_or("").contains("550"), "{failed:?}");
}

async fn expired_reused_forged_and_withdrawn_confirmations_change_nothing(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let id = t.api_contact(&token, json!({"family_name": "Link", "email": "link@example.org"})).await;
    let outbox = t.dir.path().join("outbox");
    let mail_link = || -> String {
        let mut files: Vec<_> = std::fs::read_dir(&outbox)
            .expect("outbox")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        link(&std::fs::read_to_string(files.last().expect("a mail")).expect("read"), "confirm").expect("link")
    };
    let events = |t: &TestApp| {
        let t = t.app.clone();
        async move {
            let mut c = t.store.pool.acquire().await.expect("conn");
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM consent_events").fetch_one(&mut *c).await.expect("count").0
        }
    };
    // Expired.
    services::consent::request(&t.app, &Actor::cli(), &id, "newsletter", "email", None, None, None).await.expect("request");
    settle(&t).await;
    let first = mail_link();
    t.exec("UPDATE consent_tokens SET expires_at = 1").await;
    let before = events(&t).await;
    let (s, html) = post_form(&t, &first, "").await;
    assert_eq!(s, 410, "{html}");
    assert!(html.contains("abgelaufen"), "{html}");
    assert_eq!(events(&t).await, before);
    // Forged.
    let (s, _) = post_form(&t, "/consent/confirm/forged-token-000", "").await;
    assert_eq!(s, 404);
    // Withdrawn after the request: the confirmation is refused and nothing is written.
    services::consent::request(&t.app, &Actor::cli(), &id, "newsletter", "email", Some("events"), None, None).await.expect("request");
    settle(&t).await;
    let second = mail_link();
    services::consent::withdraw(&t.app, &Actor::cli(), &id, "newsletter", "email", Some("events"), None).await.expect("withdraw");
    let before = events(&t).await;
    let (s, html) = post_form(&t, &second, "").await;
    assert_eq!(s, 409, "{html}");
    assert_eq!(events(&t).await, before);
    // Reused: the first use confirms, the second answers "used" and writes nothing.
    services::consent::request(&t.app, &Actor::cli(), &id, "newsletter", "email", Some("products"), None, None).await.expect("request");
    settle(&t).await;
    let third = mail_link();
    let (s, _) = post_form(&t, &third, "").await;
    assert_eq!(s, 200);
    let before = events(&t).await;
    let (s, _) = post_form(&t, &third, "").await;
    assert_eq!(s, 409);
    assert_eq!(events(&t).await, before);
    let a =
        services::consent::audience(&t.app, &Actor::cli(), "newsletter", "email", Some("products"), &Default::default()).await.expect("a");
    assert_eq!(a.permitted, 1);
}

async fn requests_are_limited_per_address(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let id = t.api_contact(&token, json!({"family_name": "Flut", "email": "flut@example.org"})).await;
    let path = format!("/api/v1/contacts/{id}/consents/request");
    for _ in 0..3 {
        let (s, v) = t.api_post(&token, &path, json!({"purpose": "newsletter"})).await;
        assert_eq!(s, 202, "{v}");
    }
    let r = t.client.post(t.url(&path)).bearer_auth(&token).json(&json!({"purpose": "newsletter"})).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").starts_with("application/problem+json"));
    // The same address on another contact counts too.
    let other = t.api_contact(&token, json!({"family_name": "Flut2", "email": "FLUT@example.org"})).await;
    let (s, _) = t.api_post(&token, &format!("/api/v1/contacts/{other}/consents/request"), json!({"purpose": "newsletter"})).await;
    assert_eq!(s, 429);
    assert_eq!(t.count("SELECT COUNT(*) FROM outbox").await, 3);
    assert_eq!(t.count("SELECT COUNT(*) FROM consent_events").await, 3);
}

async fn bad_consent_input_is_refused_and_writes_nothing(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let id = t.api_contact(&token, json!({"family_name": "Falsch", "email": "falsch@example.org", "phone": "+49 30 1234567"})).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("request", json!({"purpose": "nope"}), "purpose"),
        ("request", json!({"purpose": "contract"}), "purpose"),
        ("request", json!({"purpose": "newsletter", "channel": "fax"}), "channel"),
        ("request", json!({"purpose": "newsletter", "channel": "phone"}), "channel"),
        ("request", json!({"purpose": "newsletter", "address": "other@example.org"}), "address"),
        ("request", json!({"purpose": "newsletter", "topic": "Bad Topic!"}), "topic"),
        ("", json!({"purpose": "phone_marketing", "channel": "phone", "kind": "given", "method": "recorded_call"}), "recording_ref"),
        ("", json!({"purpose": "newsletter", "channel": "email", "kind": "happy"}), "kind"),
        ("", json!({"purpose": "newsletter", "channel": "email", "kind": "confirmed"}), "note"),
        ("", json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "web_form_double_opt_in"}), "method"),
        (
            "",
            json!({"purpose": "phone_marketing", "channel": "phone", "kind": "basis_recorded", "presumed_consent_reason": "Messe"}),
            "presumed_consent_reason",
        ),
    ];
    for (sub, body, field) in cases {
        let path = if sub.is_empty() { format!("/api/v1/contacts/{id}/consents") } else { format!("/api/v1/contacts/{id}/consents/{sub}") };
        let (s, v) = t.api_post(&token, &path, body.clone()).await;
        assert_eq!(s, 422, "{body} → {v}");
        assert_eq!(v["errors"][0]["field"], field, "{body} → {v}");
    }
    // An out-of-band confirmation needs a pending request.
    let (s, v) = t
        .api_post(
            &token,
            &format!("/api/v1/contacts/{id}/consents"),
            json!({"purpose": "newsletter", "channel": "email", "kind": "confirmed", "note": "said so on the phone"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(t.count("SELECT COUNT(*) FROM consent_events").await, 0);
    assert_eq!(t.count("SELECT COUNT(*) FROM outbox").await, 0);
    // A guest may not record consent.
    let guest = t.user_token("gast", Role::Guest).await;
    let (s, _) =
        t.api_post(&guest, &format!("/api/v1/contacts/{id}/consents/withdraw"), json!({"purpose": "newsletter", "channel": "email"})).await;
    assert_eq!(s, 403);
}

async fn an_objection_blocks_the_channel_and_survives_erasure(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let given =
        json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "paper", "recording_ref": "Ordner 7, Blatt 3"});
    let id = t.api_contact(&token, json!({"family_name": "Widerspruch", "email": "nein@example.org"})).await;
    let (s, v) = t.api_post(&token, &format!("/api/v1/contacts/{id}/consents"), given.clone()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(audience(&t, "newsletter", "email").await.permitted, 1);
    let (s, v) = t.api_post(&token, &format!("/api/v1/contacts/{id}/consents"), json!({"channel": "email", "kind": "objected"})).await;
    assert_eq!(s, 201, "{v}");
    let a = audience(&t, "newsletter", "email").await;
    assert_eq!((a.permitted, a.excluded_by_reason.get("objected").copied()), (0, Some(1)), "the objection wins over the consent");
    // Post is another channel: still allowed under legitimate interest.
    assert_eq!(audience(&t, "postal_marketing", "post").await.excluded_by_reason.get("objected"), None);
    // Erased and imported again: the suppression list still blocks the address.
    let r = t.client.delete(t.url(&format!("/api/v1/contacts/{id}"))).bearer_auth(&token).send().await.expect("delete");
    assert!(r.status().is_success());
    // The proof of consent outlives the contact (its evidence has its own key).
    let mut c = t.app.store.pool.acquire().await.expect("conn");
    let kept = obhut_store::consent::events_for_contact(&mut c, &t.app.store.crypto, &id).await.expect("events");
    drop(c);
    assert_eq!(kept[0].evidence.as_ref().and_then(|e| e.recording_ref.as_deref()), Some("Ordner 7, Blatt 3"));
    let again = t.api_contact(&token, json!({"family_name": "Wieder", "email": "Nein@Example.org"})).await;
    let (s, _) = t.api_post(&token, &format!("/api/v1/contacts/{again}/consents"), given).await;
    assert_eq!(s, 201);
    let a = audience(&t, "newsletter", "email").await;
    assert_eq!((a.permitted, a.excluded_by_reason.get("objected").copied()), (0, Some(1)));
    let (s, v) = t.api_post(&token, &format!("/api/v1/contacts/{again}/consents/request"), json!({"purpose": "newsletter"})).await;
    assert_eq!(s, 409, "no double opt-in mail to an objector: {v}");
    assert!(services::consent::is_suppressed(&t.app, obhut_core::consent::Channel::Email, "nein@example.org").await.expect("s"));
}

async fn the_export_is_a_disclosure_and_unsubscribe_is_one_click(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let given = json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "paper", "recording_ref": "Scan 4711"});
    let a = t.api_contact(&token, json!({"family_name": "Alpha", "email": "alpha@example.org"})).await;
    let z = t.api_contact(&token, json!({"family_name": "Zulu", "email": "zulu@example.org"})).await;
    for id in [&a, &z] {
        let (s, _) = t.api_post(&token, &format!("/api/v1/contacts/{id}/consents"), given.clone()).await;
        assert_eq!(s, 201);
    }
    // Restricted (Art. 18, by an administrator: a data subject right): never in an audience.
    let admin = t.user_token("chef", Role::Admin).await;
    let r = t
        .client
        .put(t.url(&format!("/api/v1/contacts/{z}/restriction")))
        .bearer_auth(&admin)
        .json(&json!({"restricted": true, "reason": "Richtigkeit bestritten"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 200);
    let r = t
        .client
        .get(t.url("/api/v1/audiences/export?purpose=newsletter&channel=email&recipient=Versanddienst%20GmbH"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap_or_default();
    assert!(csv.starts_with("contact_id,") && csv.contains("alpha@example.org") && !csv.contains("zulu@example.org"), "{csv}");
    let unsubscribe = csv.lines().nth(1).and_then(|l| l.split(',').next_back()).expect("unsubscribe url").to_string();
    let path = format!("/consent/unsubscribe/{}", unsubscribe.rsplit('/').next().expect("token"));
    // Logged as a disclosure to the recipient, and a use of the consent.
    let filter = obhut_store::audit::AuditFilter { action: Some("audience.export".into()), ..Default::default() };
    let ev = services::audit::search(&t.app, &Actor::cli(), &filter, services::Page::default()).await.expect("audit").0;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].entry.recipient.as_deref(), Some("Versanddienst GmbH"));
    assert!(ev[0].entry.fields.contains(&"rows=1".to_string()), "{:?}", ev[0].entry.fields);
    assert_eq!(t.count("SELECT COUNT(*) FROM consent_uses").await, 1);
    let excluded = t
        .client
        .get(t.url("/api/v1/audiences/export?purpose=newsletter&channel=email&excluded=true"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("x");
    assert!(excluded.text().await.unwrap_or_default().contains(&format!("{z},restricted,")));
    // RFC 8058 one-click: a POST with List-Unsubscribe=One-Click withdraws at once.
    let (s, html) = post_form(&t, &path, "List-Unsubscribe=One-Click").await;
    assert_eq!(s, 200, "{html}");
    let sum = audience(&t, "newsletter", "email").await;
    assert_eq!((sum.permitted, sum.excluded_by_reason.get("no_consent").copied()), (0, Some(1)));
    // An altered token is refused.
    let mut forged = path.clone();
    forged.push('x');
    let (s, _) = post_form(&t, &forged, "List-Unsubscribe=One-Click").await;
    assert_eq!(s, 404);
    // The page offers an objection too; with it the channel is blocked.
    let (s, _) = post_form(&t, &path, "object=yes").await;
    assert_eq!(s, 200);
    let (_, o) = t.api_get(&token, &format!("/api/v1/contacts/{a}/consents")).await;
    assert_eq!(o["objections"], json!(["email"]), "{o}");
}

async fn uwg_channel_rules_decide_the_audience(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let (s, org) = t.api_post(&token, "/api/v1/organizations", json!({"name": "Hydraulik AG"})).await;
    assert_eq!(s, 201, "{org}");
    let b2b = t.api_contact(&token, json!({"family_name": "Einkauf", "phone": "+49 30 5555555", "organization_id": org["id"]})).await;
    let b2c = t.api_contact(&token, json!({"family_name": "Privat", "phone": "+49 30 6666666", "email": "privat@example.org"})).await;
    let rec = |id: &str, body: Value| {
        let (t, token, id) = (&t, token.clone(), id.to_string());
        async move { t.api_post(&token, &format!("/api/v1/contacts/{id}/consents"), body).await }
    };
    // Business phone: presumed consent with its recorded reason.
    let (s, v) = rec(&b2b, json!({"purpose": "b2b_prospecting", "channel": "phone", "kind": "basis_recorded", "presumed_consent_reason": "Anfrage auf der Messe zu Pumpen"})).await;
    assert_eq!(s, 201, "{v}");
    let a = audience(&t, "b2b_prospecting", "phone").await;
    assert_eq!(a.permitted_by_reason.get("presumed_consent").copied(), Some(1), "{a:?}");
    assert_eq!(a.excluded_by_reason.get("no_consent").copied(), Some(1), "the consumer needs consent: {a:?}");
    // Consumer email under § 7(3) with all four conditions recorded.
    let four = json!({"address_from_sale": true, "own_similar_products": true, "notice_at_collection": true, "notice_in_every_mail": true});
    let (s, v) = rec(&b2c, json!({"purpose": "newsletter", "channel": "email", "kind": "basis_recorded", "existing_customer": four})).await;
    assert_eq!(s, 201, "{v}");
    let a = audience(&t, "newsletter", "email").await;
    assert_eq!(a.permitted_by_reason.get("existing_customer").copied(), Some(1), "{a:?}");
    // Post: legitimate interest until objection.
    let a = audience(&t, "postal_marketing", "post").await;
    assert_eq!(a.permitted_by_reason.get("legitimate_interest_post").copied(), Some(2), "{a:?}");
    // Consumer phone with consent given in a recorded call.
    let (s, _) = rec(&b2c, json!({"purpose": "phone_marketing", "channel": "phone", "kind": "given", "method": "recorded_call", "recording_ref": "Aufnahme 2026-11-23-0815"})).await;
    assert_eq!(s, 201);
    assert_eq!(audience(&t, "phone_marketing", "phone").await.permitted_by_reason.get("consent").copied(), Some(1));
}

/// The audience walk joins contacts and ledger batch by batch (on SQLite on two threads): every
/// batch size gives the same decisions, in id order, whoever's events straddle a boundary.
async fn an_audience_decides_the_same_whatever_its_batches(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let rec = |id: String, body: Value| {
        let (t, token) = (&t, token.clone());
        async move {
            let (s, v) = t.api_post(&token, &format!("/api/v1/contacts/{id}/consents"), body).await;
            assert_eq!(s, 201, "{v}");
        }
    };
    let given = json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "paper", "recording_ref": "Karte"});
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(t.api_contact(&token, json!({"family_name": format!("Stapel{i}"), "email": format!("stapel{i}@example.org")})).await);
    }
    // 0: consent. 1: objected, consented, objection lifted. 2: consent, then an objection.
    // 3: nothing. 4: consent withdrawn. 5: consent to another topic only. 6: consent.
    rec(ids[0].clone(), given.clone()).await;
    rec(ids[1].clone(), json!({"channel": "email", "kind": "objected"})).await;
    rec(ids[1].clone(), given.clone()).await;
    rec(ids[1].clone(), json!({"channel": "email", "kind": "objection_lifted", "note": "Widerspruch schriftlich zurückgenommen"})).await;
    rec(ids[2].clone(), given.clone()).await;
    rec(ids[2].clone(), json!({"channel": "email", "kind": "objected"})).await;
    rec(ids[4].clone(), given.clone()).await;
    rec(ids[4].clone(), json!({"purpose": "newsletter", "channel": "email", "kind": "withdrawn"})).await;
    rec(ids[5].clone(), json!({"purpose": "newsletter", "channel": "email", "topic": "events", "kind": "given", "method": "paper", "recording_ref": "Karte"})).await;
    rec(ids[6].clone(), given).await;
    let mut expected: Vec<(String, bool, &str)> = vec![
        (ids[0].clone(), true, "consent"),
        (ids[1].clone(), true, "consent"),
        (ids[2].clone(), false, "objected"),
        (ids[3].clone(), false, "no_consent"),
        (ids[4].clone(), false, "no_consent"),
        (ids[5].clone(), false, "no_consent"),
        (ids[6].clone(), true, "consent"),
    ];
    expected.sort();
    for batch in [1, 2, 3, 20_000] {
        let actor = Actor::cli();
        let mut scan =
            services::consent::audience_scan(&t.app, &actor, "newsletter", "email", None, &Default::default()).await.expect("scan");
        scan.batch_size(batch);
        let mut got = Vec::new();
        while let Some(members) = scan.next_batch().await.expect("batch") {
            got.extend(members.into_iter().map(|m| (m.contact_id, m.allowed, m.reason.code())));
        }
        assert_eq!(got, expected, "batches of {batch}");
        assert_eq!((scan.summary.permitted, scan.summary.excluded), (3, 4), "batches of {batch}");
    }
}

async fn old_consents_come_up_for_review_and_are_renewed_by_mail(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let token = t.user_token("anna", Role::User).await;
    let old = t.api_contact(&token, json!({"family_name": "Alt", "email": "alt@example.org"})).await;
    let fresh = t.api_contact(&token, json!({"family_name": "Frisch", "email": "frisch@example.org"})).await;
    for id in [&old, &fresh] {
        let (s, _) = t
            .api_post(
                &token,
                &format!("/api/v1/contacts/{id}/consents"),
                json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "paper", "recording_ref": "Karte"}),
            )
            .await;
        assert_eq!(s, 201);
    }
    // 25 months ago.
    let past = t.app.now_ms() - 25 * 30 * 86_400_000;
    t.exec(&format!("UPDATE consent_events SET at = {past} WHERE contact_id = '{old}'")).await;
    let dpo = t.user_token("dpo", Role::Dpo).await;
    let (s, q) = t.api_get(&dpo, "/api/v1/consents/review").await;
    assert_eq!(s, 200, "{q}");
    let due: Vec<&str> = q.as_array().expect("list").iter().filter_map(|i| i["contact_id"].as_str()).collect();
    assert_eq!(due, vec![old.as_str()]);
    let (s, r) = t.api_post(&dpo, "/api/v1/consents/review", json!({"send": true})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["mails_queued"], 1);
    settle(&t).await;
    let file = std::fs::read_dir(t.dir.path().join("outbox")).expect("outbox").flatten().next().expect("mail").path();
    let confirm = link(&std::fs::read_to_string(file).expect("read"), "confirm").expect("link");
    let (s, html) = post_form(&t, &confirm, "").await;
    assert_eq!(s, 200, "{html}");
    let (_, o) = t.api_get(&token, &format!("/api/v1/contacts/{old}/consents")).await;
    assert_eq!(o["consents"][0]["dpv"], "dpv:RenewedConsentGiven", "{o}");
    let (_, q) = t.api_get(&dpo, "/api/v1/consents/review").await;
    assert_eq!(q, json!([]), "renewed: no longer due");
    // Expiry ends a due consent.
    t.exec(&format!("UPDATE consent_events SET at = {past} WHERE contact_id = '{fresh}'")).await;
    let (s, r) = t.api_post(&dpo, "/api/v1/consents/review", json!({"expire": true})).await;
    assert_eq!((s, r["expired"].as_i64()), (200, Some(1)), "{r}");
    let (_, o) = t.api_get(&token, &format!("/api/v1/contacts/{fresh}/consents")).await;
    assert_eq!(o["consents"][0]["dpv"], "dpv:ConsentExpired");
}

async fn sign_up(t: &TestApp, body: &str) -> (u16, String) {
    post_form(t, "/consent/subscribe", body).await
}

async fn the_public_sign_up_reveals_nothing_and_forgets_the_unconfirmed(b: Backend) {
    let Some(t) = file_app(b).await else { return };
    let page = t.client.get(t.url("/consent/subscribe?purpose=newsletter")).send().await.expect("get");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("id=\"subscribe-form\"") && html.contains("id=\"notice-text\"") && html.contains("widerrufen"), "{html}");
    for bad in ["/consent/subscribe?purpose=contract", "/consent/subscribe?purpose=nope"] {
        assert_eq!(t.client.get(t.url(bad)).send().await.expect("get").status().as_u16(), 404, "{bad}");
    }
    // A stranger's address, a known contact's and a repeated one all get the same answer.
    let token = t.user_token("anna", Role::User).await;
    t.api_contact(&token, json!({"family_name": "Bekannt", "email": "bekannt@example.org"})).await;
    let answer = |html: &str| html.contains("Bestätigungs-E-Mail unterwegs");
    let (s, new) = sign_up(&t, "purpose=newsletter&email=neu%40example.org&given_name=Nora").await;
    assert_eq!(s, 200, "{new}");
    let (s2, known) = sign_up(&t, "purpose=newsletter&email=bekannt%40example.org&family_name=B").await;
    assert_eq!(s2, 200);
    assert!(answer(&new) && answer(&known));
    for _ in 0..3 {
        let (s, again) = sign_up(&t, "purpose=newsletter&email=neu%40example.org&family_name=Neu").await;
        assert_eq!(s, 200);
        assert!(answer(&again), "a flood of requests for one address looks the same");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM consent_tokens").await, 4, "three for the new address (the daily limit), one for the known");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM contacts WHERE origin_source = 'web_form'").await,
        1,
        "the stranger once; the known contact stays as it was"
    );
    // A malformed address is said, and nothing is stored.
    let (s, html) = sign_up(&t, "purpose=newsletter&email=kein-at-zeichen").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts").await, 2);
    let (s, html) = sign_up(&t, "purpose=newsletter&email=bekannt%40example.org").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"name-error\""), "a name is asked of a known address too: {html}");
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts").await, 2);
    // Confirmed: it stays. Unconfirmed after its link expired: erased.
    let (s, _) = sign_up(&t, "purpose=newsletter&email=bleibt%40example.org&family_name=Bleiber").await;
    assert_eq!(s, 200);
    settle(&t).await;
    let mut confirm = None;
    for f in std::fs::read_dir(t.dir.path().join("outbox")).expect("outbox").flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        if text.contains("bleibt@example.org") {
            confirm = link(&text, "confirm");
        }
    }
    let (s, _) = post_form(&t, &confirm.expect("mail to bleibt@"), "").await;
    assert_eq!(s, 200);
    t.exec("UPDATE contacts SET created_at = 1 WHERE origin_source = 'web_form'").await;
    assert_eq!(services::consent::purge_unconfirmed_signups(&t.app).await.expect("purge"), 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts WHERE origin_source = 'web_form'").await, 1);
    assert_eq!(audience(&t, "newsletter", "email").await.permitted, 1);
    // Too many sign-ups from one network are refused as such.
    let mut last = 0;
    for i in 0..services::consent::SIGNUPS_PER_HOUR {
        last = sign_up(&t, &format!("purpose=newsletter&email=x{i}%40example.org&given_name=X")).await.0;
    }
    assert_eq!(last, 429);
}
