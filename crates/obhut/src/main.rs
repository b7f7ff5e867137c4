//! `obhut`: the CRM's server and command line. Every command works through the same
//! services as the API and the web UI, so the privacy gate and the audit trail apply alike.
//!
//! One file per command under `commands/`; beside them what all commands share: the global
//! flags and opening the app (`context`), the error type (`error`) and the output (`output`).

use clap::Parser;

mod commands;
mod context;
mod error;
mod output;

/// mimalloc: the server and imports allocate many small buffers on several threads at once,
/// where glibc's allocator spent a fifth of an import's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "obhut", version, about = "Obhut: a CRM that enforces the GDPR", propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: context::Global,
    #[command(subcommand)]
    command: commands::Command,
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
    if let Err(e) = rt.block_on(cli.command.run(&cli.global)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
