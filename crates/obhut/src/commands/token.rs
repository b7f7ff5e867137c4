//! `obhut token`: API tokens: create, list (with expiry and last use), revoke.

use crate::context::{open, Global};
use crate::error::{CliError, Result, ResultExt};
use crate::output::{minutes, print_json};
use clap::Subcommand;
use obhut_core::ValidationErrors;
use obhut_server::api::users::TokenOut;
use obhut_server::services::users as service;
use obhut_server::{Actor, ServiceError};

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Create an API token for a user and print it (alone) on standard output.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        label: Option<String>,
        /// Days until the token expires (default 90; 0 for never).
        #[arg(long, allow_negative_numbers = true)]
        days: Option<i64>,
    },
    /// List API tokens: id, user, label, created, expires, last used, revoked.
    List {
        /// Only this user's tokens.
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token at once (its id from `token list`).
    Revoke { id: String },
}

pub async fn run(g: &Global, cmd: TokenCmd) -> Result<()> {
    match cmd {
        TokenCmd::Create { user, label, days } => {
            let app = open(g).await?;
            let token = service::create_token(&app, &Actor::cli(), &user, label.as_deref(), days).await.flags(&[
                ("user", "--user"),
                ("label", "--label"),
                ("days", "--days"),
            ])?;
            println!("{token}");
        }
        TokenCmd::List { user, json } => list(g, user.as_deref(), json).await?,
        TokenCmd::Revoke { id } => {
            let app = open(g).await?;
            let (t, revoked) = service::revoke_token(&app, &Actor::cli(), &id).await.map_err(|e| match e {
                ServiceError::NotFound(_) => CliError::from(ServiceError::Validation(ValidationErrors::single(
                    "id",
                    format!("no token with the id '{}' (see `obhut token list`)", id.trim()),
                ))),
                e => e.into(),
            })?;
            if revoked {
                println!("token {} of {} revoked", t.id, t.username);
            } else {
                println!("token {} of {} was revoked already; nothing changed", t.id, t.username);
            }
        }
    }
    Ok(())
}

async fn list(g: &Global, user: Option<&str>, json: bool) -> Result<()> {
    let app = open(g).await?;
    let list = service::list_tokens(&app, &Actor::cli(), user).await.flags(&[("user", "--user")])?;
    let now = app.now_ms();
    if json {
        let out: Vec<TokenOut> = list.into_iter().map(|t| TokenOut::new(t, now)).collect();
        return print_json(&out);
    }
    println!("{:<36}  {:<16} {:<20} {:<16}  {:<26} {:<16}  REVOKED", "ID", "USER", "LABEL", "CREATED (UTC)", "EXPIRES", "LAST USED");
    for t in &list {
        let expires = match t.expires_at {
            None => "never".to_string(),
            Some(e) if e <= now => format!("{} (expired)", minutes(e)),
            Some(e) => minutes(e),
        };
        let revoked = t.revoked_at.map(minutes).unwrap_or_else(|| "no".into());
        println!(
            "{:<36}  {:<16} {:<20} {:<16}  {:<26} {:<16}  {}",
            t.id,
            t.username,
            t.label.as_deref().unwrap_or("-"),
            minutes(t.created_at),
            expires,
            t.last_used_at.map(minutes).unwrap_or_else(|| "-".into()),
            revoked
        );
    }
    let live = list.iter().filter(|t| t.live(now)).count();
    println!("{} token(s), {live} live", list.len());
    Ok(())
}
