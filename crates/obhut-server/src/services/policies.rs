//! The gate's policies and the processors (Art. 28), as administrators and the DPO run them.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Gate, Resource, DEFAULT_POLICIES};
use obhut_core::processor::Processor;

/// Saves the default policies as version 1 on a new installation, inside the caller's
/// transaction (which holds the chain head).
/// An installation still on the defaults of an earlier release (never edited) moves to the
/// current defaults, as a new version saved by the system: a record kind added since (tasks)
/// would otherwise be refused to everyone but administrators. Edited policies stay as saved.
pub async fn seed_defaults(app: &App, tx: &mut obhut_store::Conn) -> ServiceResult<()> {
    let action = match obhut_store::policies::current_policies(tx).await? {
        None => "policy.create",
        Some((_, source)) if earlier_defaults().contains(&source) => "policy.update",
        Some(_) => return Ok(()),
    };
    let now = app.now_ms();
    let system = Actor::system();
    let version = obhut_store::policies::save_policies(tx, DEFAULT_POLICIES, now, &system.audit_name()).await?;
    let event = audit_entry(&system, action, "policy", version, None, vec![format!("version={version}")]);
    obhut_store::audit::append(tx, &app.store.crypto, now, &[event]).await?;
    Ok(())
}

/// The default policies of earlier releases: before tasks, the CRM's record kinds were
/// contacts, organizations, activities, deals and tickets.
pub fn earlier_defaults() -> [String; 1] {
    [DEFAULT_POLICIES.replace(" || resource.kind == \"task\"", "")]
}

/// Puts the saved policies in force (at start, and after another process saved new ones).
pub async fn load(app: &App) -> ServiceResult<i64> {
    let mut conn = app.conn().await?;
    let Some((version, source)) = obhut_store::policies::current_policies(&mut conn).await? else { return Ok(0) };
    if app.gate.policies().0 != version {
        app.gate
            .install(version, &source)
            .map_err(|e| ServiceError::Internal(format!("the saved policies (version {version}) do not validate: {e}")))?;
    }
    Ok(version)
}

/// The policies in force: version and source, with the saved versions (newest first).
pub struct PolicyView {
    pub version: i64,
    pub source: String,
    pub schema: &'static str,
    pub history: Vec<(i64, i64, String)>,
}

pub async fn current(app: &App, actor: &Actor) -> ServiceResult<PolicyView> {
    app.authorize(actor, Action::Read, Resource::Policy).await?;
    load(app).await?;
    let mut conn = app.conn().await?;
    let history = obhut_store::policies::policy_history(&mut conn).await?;
    let (version, source) = app.gate.policies();
    Ok(PolicyView { version, source, schema: crate::gate::SCHEMA, history })
}

/// Checks a policy set without saving it: the validator's messages, or `Ok`.
pub async fn check(app: &App, actor: &Actor, source: &str) -> ServiceResult<()> {
    app.authorize(actor, Action::Read, Resource::Policy).await?;
    validate(source)
}

fn validate(source: &str) -> ServiceResult<()> {
    if source.len() > 200_000 {
        return Err(ServiceError::field("source", "a policy set has at most 200,000 characters"));
    }
    let trial = Gate::new();
    trial
        .install(-1, source)
        .map_err(|e| ServiceError::field("source", format!("the policies do not validate against the schema: {e}")))?;
    // Nobody may lock the administrators out of the policies themselves.
    let admin = Actor::new(None, "admin-check", obhut_core::user::Role::Admin, crate::gate::Channel::Api);
    if trial.check_kind(&admin, Action::Administer, Resource::Policy, "", 0).is_err() {
        return Err(ServiceError::field(
            "source",
            "these policies would keep administrators from editing the policies: keep a permit for them",
        ));
    }
    Ok(())
}

/// Validates and saves a policy set as the next version, audited, and puts it in force.
/// A set that does not validate is refused with the validator's message, and nothing changes.
pub async fn save(app: &App, actor: &Actor, source: &str) -> ServiceResult<i64> {
    app.authorize(actor, Action::Administer, Resource::Policy).await?;
    validate(source)?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let version = obhut_store::policies::save_policies(&mut w.tx, source, now, &actor.audit_name()).await?;
    let event = audit_entry(actor, "policy.update", "policy", version, None, vec![format!("version={version}")]);
    w.record(&[event]);
    w.commit(app).await?;
    app.gate.install(version, source).map_err(ServiceError::Internal)?;
    Ok(version)
}

pub async fn list_processors(app: &App, actor: &Actor) -> ServiceResult<Vec<Processor>> {
    app.authorize(actor, Action::Read, Resource::Processor).await?;
    let mut conn = app.conn().await?;
    Ok(obhut_store::policies::list_processors(&mut conn).await?)
}

/// Saves a processor (new or changed) as its next version, audited. Its purposes must be in
/// the registry.
pub async fn save_processor(app: &App, actor: &Actor, p: &Processor) -> ServiceResult<i64> {
    app.authorize(actor, Action::Administer, Resource::Processor).await?;
    if let Err(e) = p.check() {
        let (field, message) = e.split_once(": ").unwrap_or(("", e.as_str()));
        return Err(ServiceError::field(field, message));
    }
    let known = super::purposes::active_keys(app).await?;
    if let Some(bad) = p.purposes.iter().find(|k| !known.contains(k)) {
        return Err(ServiceError::field("purposes", format!("'{bad}' is not an active purpose: use one of {}", known.join(", "))));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let version = obhut_store::policies::save_processor(&mut w.tx, p, now, &actor.audit_name()).await?;
    let action = if version == 1 { "processor.create" } else { "processor.update" };
    let event = audit_entry(actor, action, "processor", &p.key, None, vec![format!("version={version}")]);
    w.record(&[event]);
    w.commit(app).await?;
    Ok(version)
}
