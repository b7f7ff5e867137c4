//! The support mailbox (`OBHUT_IMAP_URL`): the customers' answers to tickets, fetched over IMAP
//! (`imap://` on a trusted network, `imaps://` with TLS and the Mozilla roots otherwise). Each
//! new mail is read without marking it (BODY.PEEK), taken in by
//! [`ticket_conversation::take_in`](super::ticket_conversation::take_in), and only then marked:
//! `\Seen` when it was recorded on a ticket (or was taken in before), `\Flagged` when it
//! belongs to no ticket, so a person finds it in the mailbox and the next round skips it.
//! A mail that could not be stored stays unseen and is tried again next round.

use super::ticket_conversation::{take_in, TakenIn};
use crate::app::App;
use futures::TryStreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Most mails taken per round (the rest come next round).
const PER_ROUND: usize = 200;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Fetched {
    pub recorded: usize,
    pub duplicates: usize,
    pub unmatched: usize,
    pub failed: usize,
}

/// Where the mailbox is, from its URL.
struct Mailbox {
    tls: bool,
    host: String,
    port: u16,
    user: String,
    password: String,
    folder: String,
}

fn parse(raw: &str) -> Result<Mailbox, String> {
    let bad = |m: &str| format!("OBHUT_IMAP_URL {}: {m}", obhut_store::redact_url(raw));
    let u = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    let tls = match u.scheme() {
        "imap" => false,
        "imaps" => true,
        s => return Err(bad(&format!("the scheme {s} is not imap or imaps"))),
    };
    let host = u.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("names no host"))?.trim_matches(['[', ']']).to_string();
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = Some(decode(u.username())).filter(|s| !s.is_empty()).ok_or_else(|| bad("names no user"))?;
    let password = decode(u.password().unwrap_or(""));
    let folder = Some(decode(u.path().trim_start_matches('/'))).filter(|f| !f.is_empty()).unwrap_or_else(|| "INBOX".into());
    Ok(Mailbox { tls, port: u.port().unwrap_or(if tls { 993 } else { 143 }), host, user, password, folder })
}

/// One round: fetches the new mails and takes them in. `Ok(None)` when no mailbox is set; an
/// error says what about the mailbox failed (a mail that could not be stored only counts as
/// failed and is logged).
pub async fn fetch(app: &App) -> Result<Option<Fetched>, String> {
    let Some(raw) = app.config.imap_url.as_deref() else { return Ok(None) };
    let mb = parse(raw)?;
    let round = async {
        let tcp = tokio::net::TcpStream::connect((mb.host.as_str(), mb.port)).await.map_err(|e| format!("connecting to {}:{}: {e}", mb.host, mb.port))?;
        if mb.tls {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from(mb.host.clone()).map_err(|e| format!("{}: {e}", mb.host))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| format!("TLS with {}: {e}", mb.host))?;
            session(app, tls, &mb).await
        } else {
            session(app, tcp, &mb).await
        }
    };
    match tokio::time::timeout(Duration::from_secs(120), round).await {
        Ok(Ok(f)) => Ok(Some(f)),
        Ok(Err(e)) => Err(format!("the support mailbox: {e}")),
        Err(_) => Err("the support mailbox did not answer within 120 s".into()),
    }
}

async fn session<S>(app: &App, stream: S, mb: &Mailbox) -> Result<Fetched, String>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let e = |what: &str| {
        let what = what.to_string();
        move |err: async_imap::error::Error| format!("{what}: {err}")
    };
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.map_err(|err| format!("greeting: {err}"))?.ok_or("the server closed the connection")?;
    let mut s = client.login(&mb.user, &mb.password).await.map_err(|(err, _)| format!("login as {}: {err}", mb.user))?;
    s.select(&mb.folder).await.map_err(e(&format!("selecting {}", mb.folder)))?;
    let mut uids: Vec<u32> = s.uid_search("UNSEEN UNFLAGGED").await.map_err(e("searching new mail"))?.into_iter().collect();
    uids.sort_unstable();
    uids.truncate(PER_ROUND);
    let mut out = Fetched::default();
    for uid in uids {
        let fetched: Vec<async_imap::types::Fetch> =
            s.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.map_err(e("fetching"))?.try_collect().await.map_err(e("fetching"))?;
        let Some(raw) = fetched.iter().find_map(|f| f.body()).map(<[u8]>::to_vec) else { continue };
        let flag = match take_in(app, &raw).await {
            Ok(TakenIn::Recorded(_)) => {
                out.recorded += 1;
                "\\Seen"
            }
            Ok(TakenIn::Duplicate) => {
                out.duplicates += 1;
                "\\Seen"
            }
            Ok(TakenIn::Unmatched) => {
                out.unmatched += 1;
                "\\Flagged"
            }
            Err(err) => {
                tracing::warn!(uid, error = %err, "taking in a mail from the support mailbox");
                out.failed += 1;
                continue;
            }
        };
        let _: Vec<async_imap::types::Fetch> = s
            .uid_store(uid.to_string(), format!("+FLAGS.SILENT ({flag})"))
            .await
            .map_err(e("marking"))?
            .try_collect()
            .await
            .map_err(e("marking"))?;
    }
    s.logout().await.map_err(e("logging out"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_server_login_and_folder() {
        let m = parse("imaps://support%40example.de:p%40ss+w@mail.example.de/Support%20In").unwrap_or_else(|e| panic!("{e}"));
        assert!(m.tls);
        assert_eq!((m.host.as_str(), m.port), ("mail.example.de", 993));
        assert_eq!((m.user.as_str(), m.password.as_str(), m.folder.as_str()), ("support@example.de", "p@ss+w", "Support In"));
        let plain = parse("imap://support:secret@127.0.0.1:1143").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((plain.tls, plain.port, plain.folder.as_str()), (false, 1143, "INBOX"));
        assert!(parse("imap://127.0.0.1").err().unwrap_or_default().contains("names no user"));
        assert!(parse("pop3://u:p@host").err().unwrap_or_default().contains("not imap or imaps"));
    }
}
