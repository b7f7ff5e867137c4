//! The support mailbox against a real IMAP server: Debian's Dovecot, started per test on a
//! free loopback port with a throwaway configuration, one user (`support`) and a maildir in a
//! temporary directory. The customers' answers are put in with IMAP APPEND, as a mail server
//! would deliver them; Obhut fetches them, records them on their tickets and marks them.

// The fixture below is test code outside `#[test]` functions, where clippy's test allowances do not reach.
#![allow(clippy::expect_used, clippy::panic)]

use crate::common::{try_spawn_app_with, Backend, TestApp};
use futures::TryStreamExt;
use obhut_core::user::Role;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A Dovecot of its own for one test; stopped when dropped.
pub struct Dovecot {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

fn binary() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"].iter().map(PathBuf::from).find(|p| p.exists())
}

impl Dovecot {
    /// `None` (with a notice) when Dovecot is not installed; under `CI=true` that fails.
    pub async fn start() -> Option<Self> {
        let Some(bin) = binary() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("the support mailbox tests need Dovecot (Debian package dovecot-imapd), and CI=true");
            }
            eprintln!("note: dovecot not installed; skipping this IMAP test");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let root = rustix_uid() == 0;
        // As root, Dovecot's own users read the password file and own the mail; otherwise the
        // current user runs everything.
        let me = std::env::var("USER").unwrap_or_else(|_| "nobody".into());
        let (mail_user, extra) = if root {
            ("dovecot".to_string(), String::new())
        } else {
            (me.clone(), format!("default_login_user = {me}\ndefault_internal_user = {me}\n"))
        };
        std::fs::create_dir_all(d.join("mail")).expect("mail dir");
        std::fs::write(d.join("users"), "support:{PLAIN}secret\n").expect("users");
        let conf = format!(
            "base_dir = {p}/run\nstate_dir = {p}/state\nlog_path = {p}/dovecot.log\ninfo_log_path = {p}/dovecot.log\n\
             instance_name = obhut-test-{port}\nprotocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nmail_location = maildir:{p}/mail/%u\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n{extra}\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {p}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail_user} gid={mail_user} home={p}/mail/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n  chroot =\n}}\n\
             service anvil {{\n  chroot =\n}}\n",
            p = d.display()
        );
        std::fs::write(d.join("dovecot.conf"), conf).expect("conf");
        if root {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            let ok = Command::new("chown").arg("-R").arg("dovecot:dovecot").arg(d.join("mail")).status().is_ok_and(|s| s.success());
            assert!(ok, "chown of the maildir to dovecot");
        }
        let child = Command::new(bin)
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let me = Self { port, dir, child };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(me);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("dovecot did not listen on {port}: {}", std::fs::read_to_string(me.dir.path().join("dovecot.log")).unwrap_or_default());
    }

    /// The mailbox's URL for `OBHUT_IMAP_URL`.
    pub fn url(&self) -> String {
        format!("imap://support:secret@127.0.0.1:{}/INBOX", self.port)
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.expect("connect");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting");
        let mut s = client.login("support", "secret").await.map_err(|(e, _)| e).expect("login");
        s.select("INBOX").await.expect("select");
        s
    }

    /// Delivers a mail into the inbox (IMAP APPEND, unseen).
    pub async fn deliver(&self, raw: &[u8]) {
        let mut s = self.session().await;
        s.append("INBOX", None, None, raw).await.expect("append");
        s.logout().await.expect("logout");
    }

    /// Each mail's flags, by UID.
    pub async fn flags(&self) -> Vec<(u32, Vec<String>)> {
        let mut s = self.session().await;
        let fetched: Vec<async_imap::types::Fetch> = s.uid_fetch("1:*", "(UID FLAGS)").await.expect("fetch").try_collect().await.expect("fetch");
        let mut out: Vec<(u32, Vec<String>)> =
            fetched.iter().map(|f| (f.uid.unwrap_or_default(), f.flags().map(|fl| format!("{fl:?}")).collect())).collect();
        out.sort();
        drop(fetched);
        s.logout().await.expect("logout");
        out
    }
}

fn rustix_uid() -> u32 {
    Command::new("id").arg("-u").output().ok().and_then(|o| String::from_utf8(o.stdout).ok()).and_then(|s| s.trim().parse().ok()).unwrap_or(1)
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// An app whose support mailbox is `dovecot`.
pub async fn app_with_mailbox(dovecot: &Dovecot) -> TestApp {
    let url = dovecot.url();
    try_spawn_app_with(Backend::Sqlite, move |c| {
        c.imap_url = Some(url);
        c.support_address = Some("support@obhut.test".into());
    })
    .await
    .expect("app")
}

/// The Message-ID of the last reply on a ticket, as the customer's mail program sees it.
pub async fn reply_message_id(t: &TestApp) -> String {
    for _ in 0..100 {
        obhut_server::services::mail::deliver_due(&t.app).await.expect("deliver");
        let mails: Vec<String> = std::fs::read_dir(t.dir.path().join("outbox"))
            .map(|d| d.flatten().filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect())
            .unwrap_or_default();
        if let Some(id) = mails.iter().find_map(|m| m.lines().find_map(|l| l.strip_prefix("Message-ID: ")).map(str::to_string)) {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no reply was delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_support_mailbox_is_fetched_over_imap_and_each_mail_marked() {
    let Some(dovecot) = Dovecot::start().await else { return };
    let t = app_with_mailbox(&dovecot).await;
    let anna = t.user_token("anna", Role::User).await;
    let c = t.api_contact(&anna, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@example.de"})).await;
    let (_, tk) = t.api_post(&anna, "/api/v1/tickets", json!({"title": "Drucker druckt nicht", "contact_id": c})).await;
    let id = tk["id"].as_str().unwrap_or_default().to_string();
    let (s, _) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/replies"), json!({"body": "Bitte neu starten."})).await;
    assert_eq!(s, 201);
    let reply_id = reply_message_id(&t).await;
    let answer = format!(
        "From: Erika Mustermann <erika@example.de>\r\nTo: support@obhut.test\r\nSubject: AW: Drucker druckt nicht\r\n\
         Message-ID: <answer-1@example.de>\r\nIn-Reply-To: {reply_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGeht jetzt wieder, danke!\r\n"
    );
    dovecot.deliver(answer.as_bytes()).await;
    dovecot.deliver(b"From: someone@example.net\r\nSubject: Werbung\r\nMessage-ID: <spam-1@example.net>\r\n\r\nKaufen Sie jetzt!\r\n").await;
    let f = obhut_server::services::support_mailbox::fetch(&t.app).await.expect("fetch").expect("a mailbox is set");
    // The server's own minute loop may have taken a mail first; together they took both, once.
    let (_, msgs) = t.api_get(&anna, &format!("/api/v1/tickets/{id}/messages")).await;
    assert_eq!(msgs.as_array().map(Vec::len), Some(2), "{msgs}");
    assert_eq!(msgs[1]["body"], "Geht jetzt wieder, danke!");
    assert!(f.failed == 0, "{f:?}");
    let flags = dovecot.flags().await;
    assert_eq!(flags.len(), 2);
    assert!(flags[0].1.iter().any(|f| f == "Seen"), "the answer is marked seen: {flags:?}");
    assert!(flags[1].1.iter().any(|f| f == "Flagged") && !flags[1].1.iter().any(|f| f == "Seen"), "the stray mail is flagged for a person: {flags:?}");
    // The next round finds nothing new; a wrong password is told, not hidden.
    let again = obhut_server::services::support_mailbox::fetch(&t.app).await.expect("fetch").expect("set");
    assert_eq!((again.recorded, again.unmatched), (0, 0));
    let wrong_url = format!("imap://support:wrong@127.0.0.1:{}/INBOX", dovecot.port);
    let wrong = try_spawn_app_with(Backend::Sqlite, move |c| c.imap_url = Some(wrong_url)).await.expect("app");
    let err = obhut_server::services::support_mailbox::fetch(&wrong.app).await.expect_err("a wrong password fails");
    assert!(err.contains("login as support"), "{err}");
    assert!(!err.contains("wrong"), "the password is not repeated: {err}");
}
