//! `obhut processor`: processors (Art. 28 GDPR) and their grants.

use crate::context::{open, read_file, Global};
use crate::error::{CliError, Result};
use crate::output::json_or;
use clap::Subcommand;
use obhut_core::processor::Processor;
use obhut_server::services::policies;
use obhut_server::Actor;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ProcessorCmd {
    /// Create or change a processor from a JSON file (key, name, contract_date, purposes,
    /// scope_tag, valid_from, valid_until, country, transfer_mechanism, safeguard_document, contact).
    Save { file: PathBuf },
    /// List processors.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: ProcessorCmd) -> Result<()> {
    match cmd {
        ProcessorCmd::Save { file } => {
            let text = read_file(&file)?;
            let p: Processor = serde_json::from_str(&text).map_err(|e| CliError::msg(format!("{}: {e}", file.display())))?;
            let app = open(g).await?;
            let v = policies::save_processor(&app, &Actor::cli(), &p).await?;
            println!("processor {} saved as version {v}", p.key);
        }
        ProcessorCmd::List { json } => {
            let app = open(g).await?;
            let list = policies::list_processors(&app, &Actor::cli()).await?;
            json_or(json, &list, |list| {
                for p in list {
                    println!(
                        "{:<20} {:<32} {} – {}  tag {}  purposes {}",
                        p.key,
                        p.name,
                        p.valid_from,
                        p.valid_until,
                        p.scope_tag,
                        p.purposes.join(",")
                    );
                }
            })?;
        }
    }
    Ok(())
}
