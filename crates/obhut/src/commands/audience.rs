//! `obhut audience`: who may be approached for a purpose on a channel, and the export of
//! them (a disclosure, logged with its recipient).

use crate::context::{open, Global};
use crate::error::{bail, Result};
use crate::output::{self, print_json};
use clap::Subcommand;
use obhut_server::services::consent::{self, Segment};
use obhut_server::Actor;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum AudienceCmd {
    /// Export the permitted audience (a disclosure: logged with its recipient, each row a
    /// use of the consent).
    Export {
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        /// csv.
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        tag: Option<String>,
        /// b2b or b2c.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        language: Option<String>,
        /// Who receives the file.
        #[arg(long)]
        recipient: Option<String>,
        /// Write the contacts left out, with their reasons, instead.
        #[arg(long)]
        excluded: bool,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// How many are in, how many left out and why.
    Show {
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: AudienceCmd) -> Result<()> {
    match cmd {
        AudienceCmd::Export { purpose, channel, topic, format, tag, kind, language, recipient, excluded, output } => {
            if format != "csv" {
                bail!("--format: '{format}' is not an audience format: use csv");
            }
            let app = open(g).await?;
            let segment = Segment { tag, kind, language };
            let s = {
                let mut w = output::create(output.as_deref())?;
                let s = consent::export_csv(
                    &app,
                    &Actor::cli(),
                    &purpose,
                    &channel,
                    topic.as_deref(),
                    &segment,
                    recipient.as_deref(),
                    excluded,
                    &mut w,
                )
                .await?;
                w.flush()?;
                s
            };
            eprintln!("{} permitted, {} left out {:?}", s.permitted, s.excluded, s.excluded_by_reason);
        }
        AudienceCmd::Show { purpose, channel, topic, tag, kind, language, json } => {
            let app = open(g).await?;
            let segment = Segment { tag, kind, language };
            let s = consent::audience(&app, &Actor::cli(), &purpose, &channel, topic.as_deref(), &segment).await?;
            if json {
                print_json(&s)?;
            } else {
                println!("{} / {}: {} permitted, {} left out", s.purpose, s.channel, s.permitted, s.excluded);
                for (r, n) in &s.permitted_by_reason {
                    println!("  in   {n:>8}  {r}");
                }
                for (r, n) in &s.excluded_by_reason {
                    println!("  out  {n:>8}  {r}");
                }
            }
        }
    }
    Ok(())
}
