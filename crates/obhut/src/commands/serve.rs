//! `obhut serve`: the web UI and the API.

use crate::context::{config, Global};
use crate::error::{CliError, Result};
use anyhow::Context as _;
use clap::Args;
use obhut_server::services;
use obhut_server::App;
use std::io::Write;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Public base URL for links (setup link, mails), e.g. https://crm.example.de.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

pub async fn run(g: &Global, args: ServeArgs) -> Result<()> {
    let ServeArgs { listen, public_url } = args;
    let mut cfg = config(g)?;
    if let Some(l) = listen {
        cfg.listen = l.parse().with_context(|| format!("--listen '{l}' is not an address such as 127.0.0.1:8080"))?;
    }
    if let Some(u) = public_url {
        cfg.public_url = Some(u);
    }
    init_logging(cfg.log_json, "info,sqlx=warn");
    // Held while serving: a restore refuses to replace the database under a server.
    let _lock = services::backup::lock_data_dir(&cfg.data_dir).map_err(CliError::Message)?;
    let listener = tokio::net::TcpListener::bind(cfg.listen).await.with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let app = App::open(cfg.clone()).await?;
    let addr = listener.local_addr()?;
    let base = cfg.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    tracing::info!(%addr, backend = ?app.store.backend, data_dir = %cfg.data_dir.display(), "Obhut is serving");
    if let Some(token) = services::users::ensure_setup_token(&app).await? {
        println!("No user exists yet. Create the first administrator with this one-time link (valid 24 hours):");
        println!("  {}/setup?token={token}", base.trim_end_matches('/'));
        std::io::stdout().flush()?;
    }
    println!("Obhut serves the web UI and API on {base}");
    obhut_server::server::serve(app, listener).await?;
    Ok(())
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
