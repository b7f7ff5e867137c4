//! `obhut import`: records from a file (contacts from CSV or vCard).

use crate::context::{open, Global};
use crate::error::{bail, Result};
use crate::output::print_json;
use anyhow::Context as _;
use clap::Subcommand;
use obhut_server::services::imports::{self, ImportOptions};
use obhut_server::Actor;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Import contacts from CSV (UTF-8 or Windows-1252, ',' ';' or tab) or vCard.
    Contacts {
        file: PathBuf,
        /// Check every row and report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows even when some are bad.
        #[arg(long)]
        skip_invalid: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: ImportCmd) -> Result<()> {
    let ImportCmd::Contacts { file, dry_run, skip_invalid, json } = cmd;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let app = open(g).await?;
    let opts = ImportOptions { dry_run, skip_invalid };
    let name = file.display().to_string();
    let r = imports::import_contacts(&app, &Actor::cli(), &bytes, &name, opts).await?;
    // A large import leaves a large write-ahead log: fold it into the database now.
    app.store.checkpoint().await?;
    if json {
        print_json(&r)?;
    } else {
        println!("{}: {} file, {}, {} rows, {} valid", file.display(), r.format, r.encoding, r.rows, r.valid);
        if !r.ignored_columns.is_empty() {
            println!("ignored columns: {}", r.ignored_columns.join(", "));
        }
        for e in &r.errors {
            println!("row {}, field {}: {}", e.row, e.field, e.message);
        }
    }
    if !r.errors.is_empty() && !skip_invalid && !dry_run {
        bail!(
            "{} bad row(s) in {}; nothing was imported (fix them, or use --skip-invalid to import the good rows)",
            r.skipped,
            file.display()
        );
    }
    if dry_run {
        println!("dry run: nothing was written");
    } else if !json {
        println!(
            "imported {} contacts ({} organizations created, {} rows skipped); import run {}",
            r.imported,
            r.organizations_created,
            r.skipped,
            r.import_run_id.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
