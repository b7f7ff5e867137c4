//! The commands, one file each: its clap arguments and its `run`. The order of the variants
//! below is the order of `obhut --help`.

use crate::context::Global;
use crate::error::Result;
use clap::Subcommand;

mod audience;
mod audit;
mod backup;
mod consent;
mod contact;
mod demo;
mod dsr;
mod export;
mod import;
mod mailbox;
mod migrate;
mod outbox;
mod policy;
mod privacy;
mod processor;
mod restore;
mod retention;
mod ropa;
mod serve;
mod token;
mod user;

#[derive(Subcommand)]
pub enum Command {
    /// Run the web UI and the API.
    Serve(serve::ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Staff accounts.
    #[command(subcommand)]
    User(user::UserCmd),
    /// API tokens.
    #[command(subcommand)]
    Token(token::TokenCmd),
    /// Contacts.
    #[command(subcommand)]
    Contact(contact::ContactCmd),
    /// Import records from a file.
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// Export records.
    #[command(subcommand)]
    Export(export::ExportCmd),
    /// Demo data.
    #[command(subcommand)]
    Demo(demo::DemoCmd),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// The record of processing activities (Art. 30 GDPR).
    #[command(subcommand)]
    Ropa(ropa::RopaCmd),
    /// Data minimization: the field catalog and the lint.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCmd),
    /// The privacy gate's Cedar policies.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
    /// Processors (Art. 28 GDPR) and their grants.
    #[command(subcommand)]
    Processor(processor::ProcessorCmd),
    /// Consent and marketing permission: double opt-in, the ledger, withdrawal, review.
    #[command(subcommand)]
    Consent(consent::ConsentCmd),
    /// Audiences: who may be approached for a purpose on a channel, and the export.
    #[command(subcommand)]
    Audience(audience::AudienceCmd),
    /// Outgoing mail: the queue and its delivery.
    #[command(subcommand)]
    Outbox(outbox::OutboxCmd),
    /// Incoming mail: the customers' answers to tickets from the support mailbox.
    #[command(subcommand)]
    Mailbox(mailbox::MailboxCmd),
    /// Data subject rights (Art. 15–21 GDPR): erasure and the other requests.
    #[command(subcommand)]
    Dsr(dsr::DsrCmd),
    /// Retention (storage limitation): the rule catalogue, the sweep, legal holds, pseudonyms.
    #[command(subcommand)]
    Retention(retention::RetentionCmd),
    /// Write an encrypted, consistent backup of the embedded database (while the server runs).
    Backup(backup::BackupArgs),
    /// Restore a backup (stop the server first). Everyone erased since the backup was taken is
    /// erased again.
    Restore(restore::RestoreArgs),
}

impl Command {
    pub async fn run(self, g: &Global) -> Result<()> {
        match self {
            Self::Serve(args) => serve::run(g, args).await,
            Self::Migrate => migrate::run(g).await,
            Self::User(cmd) => user::run(g, cmd).await,
            Self::Token(cmd) => token::run(g, cmd).await,
            Self::Contact(cmd) => contact::run(g, cmd).await,
            Self::Import(cmd) => import::run(g, cmd).await,
            Self::Export(cmd) => export::run(g, cmd).await,
            Self::Demo(cmd) => demo::run(g, cmd).await,
            Self::Audit(cmd) => audit::run(g, cmd).await,
            Self::Ropa(cmd) => ropa::run(g, cmd).await,
            Self::Privacy(cmd) => privacy::run(g, cmd).await,
            Self::Policy(cmd) => policy::run(g, cmd).await,
            Self::Processor(cmd) => processor::run(g, cmd).await,
            Self::Consent(cmd) => consent::run(g, cmd).await,
            Self::Audience(cmd) => audience::run(g, cmd).await,
            Self::Outbox(cmd) => outbox::run(g, cmd).await,
            Self::Mailbox(cmd) => mailbox::run(g, cmd).await,
            Self::Dsr(cmd) => dsr::run(g, cmd).await,
            Self::Retention(cmd) => retention::run(g, cmd).await,
            Self::Backup(args) => backup::run(g, args).await,
            Self::Restore(args) => restore::run(g, args).await,
        }
    }
}
