//! Application state: the store, configuration, clock and metrics, shared by every surface.

use crate::config::Config;
use crate::error::ServiceResult;
use obhut_core::clock::{to_millis, Clock, SystemClock};
use obhut_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct AppInner {
    pub store: Store,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub metrics: crate::metrics::Metrics,
    /// Failed logins per user name: (count, last failure in ms).
    pub login_failures: Mutex<HashMap<String, (u32, i64)>>,
    /// Recently verified API tokens (by hash): the actor and until when the entry holds.
    pub token_cache: Mutex<HashMap<Vec<u8>, (crate::gate::Actor, i64)>>,
    /// Reads of personal data, committed in groups.
    pub access_log: crate::access_log::AccessLog,
    /// Keys of the active purposes; cleared when the registry changes.
    pub purpose_keys: std::sync::RwLock<Option<Vec<String>>>,
}

/// Cheap to clone; one per process.
#[derive(Clone)]
pub struct App(pub Arc<AppInner>);

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    /// Opens the store, applies migrations and seeds what a new installation needs.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        Self::open_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn open_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        use anyhow::Context;
        let store = Store::open(&config.store_options()).await?;
        store.migrate().await.context("applying database migrations")?;
        let access_log = crate::access_log::AccessLog::start(store.clone());
        let app = App(Arc::new(AppInner {
            access_log,
            purpose_keys: std::sync::RwLock::new(None),
            store,
            config,
            clock,
            metrics: crate::metrics::Metrics::new(),
            login_failures: Mutex::new(HashMap::new()),
            token_cache: Mutex::new(HashMap::new()),
        }));
        // Seeded under the audit head's lock, so a server and a CLI starting together seed once.
        let mut tx = app.store.begin().await?;
        obhut_store::audit::lock_head(&mut tx).await?;
        obhut_store::deals::seed_stages(&mut tx, app.now_ms()).await?;
        crate::services::purposes::seed_defaults(&app, &mut tx).await.map_err(|e| anyhow::anyhow!("seeding the purpose registry: {e}"))?;
        tx.commit().await?;
        Ok(app)
    }

    pub fn now_ms(&self) -> i64 {
        to_millis(self.clock.now())
    }

    /// A transaction that writes: it takes the audit head first, so writers queue in order.
    pub async fn begin_write(&self) -> ServiceResult<obhut_store::Tx<'static>> {
        let mut tx = self.store.begin().await?;
        obhut_store::audit::lock_head(&mut tx).await?;
        Ok(tx)
    }

    pub async fn conn(&self) -> ServiceResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.store.pool.acquire().await.map_err(|_| crate::error::ServiceError::Unavailable)
    }
}
