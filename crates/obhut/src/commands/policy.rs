//! `obhut policy`: the privacy gate's Cedar policies: show, check, save.

use crate::context::{open, read_file, Global};
use crate::error::Result;
use clap::Subcommand;
use obhut_server::services::policies;
use obhut_server::Actor;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// Print the policies in force (or, with --schema, the schema they are validated against).
    Show {
        #[arg(long)]
        schema: bool,
    },
    /// Validate a policy file against the schema without saving it.
    Check { file: PathBuf },
    /// Validate a policy file and save it as the next version, in force at once.
    Save { file: PathBuf },
}

pub async fn run(g: &Global, cmd: PolicyCmd) -> Result<()> {
    match cmd {
        PolicyCmd::Show { schema } => {
            let app = open(g).await?;
            let v = policies::current(&app, &Actor::cli()).await?;
            if schema {
                print!("{}", v.schema);
            } else {
                println!("// version {}", v.version);
                print!("{}", v.source);
            }
        }
        PolicyCmd::Check { file } => {
            let source = read_file(&file)?;
            let app = open(g).await?;
            policies::check(&app, &Actor::cli(), &source).await?;
            println!("{}: the policies validate against the schema", file.display());
        }
        PolicyCmd::Save { file } => {
            let source = read_file(&file)?;
            let app = open(g).await?;
            let v = policies::save(&app, &Actor::cli(), &source).await?;
            println!("policies saved as version {v}, in force now");
        }
    }
    Ok(())
}
