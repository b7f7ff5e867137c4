//! `obhut mailbox`: incoming mail: the customers' answers to tickets in the support mailbox.

use crate::context::{open, Global};
use crate::error::{CliError, Result};
use crate::output::json_or;
use clap::Subcommand;
use obhut_server::services;

#[derive(Subcommand)]
pub enum MailboxCmd {
    /// Fetch the new mails from the support mailbox (OBHUT_IMAP_URL) once and record each on
    /// the ticket it answers (the server does this every minute). Mails that belong to no
    /// ticket are flagged in the mailbox for a person.
    Fetch {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: MailboxCmd) -> Result<()> {
    match cmd {
        MailboxCmd::Fetch { json } => {
            let app = open(g).await?;
            let f = services::support_mailbox::fetch(&app)
                .await
                .map_err(CliError::msg)?
                .ok_or_else(|| CliError::msg("no support mailbox is set: OBHUT_IMAP_URL=imaps://user:password@host/INBOX"))?;
            json_or(json, &f, |f| {
                println!("recorded {}, already taken in {}, flagged as unmatched {}, failed {}", f.recorded, f.duplicates, f.unmatched, f.failed);
            })?;
        }
    }
    Ok(())
}
