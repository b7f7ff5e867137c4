//! `obhut ropa`: the record of processing activities (Art. 30 GDPR), generated from the live
//! purpose registry.

use crate::context::{open, Global};
use crate::error::{Result, ResultExt};
use crate::output;
use clap::Subcommand;
use obhut_server::services::purposes::{self, RopaFormat};
use obhut_server::Actor;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum RopaCmd {
    /// Write the Art. 30 record, generated from the live purpose registry.
    Export {
        /// md, html or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// de or en: the language of the Markdown and HTML record (the JSON holds both).
        #[arg(long, default_value = "en")]
        lang: String,
    },
}

pub async fn run(g: &Global, cmd: RopaCmd) -> Result<()> {
    let RopaCmd::Export { format, output, lang } = cmd;
    if lang != "de" && lang != "en" {
        return Err(crate::error::CliError::flag("--lang", "must be de or en"));
    }
    let format = RopaFormat::parse(&format).flag("--format")?;
    let app = open(g).await?;
    let text = purposes::ropa_in(&app, &Actor::cli(), format, &lang).await?;
    match output {
        Some(p) => output::write_file(&p, text)?,
        None => print!("{text}"),
    }
    Ok(())
}
