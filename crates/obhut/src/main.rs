//! `obhut`: the CRM's server and command line. Every command works through the same
//! services as the API and the web UI, so the privacy gate and the audit trail apply alike.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use obhut_server::services::{self, Page};
use obhut_server::{Actor, App, Config, ServiceError};
use std::io::{Read, Write};
use std::path::PathBuf;

mod users;

/// mimalloc: the server and imports allocate many small buffers on several threads at once,
/// where glibc's allocator spent a fifth of an import's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "obhut", version, about = "Obhut: a CRM that enforces the GDPR", propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// Data directory (SQLite database, master key, outbox).
    #[arg(long, global = true, env = "OBHUT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL, e.g. postgres://user@host/db; without it SQLite in the data directory is used.
    #[arg(long, global = true, env = "OBHUT_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// A TOML configuration file (default: DATA_DIR/obhut.toml if it exists).
    #[arg(long, global = true, env = "OBHUT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// A file holding the master key in hex (default: DATA_DIR/master.key, created on first use).
    #[arg(long, global = true, value_name = "FILE")]
    master_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and the API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Public base URL for links (setup link, mails), e.g. https://crm.example.de.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Contacts.
    #[command(subcommand)]
    Contact(ContactCmd),
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export records.
    #[command(subcommand)]
    Export(ExportCmd),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCmd),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The record of processing activities (Art. 30 GDPR).
    #[command(subcommand)]
    Ropa(RopaCmd),
    /// Data minimization: the field catalog and the lint.
    #[command(subcommand)]
    Privacy(PrivacyCmd),
    /// The privacy gate's Cedar policies.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Processors (Art. 28 GDPR) and their grants.
    #[command(subcommand)]
    Processor(ProcessorCmd),
    /// Consent and marketing permission: double opt-in, the ledger, withdrawal, review.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Audiences: who may be approached for a purpose on a channel, and the export.
    #[command(subcommand)]
    Audience(AudienceCmd),
    /// Outgoing mail: the queue and its delivery.
    #[command(subcommand)]
    Outbox(OutboxCmd),
    /// Data subject rights (Art. 15–21 GDPR): erasure and the other requests.
    #[command(subcommand)]
    Dsr(DsrCmd),
    /// Retention (storage limitation): the rule catalogue, the sweep, legal holds, pseudonyms.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Write an encrypted, consistent backup of the embedded database (while the server runs).
    Backup {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup (stop the server first). Everyone erased since the backup was taken is
    /// erased again.
    Restore {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DsrCmd {
    /// Open a case for a request; its deadline is one month after receipt (Art. 12(3)).
    Open {
        /// The contact the request is about.
        #[arg(long)]
        contact: String,
        /// access, rectification, erasure, restriction, portability, objection, withdrawal.
        #[arg(long)]
        kind: String,
        /// email, letter, phone, web_form, in_person.
        #[arg(long)]
        via: String,
        /// YYYY-MM-DD (default today).
        #[arg(long)]
        received: Option<String>,
        /// known_identity (with --evidence), email_code or manual (with --note).
        #[arg(long)]
        identity: Option<String>,
        /// The email address or phone number the request came from.
        #[arg(long)]
        evidence: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cases by due date, open ones first; overdue ones marked.
    List {
        /// Open cases only.
        #[arg(long)]
        open: bool,
        #[arg(long, default_value_t = 200)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// One case (by id or reference such as DSR-2026-0001).
    Show { case: String },
    /// Record how the requester's identity was checked.
    Verify {
        case: String,
        /// known_identity (with --evidence), email_code or manual (with --note).
        #[arg(long)]
        identity: String,
        #[arg(long)]
        evidence: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Send the requester a six-digit code by email for the identity check `email_code`; then
    /// `obhut dsr verify CASE --identity email_code --evidence CODE`.
    SendCode {
        case: String,
        /// One of the contact's known addresses (default: its first).
        #[arg(long)]
        address: Option<String>,
    },
    /// Extend the deadline once by up to two months (before it passes, the person told).
    Extend {
        case: String,
        #[arg(long)]
        reason: String,
        /// When the person was told (YYYY-MM-DD).
        #[arg(long)]
        informed: String,
        /// The new deadline (default: the latest permitted).
        #[arg(long)]
        until: Option<String>,
    },
    /// Close a case: completed, rejected or cancelled.
    Close {
        case: String,
        #[arg(long)]
        status: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Raise reminders for deadlines within seven days and flag overdue cases (the server
    /// does this every hour).
    Remind,
    /// Erase a contact (Art. 17): its data, mails and key; the audit trail keeps its events,
    /// unreadable. A later request for it answers 410 Gone.
    Erase {
        contact_id: String,
        /// Why (for example the request it answers). Never name the person here.
        #[arg(long)]
        reason: String,
        /// The request case this erasure answers.
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Restrict processing of a contact (Art. 18): it is only stored from now on, left out of
    /// every list, search, audience, export and job except for the DPO and administrators.
    /// Recipients of its data get notification tasks (Art. 19).
    Restrict {
        contact_id: String,
        /// Why, e.g. "accuracy contested (Art. 18(1)(a))". Never name the person here.
        #[arg(long)]
        reason: String,
        /// The restriction ends at this day (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// The restriction request case this answers; it is completed with it.
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Lift a restriction (Art. 18(3)): only after the person was told of it.
    Lift {
        contact_id: String,
        /// The day the person was told (YYYY-MM-DD), not in the future.
        #[arg(long = "informed-on")]
        informed_on: String,
        /// How the person was told: email, letter, phone, web_form, in_person.
        #[arg(long = "informed-via")]
        informed_via: Option<String>,
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Correct the contact of a rectification case (Art. 16), e.g. `--set family_name=Müller
    /// --set email=new@example.org`; the field names are those of the contact API. Recipients
    /// get notification tasks (Art. 19).
    Rectify {
        /// The case (id or reference such as DSR-2026-0001).
        case: String,
        /// field=value; repeat for several fields. An empty value clears the field; tags are
        /// separated by commas.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
    /// Notification tasks for the recipients of rectified, erased or restricted data (Art. 19).
    Notifications {
        /// Open tasks only.
        #[arg(long)]
        open: bool,
        /// The tasks of one case.
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark a notification task done, saying how and when the recipient was told.
    Notified {
        id: String,
        #[arg(long)]
        note: String,
    },
    /// The Art. 15 access report of a contact: a copy of the data with purposes, legal bases,
    /// categories, recipients, retention, source, rights and the audit trail (audited).
    Access {
        contact_id: String,
        /// json, html or pdf.
        #[arg(long, default_value = "json", value_parser = ["json", "html", "pdf"])]
        format: String,
        /// The language of html and pdf: de or en.
        #[arg(long, default_value = "de", value_parser = ["de", "en"])]
        lang: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The Art. 20 data export of a contact: one zip file with data.json, data.csv and
    /// contact.vcf (audited).
    Export {
        contact_id: String,
        /// The zip file to write.
        #[arg(long, short)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum RetentionCmd {
    /// The rule catalogue: one deletion rule per data type (DIN 66398).
    Rules {
        #[arg(long)]
        json: bool,
    },
    /// Change the rule of a data type (a legal duty's period cannot be cut short).
    SetRule {
        /// contact.prospect, contact.customer, contact.subscriber, activity.note,
        /// activity.letter, activity.order, activity.complaint or ticket.
        data_type: String,
        /// 6y, 18m, 30d, 2y6m.
        #[arg(long)]
        period: Option<String>,
        /// Count the period from the end of the calendar year: true or false.
        #[arg(long)]
        year_end: Option<bool>,
        /// erase, anonymize, pseudonymize or restrict.
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        legal_basis: Option<String>,
        #[arg(long)]
        legal_reference: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Apply every due rule (the server does this daily); with --dry-run only show what would
    /// happen and why.
    Run {
        #[arg(long)]
        dry_run: bool,
        /// Decide as of this day (YYYY-MM-DD; default today). Later days only with --dry-run.
        #[arg(long)]
        at: Option<String>,
        /// List at most this many contacts (all are handled).
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// What falls due next (Wiedervorlage).
    Due {
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Place a legal hold on a contact: its rules wait and its erasure is refused.
    Hold {
        contact_id: String,
        #[arg(long)]
        reason: String,
        /// The day the hold ends by itself (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
    },
    /// Release a legal hold.
    Release { hold_id: String },
    /// Legal holds in force, or all of one contact.
    Holds {
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Resolve a pseudonym (PSN-…) to the identifiers it replaced; logged with the reason.
    Resolve {
        token: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum ConsentCmd {
    /// Send a double opt-in mail; the consent counts once its link is confirmed.
    Request {
        contact_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long, default_value = "email")]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        /// One of the contact's addresses (default: its first).
        #[arg(long)]
        address: Option<String>,
        /// de or en (default: the contact's language).
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The ledger of a contact, its consents and the permission per channel.
    Show {
        contact_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a consent (Art. 7(3) GDPR).
    Withdraw {
        contact_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a consent event with its evidence: given, refused, withdrawn, confirmed (out of
    /// band), renewed, objected, objection_lifted or basis_recorded.
    Record {
        contact_id: String,
        #[arg(long)]
        kind: String,
        /// Not needed for objections (they cover every purpose on the channel).
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        /// paper, recorded_call, import, api or staff.
        #[arg(long)]
        method: Option<String>,
        /// Where the signed form or call recording is kept.
        #[arg(long)]
        recording_ref: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// The address or number the declaration concerns.
        #[arg(long)]
        address: Option<String>,
        /// § 7(3) UWG: all four conditions hold and are documented.
        #[arg(long)]
        existing_customer: bool,
        /// Business phone: the concrete reason for presumed consent.
        #[arg(long)]
        presumed_consent_reason: Option<String>,
    },
    /// A consent record as an ISO/IEC TS 27560 style JSON receipt.
    Receipt {
        contact_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
    },
    /// Consents due for review (given or unused for longer than the configured months);
    /// --send mails re-confirmation requests, --expire ends them.
    Review {
        #[arg(long)]
        send: bool,
        #[arg(long)]
        expire: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Save a new version of a notice text (from a file, or standard input with -).
    Notice {
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        language: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AudienceCmd {
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

#[derive(Subcommand)]
enum OutboxCmd {
    /// Deliver what is due now (the server does this by itself).
    Deliver,
    /// The queue: sent, waiting and failed mails (no addresses).
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PrivacyCmd {
    /// List fields and records holding data no active purpose justifies. Exits 1 when it
    /// finds any.
    Lint {
        #[arg(long)]
        json: bool,
        /// List at most this many records (all are counted).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Every personal field, its data category and the purposes that justify it.
    Fields {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PolicyCmd {
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

#[derive(Subcommand)]
enum ProcessorCmd {
    /// Create or change a processor from a JSON file (key, name, contract_date, purposes,
    /// scope_tag, valid_from, valid_until, country, transfer_mechanism, safeguard_document, contact).
    Save { file: PathBuf },
    /// List processors.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RopaCmd {
    /// Write the Art. 30 record, generated from the live purpose registry.
    Export {
        /// md, html or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// List audit events, newest first.
    List {
        /// Only events about this data subject (a contact id).
        #[arg(long)]
        subject: Option<String>,
        /// Only events of this actor, as recorded (e.g. `cli:anna`, `api:user:<id>`).
        #[arg(long)]
        actor: Option<String>,
        /// Only this action, e.g. `contact.read`.
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Empty the details of read events past their retention (`read_log_retention_days`,
    /// or --days); the chain still verifies.
    Retention {
        /// Days to keep read events in full (default: the configured value).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Check every event of the hash chain against the signed head. Exits 1, naming the first
    /// bad event, when an event was changed, removed, inserted or reordered, or the log was cut off.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; the password is read from standard input.
    Add {
        name: String,
        /// admin, dpo, user, hr, guest or processor.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (required: no password on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a user's role, scope, teams and processor.
    Access {
        name: String,
        /// admin, dpo, user, hr, guest or processor.
        #[arg(long)]
        role: String,
        /// own, team or all.
        #[arg(long, default_value = "all")]
        scope: String,
        /// Teams, comma-separated.
        #[arg(long, value_delimiter = ',')]
        teams: Vec<String>,
        /// For the role processor: the processor's key.
        #[arg(long)]
        processor: Option<String>,
    },
    /// Disable a user: sign-in is refused, sessions end and tokens are revoked at once.
    Disable { name: String },
    /// Enable a disabled user again (tokens revoked by disabling stay revoked).
    Enable { name: String },
    /// Set a user's password (read from standard input); they must change it at the next
    /// sign-in. Their sessions end and their tokens are revoked.
    Password {
        name: String,
        /// Read the new password from standard input (required: no password on the command line).
        #[arg(long)]
        stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create an API token for a user and print it (alone) on standard output.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        label: Option<String>,
        /// Days until the token expires (default 90; 0 for never).
        #[arg(long, allow_negative_numbers = true)]
        days: Option<i64>,
    },
    /// List API tokens: id, user, label, created, expires, last used, revoked.
    List {
        /// Only this user's tokens.
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token at once (its id from `token list`).
    Revoke { id: String },
}

#[derive(Subcommand)]
enum ContactCmd {
    /// Create a contact.
    Add {
        #[arg(long)]
        given_name: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// b2c or b2b.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        organization_id: Option<String>,
        #[arg(long)]
        language: Option<String>,
        /// Comma-separated.
        #[arg(long)]
        tags: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one contact.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// List or search contacts.
    List {
        /// Search: email, phone, name beginnings or organization.
        #[arg(long, short)]
        q: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
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

#[derive(Subcommand)]
enum ExportCmd {
    /// Export contacts.
    Contacts {
        /// csv, json or vcf.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Who receives the file (a third party, a processor): the disclosure is logged with it.
        #[arg(long)]
        recipient: Option<String>,
    },
}

#[derive(Subcommand)]
enum DemoCmd {
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

fn main() {
    // Everything this process creates — the data directory, the database, keys, backups,
    // mails, exports — is private to its owner unless a mode is set explicitly.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn config(g: &Global) -> Result<Config> {
    // The flag wins; without it the config file's data_dir, else ./obhut-data.
    let mut cfg = Config::load(g.config.as_deref(), g.data_dir.as_deref())?;
    if let Some(u) = &g.database_url {
        cfg.database_url = Some(u.clone()).filter(|u| !u.is_empty());
    }
    if let Some(k) = &g.master_key_file {
        cfg.master_key_file = Some(k.clone());
    }
    Ok(cfg)
}

fn init_logging(json: bool, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OBHUT_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// Turns a service error into a message for the terminal, naming each bad field.
fn explain(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Validation(errs) => {
            let lines: Vec<String> =
                errs.0.iter().map(|e| if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", e.field, e.message) }).collect();
            anyhow::anyhow!("invalid input:\n  {}", lines.join("\n  "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn open(g: &Global) -> Result<App> {
    let cfg = config(g)?;
    warn_loose_modes(&cfg);
    App::open(cfg).await
}

/// Names what in the data directory other users can reach, with the fix (the server logs it).
fn warn_loose_modes(cfg: &Config) {
    for w in obhut_store::files::loose_modes(&cfg.data_dir) {
        eprintln!("warning: {w}");
    }
}

async fn run(cli: Cli) -> Result<()> {
    let g = cli.global.clone();
    match cli.command {
        Command::Serve { listen, public_url } => {
            let mut cfg = config(&g)?;
            if let Some(l) = listen {
                cfg.listen = l.parse().with_context(|| format!("--listen '{l}' is not an address such as 127.0.0.1:8080"))?;
            }
            if let Some(u) = public_url {
                cfg.public_url = Some(u);
            }
            init_logging(cfg.log_json, "info,sqlx=warn");
            // Held while serving: a restore refuses to replace the database under a server.
            let _lock = services::backup::lock_data_dir(&cfg.data_dir).map_err(|m| anyhow::anyhow!(m))?;
            let listener = tokio::net::TcpListener::bind(cfg.listen).await.with_context(|| format!("cannot listen on {}", cfg.listen))?;
            let app = App::open(cfg.clone()).await?;
            let addr = listener.local_addr()?;
            let base = cfg.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
            tracing::info!(%addr, backend = ?app.store.backend, data_dir = %cfg.data_dir.display(), "Obhut is serving");
            if let Some(token) = services::users::ensure_setup_token(&app).await.map_err(explain)? {
                println!("No user exists yet. Create the first administrator with this one-time link (valid 24 hours):");
                println!("  {}/setup?token={token}", base.trim_end_matches('/'));
                std::io::stdout().flush()?;
            }
            println!("Obhut serves the web UI and API on {base}");
            obhut_server::server::serve(app, listener).await?;
        }
        Command::Audit(AuditCmd::List { subject, actor, action, limit, json }) => {
            let app = open(&g).await?;
            let filter = obhut_store::audit::AuditFilter { subject_id: subject, actor, action, since: None, until: None };
            let (events, total) =
                services::audit::search(&app, &Actor::cli(), &filter, Page::new(Some(limit), None)).await.map_err(explain)?;
            if json {
                let items: Vec<serde_json::Value> = events
                    .iter()
                    .map(|e| {
                        serde_json::json!({"seq": e.seq, "at": obhut_server::api::rfc3339(e.at), "actor": e.entry.actor, "action": e.entry.action,
                            "record_type": e.entry.record_type, "record_id": e.entry.record_id, "subject_id": e.entry.subject_id,
                            "fields": e.entry.fields, "purpose": e.entry.purpose})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({"items": items, "total": total}))?);
            } else {
                for e in &events {
                    println!(
                        "{:>8}  {}  {:<28}  {:<22}  {}{}",
                        e.seq,
                        obhut_server::api::rfc3339(e.at),
                        e.entry.actor,
                        e.entry.action,
                        e.entry.record_id.as_deref().unwrap_or("-"),
                        e.entry.purpose.as_deref().map(|p| format!("  purpose={p}")).unwrap_or_default()
                    );
                }
                eprintln!("{} of {total} events", events.len());
            }
        }
        Command::Audit(AuditCmd::Retention { days }) => {
            if days == Some(0) {
                bail!("--days: give 1 or more days to keep read events in full (0 in the configuration means keep them for good)");
            }
            let app = open(&g).await?;
            let n = match days {
                Some(d) => services::audit::redact_reads_before(&app, &Actor::cli(), app.now_ms() - i64::from(d) * 86_400_000).await,
                None => services::audit::apply_read_retention(&app, &Actor::cli()).await,
            }
            .map_err(explain)?;
            println!("{n} read event(s) past their retention emptied; the chain still verifies");
        }
        Command::Audit(AuditCmd::Verify { json }) => {
            let app = open(&g).await?;
            let v = services::audit::verify(&app, &Actor::cli()).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if v.intact {
                println!("the audit log is intact: {} events, the signed head names event {}", v.events, v.head_seq);
            }
            if !v.intact {
                if !json {
                    eprintln!(
                        "the audit log was tampered with at event {}: {}",
                        v.first_bad_seq.unwrap_or_default(),
                        v.problem.as_deref().unwrap_or("unknown problem")
                    );
                }
                std::process::exit(1);
            }
        }
        Command::Ropa(RopaCmd::Export { format, output }) => {
            let format = services::purposes::RopaFormat::parse(&format).map_err(|e| anyhow::anyhow!("--format: {e}"))?;
            let app = open(&g).await?;
            let text = services::purposes::ropa(&app, &Actor::cli(), format).await.map_err(explain)?;
            match output {
                Some(p) => std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?,
                None => print!("{text}"),
            }
        }
        Command::Privacy(PrivacyCmd::Lint { json, limit }) => {
            let app = open(&g).await?;
            let r = services::privacy::lint(&app, &Actor::cli(), limit).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for f in &r.unjustified_fields {
                    println!("field {}.{} ({}): no active purpose justifies it", f.record_type, f.name, f.category);
                }
                for f in &r.findings {
                    println!("{} {}: {}: {}", f.record_type, f.record_id, f.field, f.problem);
                }
                if r.total_findings as usize > r.findings.len() {
                    println!("… and {} more", r.total_findings as usize - r.findings.len());
                }
                println!(
                    "{} record(s) checked: {} unjustified field(s), {} finding(s)",
                    r.records_checked,
                    r.unjustified_fields.len(),
                    r.total_findings
                );
            }
            if !r.clean() {
                std::process::exit(1);
            }
        }
        Command::Privacy(PrivacyCmd::Fields { json }) => {
            let app = open(&g).await?;
            let rows = services::privacy::catalog(&app, &Actor::cli()).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for f in rows {
                    let by = if f.justified_by.is_empty() { "UNJUSTIFIED".to_string() } else { f.justified_by.join(", ") };
                    println!(
                        "{:<10} {:<12} {:<32} {}{}",
                        f.record_type,
                        f.name,
                        f.category,
                        by,
                        if f.sensitive { " (sensitive)" } else { "" }
                    );
                }
            }
        }
        Command::Policy(PolicyCmd::Show { schema }) => {
            let app = open(&g).await?;
            let v = services::policies::current(&app, &Actor::cli()).await.map_err(explain)?;
            if schema {
                print!("{}", v.schema);
            } else {
                println!("// version {}", v.version);
                print!("{}", v.source);
            }
        }
        Command::Policy(PolicyCmd::Check { file }) => {
            let source = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&g).await?;
            services::policies::check(&app, &Actor::cli(), &source).await.map_err(explain)?;
            println!("{}: the policies validate against the schema", file.display());
        }
        Command::Policy(PolicyCmd::Save { file }) => {
            let source = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&g).await?;
            let v = services::policies::save(&app, &Actor::cli(), &source).await.map_err(explain)?;
            println!("policies saved as version {v}, in force now");
        }
        Command::Processor(ProcessorCmd::Save { file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let p: obhut_core::processor::Processor =
                serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let app = open(&g).await?;
            let v = services::policies::save_processor(&app, &Actor::cli(), &p).await.map_err(explain)?;
            println!("processor {} saved as version {v}", p.key);
        }
        Command::Processor(ProcessorCmd::List { json }) => {
            let app = open(&g).await?;
            let list = services::policies::list_processors(&app, &Actor::cli()).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for p in list {
                    println!(
                        "{:<20} {:<32} {} – {}  tag {}  purposes {}",
                        p.key,
                        p.name,
                        p.valid_from,
                        p.valid_until,
                        p.scope_tag,
                        p.purposes.join(",")
                    );
                }
            }
        }
        Command::User(UserCmd::Access { name, role, scope, teams, processor }) => {
            let role = obhut_core::user::Role::parse(&role).map_err(|m| anyhow::anyhow!("--role: {m}"))?;
            let scope = obhut_core::user::Scope::parse(&scope).map_err(|m| anyhow::anyhow!("--scope: {m}"))?;
            let app = open(&g).await?;
            let u = services::users::set_access(&app, &Actor::cli(), &name, role, scope, &teams, processor.as_deref())
                .await
                .map_err(explain)?;
            println!("user {}: role {}, scope {}, teams [{}]", u.username, u.role.as_str(), u.scope.as_str(), u.teams.join(","));
        }
        Command::Migrate => {
            let cfg = config(&g)?;
            warn_loose_modes(&cfg);
            let store = obhut_store::Store::open(&cfg.store_options()).await?;
            let n = store.migrate().await?;
            println!("{n} migration(s) applied; the schema is current ({:?})", store.backend);
        }
        Command::User(UserCmd::Add { name, role, password_stdin }) => {
            if !password_stdin {
                bail!("give the password on standard input with --password-stdin");
            }
            let role = obhut_core::user::Role::parse(&role).map_err(|m| anyhow::anyhow!("--role: {m}"))?;
            let mut pw = String::new();
            std::io::stdin().read_to_string(&mut pw).context("reading the password from standard input")?;
            let pw = pw.trim_end_matches(['\n', '\r']);
            let app = open(&g).await?;
            let u = services::users::add_user(&app, &Actor::cli(), &name, role, pw).await.map_err(explain)?;
            println!("user {} created with role {} (id {})", u.username, u.role.as_str(), u.id);
        }
        Command::User(UserCmd::List { json }) => {
            let app = open(&g).await?;
            let users = services::users::list_users(&app, &Actor::cli()).await.map_err(explain)?;
            if json {
                let v: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({"id": u.id, "username": u.username, "role": u.role, "disabled": u.disabled,
                            "scope": u.scope, "teams": u.teams, "processor": u.processor_key,
                            "disabled_at": u.disabled_at.map(obhut_server::api::rfc3339), "must_change_password": u.must_change_password})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for u in users {
                    let status = if u.disabled {
                        "  disabled"
                    } else if u.must_change_password {
                        "  must change password"
                    } else {
                        ""
                    };
                    println!("{:<24} {:<6} {}{status}", u.username, u.role.as_str(), u.id);
                }
            }
        }
        Command::Token(TokenCmd::Create { user, label, days }) => {
            let app = open(&g).await?;
            let token = services::users::create_token(&app, &Actor::cli(), &user, label.as_deref(), days)
                .await
                .map_err(|e| explain_flags(e, &[("user", "--user"), ("label", "--label"), ("days", "--days")]))?;
            println!("{token}");
        }
        Command::User(UserCmd::Disable { name }) => users::disable(&g, &name).await?,
        Command::User(UserCmd::Enable { name }) => users::enable(&g, &name).await?,
        Command::User(UserCmd::Password { name, stdin }) => users::reset_password(&g, &name, stdin).await?,
        Command::Token(TokenCmd::List { user, json }) => users::list_tokens(&g, user.as_deref(), json).await?,
        Command::Token(TokenCmd::Revoke { id }) => users::revoke_token(&g, &id).await?,
        Command::Contact(cmd) => contact(&g, cmd).await?,
        Command::Consent(cmd) => consent(&g, cmd).await?,
        Command::Audience(cmd) => audience(&g, cmd).await?,
        Command::Dsr(cmd) => dsr(&g, cmd).await?,
        Command::Retention(cmd) => retention(&g, cmd).await?,
        Command::Backup { file, json } => {
            let app = open(&g).await?;
            let b = services::backup::backup(&app, &file).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else {
                println!(
                    "backup {} written to {}: {} bytes of database, {} bytes encrypted",
                    b.backup_id, b.file, b.database_bytes, b.file_bytes
                );
            }
        }
        Command::Restore { file, json } => {
            let cfg = config(&g)?;
            let r = services::backup::restore(&cfg, &file).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "restored backup {} of {}; re-applied {} erasure(s) made since",
                    r.backup_id,
                    obhut_server::api::rfc3339(r.created_at),
                    r.erasures_reapplied
                );
            }
        }
        Command::Outbox(OutboxCmd::Deliver) => {
            let app = open(&g).await?;
            let d = services::mail::deliver_due(&app).await.map_err(explain)?;
            println!("sent {}, to retry {}, failed {}", d.sent, d.retried, d.failed);
        }
        Command::Outbox(OutboxCmd::List { limit, json }) => {
            let app = open(&g).await?;
            let mut conn = app.store.pool.acquire().await?;
            let list = obhut_store::consent::list_outbox(&mut conn, limit.clamp(1, 10_000)).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for m in &list {
                    let state = match (m.sent_at, m.failed_at) {
                        (Some(_), _) => format!("sent via {}", m.transport.as_deref().unwrap_or("?")),
                        (None, Some(_)) => format!("FAILED: {}", m.last_error.as_deref().unwrap_or("")),
                        (None, None) => {
                            format!("waiting (attempts {}; {})", m.attempts, m.last_error.as_deref().unwrap_or("not tried yet"))
                        }
                    };
                    println!("{}  {:<22} {}  {}", obhut_server::api::rfc3339(m.created_at), m.kind, m.id, state);
                }
            }
        }
        Command::Import(ImportCmd::Contacts { file, dry_run, skip_invalid, json }) => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&g).await?;
            let opts = services::imports::ImportOptions { dry_run, skip_invalid };
            let name = file.display().to_string();
            let r = services::imports::import_contacts(&app, &Actor::cli(), &bytes, &name, opts).await.map_err(explain)?;
            // A large import leaves a large write-ahead log: fold it into the database now.
            app.store.checkpoint().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
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
        }
        Command::Export(ExportCmd::Contacts { format, output, recipient }) => {
            let fmt = services::contacts::ExportFormat::parse(&format).map_err(|m| anyhow::anyhow!("--format: {m}"))?;
            let app = open(&g).await?;
            let filter = obhut_store::contacts::ContactFilter::default();
            let n = match &output {
                Some(p) => {
                    let f = std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
                    let mut w = std::io::BufWriter::new(f);
                    services::contacts::export_to(&app, &Actor::cli(), fmt, &filter, recipient.as_deref(), &mut w).await.map_err(explain)?
                }
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout());
                    services::contacts::export_to(&app, &Actor::cli(), fmt, &filter, recipient.as_deref(), &mut w).await.map_err(explain)?
                }
            };
            eprintln!("exported {n} contacts");
        }
        Command::Demo(DemoCmd::Csv { contacts, seed, output }) => {
            let out: Box<dyn Write> = match &output {
                Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?),
                None => Box::new(std::io::stdout()),
            };
            let mut w = csv::Writer::from_writer(std::io::BufWriter::new(out));
            w.write_record(obhut_core::import::CSV_EXPORT_HEADERS)?;
            let demo = obhut_core::demo::Demo::new(seed);
            for i in 0..contacts {
                let d = demo.contact(i).validate().map_err(|e| anyhow::anyhow!("demo contact {i}: {e}"))?;
                let org = demo.contact_is_b2b(i).then(|| demo.organization(i % (contacts / 10).max(1)).name.unwrap_or_default());
                let id = uuid::Uuid::now_v7().to_string();
                let kind = if org.is_some() { obhut_core::contact::ContactKind::B2b } else { d.kind };
                w.write_record(obhut_core::import::csv_export_record(
                    &id,
                    kind,
                    &d.personal,
                    org.as_deref(),
                    d.language.as_deref(),
                    &d.tags,
                    "",
                ))?;
            }
            w.flush()?;
        }
        Command::Demo(DemoCmd::Seed { contacts, activities, seed }) => {
            let app = open(&g).await?;
            let start = std::time::Instant::now();
            let r = services::demo::seed(&app, &Actor::cli(), contacts, activities, seed, |c, a| {
                eprint!("\r{c} contacts, {a} activities");
            })
            .await
            .map_err(explain)?;
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

async fn contact(g: &Global, cmd: ContactCmd) -> Result<()> {
    let app = open(g).await?;
    let actor = Actor::cli();
    match cmd {
        ContactCmd::Add { given_name, family_name, email, phone, kind, organization_id, language, tags, json } => {
            let input = obhut_core::contact::ContactInput {
                given_name,
                family_name,
                email,
                phone,
                kind,
                organization_id,
                language,
                tags: tags.map(|t| t.split(',').map(str::to_string).collect()),
                ..Default::default()
            };
            let origin = obhut_store::contacts::Origin {
                source: "cli".into(),
                detail: Some(format!("command line, {}", actor.audit_name())),
                import_run_id: None,
            };
            let (r, dups) = services::contacts::create(&app, &actor, &input, origin).await.map_err(explain)?;
            for d in &dups {
                eprintln!("warning: contact {} has the same {}", d.contact_id, d.field);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&obhut_server::api::contacts::ContactOut::from_record(&r, None))?);
            } else {
                println!("{}", r.id);
            }
        }
        ContactCmd::Show { id, json } => {
            let id = obhut_core::ids::ContactId::parse(&id).map_err(|m| anyhow::anyhow!("{m}"))?;
            let r = services::contacts::get(&app, &actor, id).await.map_err(explain)?;
            let out = obhut_server::api::contacts::ContactOut::from_record(&r, None);
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("{} ({})", out.display_name, out.id);
                for e in &out.emails {
                    println!("  email  {}", e.address);
                }
                for p in &out.phones {
                    println!("  phone  {}", p.number);
                }
                println!("  kind   {}", out.kind.as_str());
                println!("  origin {} {}", out.origin.source, out.origin.detail.unwrap_or_default());
            }
        }
        ContactCmd::List { q, limit, offset, tag, json } => {
            let filter = obhut_store::contacts::ContactFilter { tag, ..Default::default() };
            let list =
                services::contacts::list(&app, &actor, q.as_deref(), &filter, Default::default(), Page::new(Some(limit), Some(offset)))
                    .await
                    .map_err(explain)?;
            if json {
                let items: Vec<_> = list.items.iter().map(|r| obhut_server::api::contacts::ContactOut::from_record(r, None)).collect();
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({"items": items, "total": list.total}))?);
            } else {
                for r in &list.items {
                    println!(
                        "{}  {:<30} {}",
                        r.id,
                        r.personal.display_name(),
                        r.personal.primary_email().map(|e| e.to_string()).unwrap_or_default()
                    );
                }
                println!("{} of {} contacts", list.items.len(), list.total);
            }
        }
    }
    Ok(())
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_case(c: &services::dsr::CaseView) {
    let due = if c.overdue {
        format!("OVERDUE since {} ({} days)", c.due_on, -c.days_left)
    } else if c.status == "received" || c.status == "in_progress" {
        format!("due {} ({} days left)", c.due_on, c.days_left)
    } else {
        format!("due {}", c.due_on)
    };
    println!("{}  {:<13} {:<10} {:<11} contact {}  {}", c.reference, c.kind, c.article, c.status, c.contact_id, due);
}

async fn dsr(g: &Global, cmd: DsrCmd) -> Result<()> {
    let show = |c: &services::dsr::CaseView, json: bool| -> Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(c)?);
        } else {
            print_case(c);
        }
        Ok(())
    };
    match cmd {
        DsrCmd::Open { contact, kind, via, received, identity, evidence, note, json } => {
            let app = open(g).await?;
            let input = services::dsr::NewCase {
                contact_id: contact,
                kind,
                received_on: received,
                received_via: via,
                identity_check: identity,
                identity_evidence: evidence,
                identity_note: note,
            };
            show(&services::dsr::open_case(&app, &Actor::cli(), &input).await.map_err(explain)?, json)?;
        }
        DsrCmd::List { open: only_open, limit, json } => {
            let app = open(g).await?;
            let cases = services::dsr::list_cases(&app, &Actor::cli(), only_open, limit).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cases)?);
            } else {
                for c in &cases {
                    print_case(c);
                }
            }
        }
        DsrCmd::Show { case } => {
            let app = open(g).await?;
            show(&services::dsr::get_case(&app, &Actor::cli(), &case).await.map_err(explain)?, true)?;
        }
        DsrCmd::Verify { case, identity, evidence, note } => {
            let app = open(g).await?;
            let c = services::dsr::verify_identity(&app, &Actor::cli(), &case, &identity, evidence.as_deref(), note.as_deref())
                .await
                .map_err(explain)?;
            show(&c, false)?;
        }
        DsrCmd::SendCode { case, address } => {
            let app = open(g).await?;
            let sent = services::dsr::send_identity_code(&app, &Actor::cli(), &case, address.as_deref()).await.map_err(explain)?;
            println!("code sent to {}; valid until {}", sent.sent_to, obhut_server::api::rfc3339(sent.expires_at));
        }
        DsrCmd::Extend { case, reason, informed, until } => {
            let app = open(g).await?;
            let c = services::dsr::extend(&app, &Actor::cli(), &case, &reason, &informed, until.as_deref()).await.map_err(explain)?;
            show(&c, false)?;
        }
        DsrCmd::Close { case, status, reason } => {
            let app = open(g).await?;
            show(&services::dsr::close_case(&app, &Actor::cli(), &case, &status, reason.as_deref()).await.map_err(explain)?, false)?;
        }
        DsrCmd::Remind => {
            let app = open(g).await?;
            let (soon, overdue) = services::dsr::remind(&app).await.map_err(explain)?;
            println!("{soon} reminder(s) of deadlines within seven days, {overdue} case(s) newly overdue");
        }
        DsrCmd::Erase { contact_id, reason, case, json } => {
            let app = open(g).await?;
            let e = services::dsr::erase(&app, &Actor::cli(), &contact_id, &reason, case.as_deref()).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else if let Some(until) = &e.restricted_until {
                println!("contact {}: erased what no legal duty keeps; the rest is restricted until {until}", e.contact_id);
                for k in &e.kept {
                    println!("kept: {k}");
                }
            } else {
                println!("contact {} erased at {}", e.contact_id, obhut_server::api::rfc3339(e.erased_at));
                if e.mails_deleted > 0 {
                    println!("{} delivered mail file(s) deleted", e.mails_deleted);
                }
                for k in &e.kept {
                    println!("kept: {k}");
                }
            }
        }
        DsrCmd::Restrict { contact_id, reason, until, case, json } => {
            let app = open(g).await?;
            let flags = [("until", "--until"), ("reason", "--reason"), ("case", "--case")];
            let until = services::rights::optional_date("until", until.as_deref()).map_err(|e| explain_flags(e, &flags))?;
            let r = services::rights::restrict(&app, &Actor::cli(), &contact_id, &reason, until, case.as_deref())
                .await
                .map_err(|e| unknown_contact(e, &contact_id))
                .map_err(|e| rename_flags(e, &flags))?;
            print_restriction(&r, json)?;
        }
        DsrCmd::Lift { contact_id, informed_on, informed_via, case, json } => {
            let app = open(g).await?;
            let flags = [("person_informed_on", "--informed-on"), ("informed_via", "--informed-via"), ("case", "--case")];
            let on = services::rights::optional_date("person_informed_on", Some(&informed_on)).map_err(|e| explain_flags(e, &flags))?;
            let r = services::rights::lift_restriction(&app, &Actor::cli(), &contact_id, on, informed_via.as_deref(), case.as_deref())
                .await
                .map_err(|e| unknown_contact(e, &contact_id))
                .map_err(|e| rename_flags(e, &flags))?;
            print_restriction(&r, json)?;
        }
        DsrCmd::Rectify { case, set } => {
            let patch = parse_sets(&set)?;
            let app = open(g).await?;
            let c = services::rights::rectify(&app, &Actor::cli(), &case, patch).await.map_err(explain)?;
            show(&c, false)?;
            println!("corrected: {}", c.rectified_fields.join(", "));
        }
        DsrCmd::Notifications { open: only_open, case, json } => {
            let app = open(g).await?;
            let case_id = match case {
                Some(c) => Some(services::dsr::get_case(&app, &Actor::cli(), &c).await.map_err(explain)?.id),
                None => None,
            };
            let filter = obhut_store::recipient_notices::NoticeFilter { open_only: only_open, case_id, contact_id: None };
            let list = services::rights::notifications(&app, &Actor::cli(), &filter, 10_000).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for n in &list {
                    let state = match n.done_at {
                        Some(at) => format!("done {} by {}", obhut_server::api::rfc3339(at), n.done_by.as_deref().unwrap_or("")),
                        None => "open".into(),
                    };
                    println!("{}  {:<19} contact {}  {}  {}", n.id, n.event, n.contact_id, n.recipient, state);
                }
            }
        }
        DsrCmd::Notified { id, note } => {
            let app = open(g).await?;
            let n = services::rights::mark_notified(&app, &Actor::cli(), &id, &note)
                .await
                .map_err(|e| rename_flags(explain(e), &[("note", "--note")]))?;
            println!("{} told of the {} of contact {}", n.recipient, n.event, n.contact_id);
        }
        DsrCmd::Access { contact_id, format, lang, output } => {
            use services::dsr_report as report;
            let format = report::Format::parse(&format).map_err(|m| anyhow::anyhow!("--format: {m}"))?;
            let lang = report::parse_lang(&lang).map_err(|m| anyhow::anyhow!("--lang: {m}"))?;
            let app = open(g).await?;
            let r = report::access_report(&app, &Actor::cli(), &contact_id).await.map_err(|e| unknown_contact(e, &contact_id))?;
            let mut bytes = report::render(&r, format, lang, None).map_err(explain)?;
            if format == report::Format::Json {
                bytes.push(b'\n');
            }
            // Written only once the report exists: a refused or unknown contact leaves no file.
            match &output {
                Some(p) => {
                    std::fs::write(p, &bytes).with_context(|| format!("cannot write {}", p.display()))?;
                    eprintln!("access report of {} written to {}", r.subject.id, p.display());
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)?;
                    out.flush()?;
                }
            }
        }
        DsrCmd::Export { contact_id, output } => {
            let app = open(g).await?;
            let zip =
                services::dsr_report::portability(&app, &Actor::cli(), &contact_id).await.map_err(|e| unknown_contact(e, &contact_id))?;
            std::fs::write(&output, &zip).with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!("data export written to {} ({} bytes)", output.display(), zip.len());
        }
    }
    Ok(())
}

async fn retention(g: &Global, cmd: RetentionCmd) -> Result<()> {
    use services::retention as r;
    let app = open(g).await?;
    let cli = Actor::cli();
    match cmd {
        RetentionCmd::Rules { json } => {
            let rules = r::rules(&app, &cli).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rules)?);
            } else {
                for x in &rules {
                    println!(
                        "{:<19} {:<20} {:>5}{} then {:<12} {}",
                        x.data_type.as_str(),
                        x.start.as_str(),
                        x.period.to_string(),
                        if x.year_end { " from year end" } else { "              " },
                        x.action.as_str(),
                        x.legal_reference
                    );
                }
            }
        }
        RetentionCmd::SetRule { data_type, period, year_end, action, purpose, legal_basis, legal_reference, description } => {
            let change = r::RuleChange { period, year_end, action, purpose, legal_basis, legal_reference, description };
            let x = r::set_rule(&app, &cli, &data_type, &change).await.map_err(explain)?;
            println!(
                "{}: {} from {}{}, then {}",
                x.data_type.as_str(),
                x.period,
                x.start.as_str(),
                if x.year_end { " (end of year)" } else { "" },
                x.action.as_str()
            );
        }
        RetentionCmd::Run { dry_run, at, limit, json } => {
            let at = at
                .map(|a| time::Date::parse(a.trim(), &time::format_description::well_known::Iso8601::DATE))
                .transpose()
                .map_err(|_| anyhow::anyhow!("--at: a date as YYYY-MM-DD"))?;
            let rep = r::sweep(&app, &cli, at, dry_run, limit).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rep)?);
            } else {
                for s in &rep.steps {
                    let until = s.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
                    println!("{} {} {}{until}: {}", s.contact_id, s.data_type.as_str(), s.action, s.why);
                    for x in &s.records {
                        println!("    {} {} {}: {}", x.data_type.as_str(), x.id, x.action.as_str(), x.why);
                    }
                }
                if rep.steps_total > rep.steps.len() as i64 {
                    println!("… and {} more contact(s)", rep.steps_total - rep.steps.len() as i64);
                }
                let c = &rep.counts;
                println!(
                    "{} as of {}: {} contact(s) checked; contacts erased {}, anonymized {}, pseudonymized {}, restricted {}; records erased {}, anonymized {}; held {}",
                    if rep.dry_run { "dry run (nothing changed)" } else { "retention sweep" },
                    rep.at,
                    rep.contacts_seen,
                    c.contacts_erased,
                    c.contacts_anonymized,
                    c.contacts_pseudonymized,
                    c.contacts_restricted,
                    c.records_erased,
                    c.records_anonymized,
                    c.held
                );
            }
        }
        RetentionCmd::Due { days, limit, json } => {
            let (list, total) = r::due_next(&app, &cli, days, limit).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({"total": total, "entries": list}))?);
            } else {
                for e in &list {
                    println!("{}  {} {:<18} {:<14} {}", e.due_on, e.contact_id, e.data_type.as_str(), e.action, e.why);
                }
                println!("{total} contact(s) fall due in the next {days} days");
            }
        }
        RetentionCmd::Hold { contact_id, reason, until } => {
            let h = r::place_hold(&app, &cli, &contact_id, &reason, until.as_deref()).await.map_err(explain)?;
            println!(
                "legal hold {} placed on contact {}{}",
                h.id,
                h.contact_id,
                h.until.map(|u| format!(" until {u}")).unwrap_or_default()
            );
        }
        RetentionCmd::Release { hold_id } => {
            let h = r::release_hold(&app, &cli, &hold_id).await.map_err(explain)?;
            println!("legal hold {} on contact {} released", h.id, h.contact_id);
        }
        RetentionCmd::Holds { contact, json } => {
            let list = r::holds(&app, &cli, contact.as_deref()).await.map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for h in &list {
                    println!(
                        "{} contact {} {} {}: {}",
                        h.id,
                        h.contact_id,
                        if h.in_force { "in force" } else { "ended" },
                        h.until.as_deref().unwrap_or("open-ended"),
                        h.reason
                    );
                }
            }
        }
        RetentionCmd::Resolve { token, reason } => {
            let x = r::resolve(&app, &cli, &token, &reason).await.map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&x)?);
        }
    }
    Ok(())
}

fn print_restriction(r: &services::rights::RestrictionView, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else if r.restricted {
        let until = r.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
        println!("processing of contact {} restricted (Art. 18){until}", r.contact_id);
    } else {
        println!("restriction of contact {} lifted", r.contact_id);
    }
    if r.recipient_notices > 0 {
        println!("{} recipient(s) to tell (Art. 19): see `obhut dsr notifications --open`", r.recipient_notices);
    }
    Ok(())
}

/// A service error with the API's field names said as the command's flags.
fn explain_flags(e: ServiceError, flags: &[(&str, &str)]) -> anyhow::Error {
    rename_flags(explain(e), flags)
}

fn rename_flags(e: anyhow::Error, flags: &[(&str, &str)]) -> anyhow::Error {
    let mut m = e.to_string();
    for (field, flag) in flags {
        m = m.replace(&format!("\n  {field}: "), &format!("\n  {flag}: "));
    }
    anyhow::anyhow!(m)
}

/// `--set field=value` flags as a contact change with the API's field names.
fn parse_sets(sets: &[String]) -> Result<obhut_core::contact::ContactInput> {
    let mut m = serde_json::Map::new();
    for s in sets {
        let (k, v) = s.split_once('=').ok_or_else(|| anyhow::anyhow!("--set '{s}': write field=value"))?;
        let k = k.trim();
        let v = match k {
            "tags" => serde_json::json!(v.split(',').map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>()),
            "emails" | "phones" | "addresses" => {
                return Err(anyhow::anyhow!("--set {k}: set the first entry with email=, phone= or use the API for lists"))
            }
            _ => serde_json::Value::String(v.to_string()),
        };
        m.insert(k.to_string(), v);
    }
    serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| anyhow::anyhow!("--set: {e}"))
}

/// A service error of a request about one contact: an unknown contact is named.
fn unknown_contact(e: ServiceError, id: &str) -> anyhow::Error {
    match e {
        ServiceError::NotFound("contact") => {
            let id: String = id.chars().filter(|c| !c.is_control()).take(64).collect();
            anyhow::anyhow!("no contact with the id '{id}'")
        }
        other => explain(other),
    }
}

async fn consent(g: &Global, cmd: ConsentCmd) -> Result<()> {
    let app = open(g).await?;
    let actor = Actor::cli();
    match cmd {
        ConsentCmd::Request { contact_id, purpose, channel, topic, address, language, json } => {
            let r = services::consent::request(
                &app,
                &actor,
                &contact_id,
                &purpose,
                &channel,
                topic.as_deref(),
                address.as_deref(),
                language.as_deref(),
            )
            .await
            .map_err(explain)?;
            // Deliver at once when no server runs; a running server may have taken it already.
            let d = services::mail::deliver_due(&app).await.map_err(explain)?;
            if json {
                print_json(&serde_json::json!({"request": r, "delivery": d}))?;
            } else {
                println!(
                    "double opt-in request {} sent for {} / {}; the link is valid until {}",
                    r.request_id,
                    r.purpose,
                    r.channel.as_str(),
                    obhut_server::api::rfc3339(r.expires_at)
                );
                if d.retried > 0 || d.failed > 0 {
                    eprintln!("warning: the mail is queued but not delivered yet (see obhut outbox list); it is retried");
                }
            }
        }
        ConsentCmd::Show { contact_id, json } => {
            let o = services::consent::overview(&app, &actor, &contact_id).await.map_err(explain)?;
            if json {
                print_json(&o)?;
            } else {
                println!("contact {}{}", o.contact_id, if o.restricted { " (processing restricted, Art. 18)" } else { "" });
                println!("consents:");
                for c in &o.consents {
                    let topic = if c.topic.is_empty() { String::new() } else { format!(" [{}]", c.topic) };
                    println!("  {:<20} {:<6}{} {}", c.purpose, c.channel.as_str(), topic, c.dpv);
                }
                println!("permission:");
                for p in &o.permissions {
                    println!("  {:<20} {:<6} {:<5} {}", p.purpose, p.channel.as_str(), if p.allowed { "yes" } else { "no" }, p.explanation);
                }
                println!("ledger:");
                for e in &o.events {
                    println!(
                        "  {}  {:<16} {:<20} {:<6} {:<22} {}",
                        obhut_server::api::rfc3339(e.at),
                        e.kind.as_str(),
                        e.purpose,
                        e.channel.as_str(),
                        e.method.as_str(),
                        e.actor
                    );
                }
            }
        }
        ConsentCmd::Withdraw { contact_id, purpose, channel, topic, note } => {
            let e = services::consent::withdraw(&app, &actor, &contact_id, &purpose, &channel, topic.as_deref(), note.as_deref())
                .await
                .map_err(explain)?;
            println!("withdrawn: {} / {} ({})", e.purpose, e.channel.as_str(), e.id);
        }
        ConsentCmd::Record {
            contact_id,
            kind,
            purpose,
            channel,
            topic,
            method,
            recording_ref,
            note,
            address,
            existing_customer,
            presumed_consent_reason,
        } => {
            let input = services::consent::RecordInput {
                purpose,
                channel,
                topic,
                kind,
                method,
                language: None,
                recording_ref,
                address,
                note,
                existing_customer: existing_customer.then_some(obhut_core::consent::ExistingCustomer {
                    address_from_sale: true,
                    own_similar_products: true,
                    notice_at_collection: true,
                    notice_in_every_mail: true,
                }),
                presumed_consent_reason,
            };
            let e = services::consent::record(&app, &actor, &contact_id, &input).await.map_err(explain)?;
            println!("recorded {} for {} / {} ({})", e.kind.as_str(), e.purpose, e.channel.as_str(), e.id);
        }
        ConsentCmd::Receipt { contact_id, purpose, channel, topic } => {
            let r = services::consent::receipt(&app, &actor, &contact_id, &purpose, &channel, topic.as_deref()).await.map_err(explain)?;
            print_json(&r)?;
        }
        ConsentCmd::Review { send, expire, limit, json } => {
            if send && expire {
                bail!("--send and --expire exclude each other");
            }
            if send || expire {
                let r = services::consent::review(&app, &actor, send, expire, limit).await.map_err(explain)?;
                if send {
                    services::mail::deliver_due(&app).await.map_err(explain)?;
                }
                if json {
                    print_json(&r)?;
                } else {
                    println!("due {}, re-confirmation mails queued {}, expired {}", r.due, r.mails_queued, r.expired);
                    for s in &r.skipped {
                        eprintln!("skipped {s}");
                    }
                }
            } else {
                let items = services::consent::review_queue(&app, &actor, limit).await.map_err(explain)?;
                if json {
                    print_json(&items)?;
                } else {
                    for i in &items {
                        println!(
                            "{}  {:<20} {:<6} given {}  last used {}",
                            i.contact_id,
                            i.purpose,
                            i.channel.as_str(),
                            obhut_server::api::rfc3339(i.given_at),
                            i.last_used.map(obhut_server::api::rfc3339).unwrap_or_else(|| "never".into())
                        );
                    }
                    println!("{} consents due for review", items.len());
                }
            }
        }
        ConsentCmd::Notice { purpose, channel, language, file } => {
            let mut text = String::new();
            if file.as_os_str() == "-" {
                std::io::stdin().read_to_string(&mut text)?;
            } else {
                text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            }
            let n = services::consent::save_notice(&app, &actor, &purpose, &channel, &language, &text).await.map_err(explain)?;
            println!("notice {} / {} / {}: version {} (sha256 {})", n.purpose, n.channel.as_str(), n.language, n.version, n.sha256);
        }
    }
    Ok(())
}

async fn audience(g: &Global, cmd: AudienceCmd) -> Result<()> {
    match cmd {
        AudienceCmd::Export { purpose, channel, topic, format, tag, kind, language, recipient, excluded, output } => {
            if format != "csv" {
                bail!("--format: '{format}' is not an audience format: use csv");
            }
            let app = open(g).await?;
            let segment = services::consent::Segment { tag, kind, language };
            let s = match &output {
                Some(p) => {
                    let f = std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
                    let mut w = std::io::BufWriter::new(f);
                    let s = services::consent::export_csv(
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
                    .await
                    .map_err(explain)?;
                    w.flush()?;
                    s
                }
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout());
                    let s = services::consent::export_csv(
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
                    .await
                    .map_err(explain)?;
                    w.flush()?;
                    s
                }
            };
            eprintln!("{} permitted, {} left out {:?}", s.permitted, s.excluded, s.excluded_by_reason);
        }
        AudienceCmd::Show { purpose, channel, topic, tag, kind, language, json } => {
            let app = open(g).await?;
            let segment = services::consent::Segment { tag, kind, language };
            let s =
                services::consent::audience(&app, &Actor::cli(), &purpose, &channel, topic.as_deref(), &segment).await.map_err(explain)?;
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
