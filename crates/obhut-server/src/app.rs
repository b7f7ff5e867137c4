//! Application state: the store, configuration, clock and metrics, shared by every surface.

use crate::config::Config;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Refusal, Resource, Target};
use obhut_core::clock::{to_millis, Clock};
use obhut_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct AppInner {
    pub store: Store,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub metrics: crate::metrics::Metrics,
    /// Sign-in attempts per client network, in memory: the flood guard in front of the
    /// throttle kept in the database (`crate::throttle`).
    pub login_attempts: crate::limiter::Limiter,
    /// When this process last sent a write of a token's last use (by token id).
    pub token_uses: Mutex<HashMap<String, i64>>,
    /// Verified API tokens by hash, each valid while the store's `auth_epoch` stays what it
    /// was when the token was checked (read on every request: another process's change counts
    /// on the very next one).
    pub token_cache: Mutex<HashMap<Vec<u8>, VerifiedToken>>,
    /// Reads of personal data, committed in groups.
    pub access_log: crate::access_log::AccessLog,
    /// The purpose registry as last read; cleared when it changes.
    pub registry: std::sync::RwLock<Option<Arc<Vec<obhut_core::purpose::Purpose>>>>,
    /// The privacy gate: Cedar policies, field rules.
    pub gate: crate::gate::Gate,
    /// Wakes the outbox worker when mail was queued.
    pub outbox_wake: tokio::sync::Notify,
    /// Sign-ups of the public form per client network (/24, /56).
    pub signups: crate::limiter::Limiter,
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
    /// Today as days since 1970-01-01 (how policies compare dates).
    pub fn today(&self) -> i64 {
        obhut_core::processor::epoch_day(self.clock.now().date())
    }

    /// Asks the gate whether the actor may do this to some record of this kind (see
    /// [`crate::gate::Gate::check_kind`]); a refusal is logged.
    pub async fn authorize(&self, actor: &Actor, action: Action, resource: Resource) -> ServiceResult<()> {
        self.authorize_for(actor, action, resource, "").await
    }

    /// [`App::authorize`] for a declared purpose.
    pub async fn authorize_for(&self, actor: &Actor, action: Action, resource: Resource, purpose: &str) -> ServiceResult<()> {
        match self.gate.check_kind(actor, action, resource, purpose, self.today()) {
            Ok(()) => Ok(()),
            Err(r) => Err(self.refused(actor, action, resource.kind(), None, purpose, r).await),
        }
    }

    /// Asks the gate about one record; a refusal is logged with the record.
    pub async fn authorize_record(
        &self,
        actor: &Actor,
        action: Action,
        target: &Target<'_>,
        purpose: &str,
        record_id: &str,
    ) -> ServiceResult<()> {
        match self.gate.check(actor, action, target, purpose, self.today()) {
            Ok(()) => Ok(()),
            Err(r) => Err(self.refused(actor, action, target.resource.kind(), Some(record_id), purpose, r).await),
        }
    }

    /// Logs a refusal of the gate (who, what, which policy) and returns the error to answer.
    pub async fn refused(
        &self,
        actor: &Actor,
        action: Action,
        kind: &str,
        record_id: Option<&str>,
        purpose: &str,
        r: Refusal,
    ) -> ServiceError {
        let subject = record_id.filter(|_| kind == "contact");
        self.refused_about(actor, action, kind, record_id, subject, purpose, r).await
    }

    /// [`App::refused`] for a record about a contact (`subject`), so that the refusal shows
    /// in that person's trail.
    #[allow(clippy::too_many_arguments)]
    pub async fn refused_about(
        &self,
        actor: &Actor,
        action: Action,
        kind: &str,
        record_id: Option<&str>,
        subject: Option<&str>,
        purpose: &str,
        r: Refusal,
    ) -> ServiceError {
        let mut fields = vec![format!("action={}", action.as_str())];
        fields.extend(r.policies.iter().map(|p| format!("policy={p}")));
        let event = obhut_store::audit::AuditEntry {
            actor: actor.audit_name(),
            action: "access.refused".into(),
            record_type: kind.into(),
            record_id: record_id.map(str::to_string),
            subject_id: subject.map(str::to_string),
            fields,
            detail: None,
            purpose: (!purpose.is_empty()).then(|| purpose.chars().filter(|c| !c.is_control()).take(64).collect()),
            recipient: actor.processor.as_ref().map(|p| format!("processor:{}", p.key)),
        };
        if let Err(e) = self.access_log.record(event, self.now_ms()).await {
            return ServiceError::Internal(e);
        }
        metrics::counter!("obhut_gate_refusals_total").increment(1);
        r.into()
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

    /// Begins a write that is committed only together with its audit entries: the one way
    /// a service changes records (law: every change is audited). `now` stamps the entries.
    pub async fn audited(&self, now: i64) -> ServiceResult<AuditedWrite> {
        Ok(AuditedWrite { tx: self.begin_write().await?, now, entries: Vec::new() })
    }

    pub async fn conn(&self) -> ServiceResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.store.pool.acquire().await.map_err(|_| crate::error::ServiceError::Unavailable)
    }
}

/// A token verified against the database, kept in memory for as long as nothing that decides
/// it changes: `epoch` is the store's `auth_epoch` read before it was verified.
#[derive(Clone)]
pub struct VerifiedToken {
    pub actor: crate::gate::Actor,
    pub token_id: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub epoch: i64,
}

/// A write in progress and the audit entries it owes (see [`App::audited`]). Dropping it
/// rolls the write back; [`AuditedWrite::commit`] appends the entries to the hash chain and
/// commits both at once.
pub struct AuditedWrite {
    pub tx: obhut_store::Tx<'static>,
    now: i64,
    entries: Vec<obhut_store::audit::AuditEntry>,
}

impl AuditedWrite {
    /// Notes what the write did, for the audit trail.
    pub fn record(&mut self, entries: &[obhut_store::audit::AuditEntry]) {
        self.entries.extend_from_slice(entries);
    }

    /// Appends the entries and commits.
    pub async fn commit(mut self, app: &App) -> ServiceResult<()> {
        obhut_store::audit::append(&mut self.tx, &app.store.crypto, self.now, &self.entries).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
