//! Start-up: open the store, apply the migrations, and seed what a new installation needs
//! (pipeline stages, the purpose registry, the policies, the retention rules). Kept apart from
//! [`App`] itself so that the application state knows nothing of the services that seed it.

use crate::app::{App, AppInner};
use crate::config::Config;
use obhut_core::clock::{Clock, SystemClock};
use obhut_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

impl App {
    /// Opens the store, applies migrations and seeds what a new installation needs.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        Self::open_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn open_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        use anyhow::Context;
        let store = Store::open(&config.store_options()).await?;
        for warning in obhut_store::files::loose_modes(&config.data_dir) {
            tracing::warn!("{warning}");
        }
        store.migrate().await.context("applying database migrations")?;
        let access_log = crate::access_log::AccessLog::start(store.clone());
        let app = App(Arc::new(AppInner {
            access_log,
            registry: std::sync::RwLock::new(None),
            gate: crate::gate::Gate::new(),
            outbox_wake: tokio::sync::Notify::new(),
            signups: crate::limiter::limiter(crate::limiter::SIGNUPS_PER_HOUR, std::time::Duration::from_secs(3600), clock.clone()),
            login_attempts: crate::limiter::limiter(crate::limiter::ATTEMPTS_PER_MINUTE, std::time::Duration::from_secs(60), clock.clone()),
            store,
            config,
            clock,
            metrics: crate::metrics::Metrics::new(),
            token_uses: Mutex::new(HashMap::new()),
            token_cache: Mutex::new(HashMap::new()),
        }));
        // Seeded under the audit head's lock, so a server and a CLI starting together seed once.
        let mut tx = app.store.begin().await?;
        obhut_store::audit::lock_head(&mut tx).await?;
        obhut_store::deals::seed_stages(&mut tx, app.now_ms()).await?;
        crate::services::purposes::seed_defaults(&app, &mut tx).await.map_err(|e| anyhow::anyhow!("seeding the purpose registry: {e}"))?;
        crate::services::policies::seed_defaults(&app, &mut tx).await.map_err(|e| anyhow::anyhow!("seeding the policies: {e}"))?;
        crate::services::retention::seed_defaults(&app, &mut tx).await.map_err(|e| anyhow::anyhow!("seeding the retention rules: {e}"))?;
        tx.commit().await?;
        // Contacts stored before lists sorted by name across pages get their sort bucket.
        loop {
            let mut tx = app.store.begin().await?;
            let batch = obhut_store::contact_sort::unsorted_contacts(&mut tx, &app.store.crypto, 5_000).await?;
            if batch.is_empty() {
                break;
            }
            obhut_store::contact_sort::set_sort_buckets(&mut tx, &app.store.crypto, &batch).await?;
            tx.commit().await?;
        }
        crate::services::policies::load(&app).await.map_err(|e| anyhow::anyhow!("loading the policies: {e}"))?;
        crate::services::purposes::registry(&app).await.map_err(|e| anyhow::anyhow!("reading the purpose registry: {e}"))?;
        Ok(app)
    }
}
