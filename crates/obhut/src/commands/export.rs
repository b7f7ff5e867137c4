//! `obhut export`: records out of the CRM (contacts as CSV, JSON or vCard), the disclosure
//! logged with its recipient.

use crate::context::{open, Global};
use crate::error::{Result, ResultExt};
use crate::output;
use clap::Subcommand;
use obhut_server::services::contacts::{self, ExportFormat};
use obhut_server::Actor;
use obhut_store::contacts::ContactFilter;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ExportCmd {
    /// Export contacts.
    Contacts {
        /// csv, json or vcf.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Who receives the file (a third party, a processor): the disclosure is logged with it.
        #[arg(long)]
        recipient: Option<String>,
    },
}

pub async fn run(g: &Global, cmd: ExportCmd) -> Result<()> {
    let ExportCmd::Contacts { format, output, recipient } = cmd;
    let fmt = ExportFormat::parse(&format).flag("--format")?;
    let app = open(g).await?;
    let filter = ContactFilter::default();
    let n = {
        let mut w = output::create(output.as_deref())?;
        contacts::export_to(&app, &Actor::cli(), fmt, &filter, recipient.as_deref(), &mut w).await?
    };
    eprintln!("exported {n} contacts");
    Ok(())
}
