//! `obhut audit`: the audit trail: list events, apply the read-log retention, verify the chain.

use crate::context::{open, Global};
use crate::error::{bail, Result};
use crate::output::{print_json, rfc3339};
use clap::Subcommand;
use obhut_server::services::{self, Page};
use obhut_server::Actor;
use obhut_store::audit::AuditFilter;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// List audit events, newest first.
    List {
        /// Only events about this data subject (a contact id).
        #[arg(long)]
        subject: Option<String>,
        /// Only events of this actor, as recorded (e.g. `cli:anna`, `api:user:<id>`).
        #[arg(long)]
        actor: Option<String>,
        /// Only this action, e.g. `contact.read`.
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Empty the details of read events past their retention (`read_log_retention_days`,
    /// or --days); the chain still verifies.
    Retention {
        /// Days to keep read events in full (default: the configured value).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Check every event of the hash chain against the signed head. Exits 1, naming the first
    /// bad event, when an event was changed, removed, inserted or reordered, or the log was cut off.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: AuditCmd) -> Result<()> {
    match cmd {
        AuditCmd::List { subject, actor, action, limit, json } => {
            let app = open(g).await?;
            let filter = AuditFilter { subject_id: subject, actor, action, since: None, until: None };
            let (events, total) = services::audit::search(&app, &Actor::cli(), &filter, Page::new(Some(limit), None)).await?;
            if json {
                let items: Vec<serde_json::Value> = events
                    .iter()
                    .map(|e| {
                        serde_json::json!({"seq": e.seq, "at": rfc3339(e.at), "actor": e.entry.actor, "action": e.entry.action,
                            "record_type": e.entry.record_type, "record_id": e.entry.record_id, "subject_id": e.entry.subject_id,
                            "fields": e.entry.fields, "purpose": e.entry.purpose})
                    })
                    .collect();
                print_json(&serde_json::json!({"items": items, "total": total}))?;
            } else {
                for e in &events {
                    println!(
                        "{:>8}  {}  {:<28}  {:<22}  {}{}",
                        e.seq,
                        rfc3339(e.at),
                        e.entry.actor,
                        e.entry.action,
                        e.entry.record_id.as_deref().unwrap_or("-"),
                        e.entry.purpose.as_deref().map(|p| format!("  purpose={p}")).unwrap_or_default()
                    );
                }
                eprintln!("{} of {total} events", events.len());
            }
        }
        AuditCmd::Retention { days } => {
            if days == Some(0) {
                bail!("--days: give 1 or more days to keep read events in full (0 in the configuration means keep them for good)");
            }
            let app = open(g).await?;
            let n = match days {
                Some(d) => services::audit::redact_reads_before(&app, &Actor::cli(), app.now_ms() - i64::from(d) * 86_400_000).await,
                None => services::audit::apply_read_retention(&app, &Actor::cli()).await,
            }?;
            println!("{n} read event(s) past their retention emptied; the chain still verifies");
        }
        AuditCmd::Verify { json } => {
            let app = open(g).await?;
            let v = services::audit::verify(&app, &Actor::cli()).await?;
            if json {
                print_json(&v)?;
            } else if v.intact {
                println!("the audit log is intact: {} events, the signed head names event {}", v.events, v.head_seq);
            }
            if !v.intact {
                if !json {
                    eprintln!(
                        "the audit log was tampered with at event {}: {}",
                        v.first_bad_seq.unwrap_or_default(),
                        v.problem.as_deref().unwrap_or("unknown problem")
                    );
                }
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
