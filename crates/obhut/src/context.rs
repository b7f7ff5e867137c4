//! What every command starts from: the global flags, the configuration they make, the opened
//! app, and what a command reads from a file or standard input.

use crate::error::Result;
use anyhow::Context as _;
use clap::Args;
use obhut_server::{App, Config};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Args, Clone)]
pub struct Global {
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

/// The configuration: defaults, then the file, then the environment, then these flags.
pub fn config(g: &Global) -> Result<Config> {
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

/// The app over the configured store, after a warning about loose file modes.
pub async fn open(g: &Global) -> Result<App> {
    let cfg = config(g)?;
    warn_loose_modes(&cfg);
    Ok(App::open(cfg).await?)
}

/// Names what in the data directory other users can reach, with the fix (the server logs it).
pub fn warn_loose_modes(cfg: &Config) {
    for w in obhut_store::files::loose_modes(&cfg.data_dir) {
        eprintln!("warning: {w}");
    }
}

/// A password from standard input, without the line break that ends it.
pub fn read_password() -> Result<String> {
    let mut pw = String::new();
    std::io::stdin().read_to_string(&mut pw).context("reading the password from standard input")?;
    Ok(pw.trim_end_matches(['\n', '\r']).to_string())
}

/// The text of a file the command was given.
pub fn read_file(file: &Path) -> Result<String> {
    Ok(std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?)
}

/// The text of a file, or of standard input for `-`.
pub fn read_file_or_stdin(file: &Path) -> Result<String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        read_file(file)
    }
}
