//! `obhut restore`: a backup put back (with the server stopped); everyone erased since the
//! backup was taken is erased again.

use crate::context::{config, Global};
use crate::error::Result;
use crate::output::{json_or, rfc3339};
use clap::Args;
use obhut_server::services;
use std::path::PathBuf;

#[derive(Args)]
pub struct RestoreArgs {
    file: PathBuf,
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: RestoreArgs) -> Result<()> {
    let cfg = config(g)?;
    let r = services::backup::restore(&cfg, &args.file).await?;
    json_or(args.json, &r, |r| {
        println!("restored backup {} of {}; re-applied {} erasure(s) made since", r.backup_id, rfc3339(r.created_at), r.erasures_reapplied);
    })
}
