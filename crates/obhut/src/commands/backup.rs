//! `obhut backup`: an encrypted, consistent backup of the embedded database, taken while the
//! server runs.

use crate::context::{open, Global};
use crate::error::Result;
use crate::output::json_or;
use clap::Args;
use obhut_server::services;
use std::path::PathBuf;

#[derive(Args)]
pub struct BackupArgs {
    file: PathBuf,
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: BackupArgs) -> Result<()> {
    let app = open(g).await?;
    let b = services::backup::backup(&app, &args.file).await?;
    json_or(args.json, &b, |b| {
        println!("backup {} written to {}: {} bytes of database, {} bytes encrypted", b.backup_id, b.file, b.database_bytes, b.file_bytes);
    })
}
