//! `obhut user disable|enable|password` and `obhut token list|revoke`: offboarding from the
//! command line, through the same services (and audit trail) as the API and the web UI.

use crate::{explain, explain_flags, open, Global};
use anyhow::{bail, Context, Result};
use obhut_server::api::users::TokenOut;
use obhut_server::services::users::{self as service, AccountChange};
use obhut_server::{Actor, ServiceError};
use std::io::Read;

fn ended(c: &AccountChange) -> String {
    format!("{} session(s) ended, {} token(s) revoked", c.sessions_ended, c.tokens_revoked)
}

pub async fn disable(g: &Global, name: &str) -> Result<()> {
    let app = open(g).await?;
    let c = service::disable_user(&app, &Actor::cli(), name).await.map_err(explain)?;
    if c.changed {
        println!("user {} disabled: {}", c.user.username, ended(&c));
    } else {
        println!("user {} was disabled already; nothing changed", c.user.username);
    }
    Ok(())
}

pub async fn enable(g: &Global, name: &str) -> Result<()> {
    let app = open(g).await?;
    let c = service::enable_user(&app, &Actor::cli(), name).await.map_err(explain)?;
    if c.changed {
        println!("user {} enabled; tokens revoked when it was disabled stay revoked (new ones: obhut token create)", c.user.username);
    } else {
        println!("user {} is enabled already; nothing changed", c.user.username);
    }
    Ok(())
}

pub async fn reset_password(g: &Global, name: &str, stdin: bool) -> Result<()> {
    if !stdin {
        bail!("give the new password on standard input with --stdin");
    }
    let mut pw = String::new();
    std::io::stdin().read_to_string(&mut pw).context("reading the password from standard input")?;
    let pw = pw.trim_end_matches(['\n', '\r']);
    let app = open(g).await?;
    let c = service::reset_password(&app, &Actor::cli(), name, pw).await.map_err(explain)?;
    println!("password of {} set; it must be changed at the next sign-in; {}", c.user.username, ended(&c));
    Ok(())
}

/// `YYYY-MM-DD HH:MM` (UTC) of a stored time.
fn when(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    obhut_core::clock::from_millis(ms).format(&fmt).unwrap_or_default()
}

pub async fn list_tokens(g: &Global, user: Option<&str>, json: bool) -> Result<()> {
    let app = open(g).await?;
    let list = service::list_tokens(&app, &Actor::cli(), user).await.map_err(|e| explain_flags(e, &[("user", "--user")]))?;
    let now = app.now_ms();
    if json {
        let out: Vec<TokenOut> = list.into_iter().map(|t| TokenOut::new(t, now)).collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{:<36}  {:<16} {:<20} {:<16}  {:<26} {:<16}  REVOKED", "ID", "USER", "LABEL", "CREATED (UTC)", "EXPIRES", "LAST USED");
    for t in &list {
        let expires = match t.expires_at {
            None => "never".to_string(),
            Some(e) if e <= now => format!("{} (expired)", when(e)),
            Some(e) => when(e),
        };
        let revoked = t.revoked_at.map(when).unwrap_or_else(|| "no".into());
        println!(
            "{:<36}  {:<16} {:<20} {:<16}  {:<26} {:<16}  {}",
            t.id,
            t.username,
            t.label.as_deref().unwrap_or("-"),
            when(t.created_at),
            expires,
            t.last_used_at.map(when).unwrap_or_else(|| "-".into()),
            revoked
        );
    }
    let live = list.iter().filter(|t| t.live(now)).count();
    println!("{} token(s), {live} live", list.len());
    Ok(())
}

pub async fn revoke_token(g: &Global, id: &str) -> Result<()> {
    let app = open(g).await?;
    let (t, revoked) = service::revoke_token(&app, &Actor::cli(), id).await.map_err(|e| match e {
        ServiceError::NotFound(_) => anyhow::anyhow!("invalid input:\n  id: no token with the id '{}' (see `obhut token list`)", id.trim()),
        e => explain(e),
    })?;
    if revoked {
        println!("token {} of {} revoked", t.id, t.username);
    } else {
        println!("token {} of {} was revoked already; nothing changed", t.id, t.username);
    }
    Ok(())
}
