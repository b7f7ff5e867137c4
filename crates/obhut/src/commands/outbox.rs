//! `obhut outbox`: outgoing mail: the queue and its delivery.

use crate::context::{open, Global};
use crate::error::Result;
use crate::output::{json_or, rfc3339};
use clap::Subcommand;
use obhut_server::services;

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Deliver what is due now (the server does this by itself).
    Deliver,
    /// The queue: sent, waiting and failed mails (no addresses).
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: OutboxCmd) -> Result<()> {
    match cmd {
        OutboxCmd::Deliver => {
            let app = open(g).await?;
            let d = services::mail::deliver_due(&app).await?;
            println!("sent {}, to retry {}, failed {}", d.sent, d.retried, d.failed);
        }
        OutboxCmd::List { limit, json } => {
            let app = open(g).await?;
            // A pool error is told as it is, with its sources.
            let mut conn = app.store.pool.acquire().await.map_err(anyhow::Error::from)?;
            let list = obhut_store::consent::list_outbox(&mut conn, limit.clamp(1, 10_000)).await?;
            json_or(json, &list, |list| {
                for m in list {
                    let state = match (m.sent_at, m.failed_at) {
                        (Some(_), _) => format!("sent via {}", m.transport.as_deref().unwrap_or("?")),
                        (None, Some(_)) => format!("FAILED: {}", m.last_error.as_deref().unwrap_or("")),
                        (None, None) => {
                            format!("waiting (attempts {}; {})", m.attempts, m.last_error.as_deref().unwrap_or("not tried yet"))
                        }
                    };
                    println!("{}  {:<22} {}  {}", rfc3339(m.created_at), m.kind, m.id, state);
                }
            })?;
        }
    }
    Ok(())
}
