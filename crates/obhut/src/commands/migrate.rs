//! `obhut migrate`: apply pending database migrations.

use crate::context::{config, warn_loose_modes, Global};
use crate::error::Result;

pub async fn run(g: &Global) -> Result<()> {
    let cfg = config(g)?;
    warn_loose_modes(&cfg);
    let store = obhut_store::Store::open(&cfg.store_options()).await?;
    let n = store.migrate().await?;
    println!("{n} migration(s) applied; the schema is current ({:?})", store.backend);
    Ok(())
}
