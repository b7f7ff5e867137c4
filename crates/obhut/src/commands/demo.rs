//! `obhut demo`: deterministic, realistic demo data, in the database or as a CSV file.

use crate::context::{open, Global};
use crate::error::{CliError, Result};
use crate::output;
use clap::Subcommand;
use obhut_core::contact::ContactKind;
use obhut_core::demo::Demo;
use obhut_core::import::{csv_export_record, CSV_EXPORT_HEADERS};
use obhut_server::services;
use obhut_server::Actor;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum DemoCmd {
    /// Fill the database with deterministic, realistic demo data.
    Seed {
        #[arg(long, default_value_t = 1000)]
        contacts: u64,
        #[arg(long, default_value_t = 5000)]
        activities: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Write deterministic demo contacts as a CSV file (for import tests and benchmarks); no database needed.
    Csv {
        #[arg(long, default_value_t = 1000)]
        contacts: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

pub async fn run(g: &Global, cmd: DemoCmd) -> Result<()> {
    match cmd {
        DemoCmd::Csv { contacts, seed, output } => {
            let mut w = csv::Writer::from_writer(output::create(output.as_deref())?);
            w.write_record(CSV_EXPORT_HEADERS)?;
            let demo = Demo::new(seed);
            for i in 0..contacts {
                let d = demo.contact(i).validate().map_err(|e| CliError::msg(format!("demo contact {i}: {e}")))?;
                let org = demo.contact_is_b2b(i).then(|| demo.organization(i % (contacts / 10).max(1)).name.unwrap_or_default());
                let id = uuid::Uuid::now_v7().to_string();
                let kind = if org.is_some() { ContactKind::B2b } else { d.kind };
                w.write_record(csv_export_record(&id, kind, &d.personal, org.as_deref(), d.language.as_deref(), &d.tags, ""))?;
            }
            w.flush()?;
        }
        DemoCmd::Seed { contacts, activities, seed } => {
            let app = open(g).await?;
            let start = std::time::Instant::now();
            let r = services::demo::seed(&app, &Actor::cli(), contacts, activities, seed, |c, a| {
                eprint!("\r{c} contacts, {a} activities");
            })
            .await?;
            eprintln!();
            println!(
                "seeded {} organizations, {} contacts, {} activities in {:.1} s",
                r.organizations,
                r.contacts,
                r.activities,
                start.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
