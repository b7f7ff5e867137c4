//! Outgoing mail: composed with `lettre`, queued in the outbox in the same transaction as the
//! change that sends it, and delivered by a worker: as `.eml` files into `DATA_DIR/outbox/`
//! (the zero-set-up default) or over SMTP (`OBHUT_SMTP_URL`), retried with backoff while the
//! mail server is away. A queued message is sealed in the database (its own key, wrapped under
//! the master key); it is in the clear only on the SMTP connection, or in the `.eml` file of
//! the file transport (0600), which is removed `outbox_file_hours` after delivery. A delivered
//! message's body is deleted from the database.

use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use obhut_store::consent::{self as ledger, Mail};
use std::path::PathBuf;
use std::time::Duration;

/// Attempts before a mail is given up (about three days with the backoff below).
pub const MAX_ATTEMPTS: i64 = 15;
/// How long a leased mail is left to one deliverer.
const LEASE_MS: i64 = 120_000;

/// Where mail goes.
pub enum Transport {
    Files(PathBuf),
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
}

impl Transport {
    pub fn from_config(config: &crate::config::Config) -> Result<Self, String> {
        match config.smtp_url.as_deref() {
            None => Ok(Self::Files(config.data_dir.join("outbox"))),
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Self::Smtp(Box::new(b.timeout(Some(Duration::from_secs(config.smtp_timeout_secs.max(1)))).build())))
                .map_err(|e| format!("OBHUT_SMTP_URL {}: {e}", obhut_store::redact_url(url))),
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Self::Files(_) => "file",
            Self::Smtp(_) => "smtp",
        }
    }
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// A mail to compose.
pub struct Compose<'a> {
    pub to_name: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    pub language: &'a str,
    /// RFC 2369 / RFC 8058: the one-click unsubscribe URL of a marketing mail.
    pub unsubscribe: Option<&'a str>,
}

/// The sender: the configured address, else the controller's from the registry, else
/// `noreply@` the public host (set `OBHUT_MAIL_FROM` or the controller's address for real mail).
pub async fn sender(app: &App) -> String {
    if let Some(f) = &app.config.mail_from {
        return f.clone();
    }
    if let Ok(mut conn) = app.conn().await {
        if let Ok(c) = obhut_store::purposes::controller(&mut conn).await {
            let candidate = if c.name.trim().is_empty() {
                c.email.clone()
            } else {
                format!("{} <{}>", c.name.replace(['<', '>', '"', ','], ""), c.email.trim())
            };
            if candidate.parse::<Mailbox>().is_ok() {
                return candidate;
            }
            if c.email.trim().parse::<Mailbox>().is_ok() {
                return c.email.trim().to_string();
            }
        }
    }
    let base = app.config.base_url();
    let host = base.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    let domain = if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() { host } else { "localhost" };
    format!("Obhut <noreply@{domain}>")
}

/// How a mail written by a person sits in a conversation: where answers go and what it answers.
#[derive(Default)]
pub struct Thread<'a> {
    /// Reply-To: the support mailbox whose answers are fetched.
    pub reply_to: Option<&'a str>,
    /// The Message-IDs this mail answers, oldest first (References; the last is In-Reply-To).
    pub references: Vec<String>,
}

/// Builds the message; returns its Message-ID and the queued form.
pub fn compose(from: &str, id: &str, m: &Compose<'_>) -> ServiceResult<(String, Mail)> {
    build(from, id, m, None)
}

/// [`compose`] for a mail a person wrote (no `Auto-Submitted`), threaded as `t` says.
pub fn compose_reply(from: &str, id: &str, m: &Compose<'_>, t: &Thread<'_>) -> ServiceResult<(String, Mail)> {
    build(from, id, m, Some(t))
}

fn build(from: &str, id: &str, m: &Compose<'_>, thread: Option<&Thread<'_>>) -> ServiceResult<(String, Mail)> {
    let from: Mailbox =
        from.parse().map_err(|e| ServiceError::field("mail_from", format!("the sender '{from}' is not an address: {e}")))?;
    let to_addr = m.to.parse().map_err(|_| ServiceError::field("address", "not an email address"))?;
    let to = Mailbox::new(m.to_name.map(|n| n.replace(['\r', '\n'], " ")), to_addr);
    let domain = from.email.domain().to_string();
    let message_id = format!("<{id}@{domain}>");
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject)
        .message_id(Some(message_id.clone()))
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Content-Language"), m.language.to_string()));
    match thread {
        None => b = b.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into())),
        Some(t) => {
            if let Some(r) = t.reply_to {
                b = b.reply_to(r.parse().map_err(|_| ServiceError::field("support_address", format!("'{r}' is not an address")))?);
            }
            if let Some(last) = t.references.last() {
                b = b.in_reply_to(last.clone()).references(t.references.join(" "));
            }
        }
    }
    if let Some(u) = m.unsubscribe {
        b = b
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{u}>")))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".into()));
    }
    let msg = b
        .multipart(MultiPart::alternative_plain_html(m.text.clone(), m.html.clone()))
        .map_err(|e| ServiceError::Internal(format!("composing a mail: {e}")))?;
    let env = msg.envelope();
    let mail = Mail {
        from: env.from().map(|a| a.to_string()).unwrap_or_default(),
        to: env.to().iter().map(|a| a.to_string()).collect(),
        message: msg.formatted(),
    };
    Ok((message_id, mail))
}

/// Backoff after the `attempts`-th failure: 30 s, 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 16) - 1;
    (30_000i64 << exp).min(6 * 3600 * 1000)
}

/// Delivers every due mail once. Runs in the server's worker and after a CLI command queued
/// mail; two deliverers never take the same mail (leases), and a file delivery is written
/// under the message's own name, so it cannot appear twice.
pub async fn deliver_due(app: &App) -> ServiceResult<Delivery> {
    let transport = Transport::from_config(&app.config).map_err(ServiceError::Internal)?;
    let mut report = Delivery::default();
    loop {
        let now = app.now_ms();
        let batch = {
            let mut conn = app.conn().await?;
            ledger::lease_due(&mut conn, &app.store.crypto, now, LEASE_MS, 50).await?
        };
        if batch.is_empty() {
            return Ok(report);
        }
        for m in batch {
            let outcome = send(&transport, &m).await;
            let now = app.now_ms();
            let mut conn = app.conn().await?;
            match outcome {
                Ok(()) => {
                    ledger::mark_sent(&mut conn, &m.id, now, transport.name()).await?;
                    metrics::counter!("obhut_mail_sent_total").increment(1);
                    report.sent += 1;
                }
                Err(Failure::Permanent(e)) => {
                    tracing::warn!(outbox = %m.id, "mail refused for good: {e}");
                    ledger::mark_failed(&mut conn, &m.id, now, &e).await?;
                    report.failed += 1;
                }
                Err(Failure::Temporary(e)) if m.attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(outbox = %m.id, "mail given up after {} attempts: {e}", m.attempts);
                    ledger::mark_failed(&mut conn, &m.id, now, &format!("gave up after {} attempts: {e}", m.attempts)).await?;
                    report.failed += 1;
                }
                Err(Failure::Temporary(e)) => {
                    tracing::info!(outbox = %m.id, attempt = m.attempts, "mail delivery failed, will retry: {e}");
                    ledger::mark_retry(&mut conn, &m.id, now + backoff_ms(m.attempts), &e).await?;
                    report.retried += 1;
                }
            }
        }
    }
}

/// An SMTP server's answer often quotes the recipient ("550 <nina@example.org>: unknown"): the
/// reason is kept and logged without any address in it.
fn without_addresses(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| {
            if w.contains('@') {
                if w.ends_with(char::is_whitespace) {
                    "<address> "
                } else {
                    "<address>"
                }
            } else {
                w
            }
        })
        .collect::<String>()
        .chars()
        .take(500)
        .collect()
}

enum Failure {
    Temporary(String),
    Permanent(String),
}

async fn send(transport: &Transport, m: &ledger::Leased) -> Result<(), Failure> {
    match transport {
        Transport::Files(dir) => write_eml(dir, &m.message_id, &m.mail.message).await.map_err(Failure::Temporary),
        Transport::Smtp(smtp) => {
            let from = m.mail.from.parse().map_err(|e| Failure::Permanent(without_addresses(&format!("sender: {e}"))))?;
            let to = m
                .mail
                .to
                .iter()
                .map(|t| t.parse())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Failure::Permanent(without_addresses(&format!("recipient: {e}"))))?;
            let env = Envelope::new(Some(from), to).map_err(|e| Failure::Permanent(e.to_string()))?;
            match smtp.send_raw(&env, &m.mail.message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(Failure::Permanent(without_addresses(&e.to_string()))),
                Err(e) => Err(Failure::Temporary(without_addresses(&e.to_string()))),
            }
        }
    }
}

/// The file name (without `.eml`) of a message id: safe characters only.
fn eml_name(message_id: &str) -> String {
    message_id.trim_matches(['<', '>']).chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect()
}

/// Deletes the delivered copies of messages (the file transport's `.eml` files), e.g. when
/// their recipient is erased. Returns how many files there were.
pub async fn delete_delivered(config: &crate::config::Config, message_ids: &[String]) -> std::io::Result<usize> {
    let dir = config.data_dir.join("outbox");
    let mut n = 0;
    for id in message_ids {
        let name = eml_name(id);
        for path in [dir.join(format!("{name}.eml")), dir.join(format!(".{name}.tmp"))] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => n += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(n)
}

/// Writes the message as `<message-id>.eml`, through a temporary file and a rename, so a
/// reader never sees half a mail and a second delivery replaces rather than duplicates. The
/// folder is 0700 and the file 0600: it holds an address and live links in the clear.
async fn write_eml(dir: &std::path::Path, message_id: &str, bytes: &[u8]) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    if !dir.is_dir() {
        tokio::fs::DirBuilder::new()
            .recursive(true)
            .mode(obhut_store::files::DIR_MODE)
            .create(dir)
            .await
            .map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let name = eml_name(message_id);
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(format!("{name}.eml"));
    let written = async {
        let mut f =
            tokio::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(obhut_store::files::FILE_MODE).open(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(format!("writing {}: {e}", path.display()));
    }
    Ok(())
}

/// Removes the file transport's copies of mails delivered more than `outbox_file_hours` ago:
/// they hold addresses and live links in the clear, and the queue keeps only the record that
/// they were sent. Returns how many files were removed.
pub async fn remove_delivered_files(app: &App) -> ServiceResult<usize> {
    let cutoff = app.now_ms() - app.config.outbox_file_hours.max(0) * 3_600_000;
    let mut removed = 0;
    loop {
        let due = {
            let mut conn = app.conn().await?;
            ledger::delivered_files(&mut conn, cutoff, 200).await?
        };
        if due.is_empty() {
            return Ok(removed);
        }
        let ids: Vec<String> = due.iter().map(|(_, m)| m.clone()).collect();
        removed +=
            delete_delivered(&app.config, &ids).await.map_err(|e| ServiceError::Internal(format!("removing delivered mails: {e}")))?;
        let mut conn = app.conn().await?;
        for (id, _) in &due {
            ledger::mark_file_removed(&mut conn, id, app.now_ms()).await?;
        }
    }
}

/// The worker: delivers what is due, then waits for new mail or the next retry.
pub fn spawn_worker(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match deliver_due(&app).await {
                Ok(d) if d != Delivery::default() => tracing::debug!(?d, "outbox delivery"),
                Ok(_) => {}
                Err(e) => tracing::warn!("outbox delivery: {e}"),
            }
            // New mail wakes the worker at once; retries and other processes' mail are
            // picked up within a second.
            let _ = tokio::time::timeout(Duration::from_secs(1), app.outbox_wake.notified()).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_answers_lose_their_addresses() {
        assert_eq!(without_addresses("550 5.1.1 <nina@example.org>: unknown user"), "550 5.1.1 <address> unknown user");
        assert_eq!(without_addresses("timed out"), "timed out");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(4), 240_000);
        assert_eq!(backoff_ms(15), 6 * 3600 * 1000);
    }

    #[test]
    fn a_composed_mail_carries_the_one_click_headers() {
        let m = Compose {
            to_name: Some("Nina\r\nBcc: x@example.org"),
            to: "nina@example.org",
            subject: "Bitte bestätigen",
            text: "https://crm.example.de/consent/confirm/abc".into(),
            html: "<p>x</p>".into(),
            language: "de",
            unsubscribe: Some("https://crm.example.de/consent/unsubscribe/xyz"),
        };
        let (id, mail) = compose("Firma <info@example.de>", "m1", &m).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id, "<m1@example.de>");
        let text = String::from_utf8_lossy(&mail.message).to_string();
        assert!(text.contains("List-Unsubscribe: <https://crm.example.de/consent/unsubscribe/xyz>"), "{text}");
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{text}");
        assert!(!text.contains("\nBcc:"), "a header cannot be smuggled in through the name: {text}");
        assert_eq!(mail.to, vec!["nina@example.org".to_string()]);
        assert!(compose("not an address", "m2", &m).is_err());
    }
}
