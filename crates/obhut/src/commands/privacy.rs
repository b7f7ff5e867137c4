//! `obhut privacy`: data minimization: the field catalog and the lint.

use crate::context::{open, Global};
use crate::error::Result;
use crate::output::json_or;
use clap::Subcommand;
use obhut_server::services;
use obhut_server::Actor;

#[derive(Subcommand)]
pub enum PrivacyCmd {
    /// List fields and records holding data no active purpose justifies. Exits 1 when it
    /// finds any.
    Lint {
        #[arg(long)]
        json: bool,
        /// List at most this many records (all are counted).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Every personal field, its data category and the purposes that justify it.
    Fields {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: PrivacyCmd) -> Result<()> {
    match cmd {
        PrivacyCmd::Lint { json, limit } => {
            let app = open(g).await?;
            let r = services::privacy::lint(&app, &Actor::cli(), limit).await?;
            json_or(json, &r, |r| {
                for f in &r.unjustified_fields {
                    println!("field {}.{} ({}): no active purpose justifies it", f.record_type, f.name, f.category);
                }
                for f in &r.findings {
                    println!("{} {}: {}: {}", f.record_type, f.record_id, f.field, f.problem);
                }
                if r.total_findings as usize > r.findings.len() {
                    println!("… and {} more", r.total_findings as usize - r.findings.len());
                }
                println!(
                    "{} record(s) checked: {} unjustified field(s), {} finding(s)",
                    r.records_checked,
                    r.unjustified_fields.len(),
                    r.total_findings
                );
            })?;
            if !r.clean() {
                std::process::exit(1);
            }
        }
        PrivacyCmd::Fields { json } => {
            let app = open(g).await?;
            let rows = services::privacy::catalog(&app, &Actor::cli()).await?;
            json_or(json, &rows, |rows| {
                for f in rows {
                    let by = if f.justified_by.is_empty() { "UNJUSTIFIED".to_string() } else { f.justified_by.join(", ") };
                    println!(
                        "{:<10} {:<12} {:<32} {}{}",
                        f.record_type,
                        f.name,
                        f.category,
                        by,
                        if f.sensitive { " (sensitive)" } else { "" }
                    );
                }
            })?;
        }
    }
    Ok(())
}
