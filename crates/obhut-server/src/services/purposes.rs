//! The purpose registry (the Art. 30 record) as the DPO sees and exports it.

use super::audit_entry;
use crate::app::App;
use crate::error::ServiceError;
use crate::error::ServiceResult;
use crate::gate::{Action, Actor, Resource};
use obhut_core::purpose::{default_purposes, ropa_html, ropa_json, ropa_markdown, Controller, Purpose};
use std::sync::Arc;

/// The purpose of the newsletter by email, which exists by default.
pub const NEWSLETTER: &str = "newsletter";

/// Formats of the Art. 30 export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopaFormat {
    Markdown,
    Html,
    Json,
}

impl RopaFormat {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "md" | "markdown" => Ok(Self::Markdown),
            "html" => Ok(Self::Html),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown format '{other}': use md, html or json")),
        }
    }
}

/// Seeds the registry of a new installation with the usual purposes of a German company,
/// inside the caller's transaction (which holds the chain head). Returns how many it added.
pub async fn seed_defaults(app: &App, tx: &mut obhut_store::Conn) -> ServiceResult<usize> {
    let stored = obhut_store::purposes::list_purposes(tx).await?;
    let today = app.clock.now().date().to_string();
    let purposes: Vec<Purpose> = if stored.is_empty() {
        default_purposes(&today)
    } else {
        // Installations from before the consent ledger get the newsletter purpose its default
        // notices and audiences speak of, and those from before the record pickers the purpose
        // data subject requests read under; everything else they have is theirs to keep.
        default_purposes(&today)
            .into_iter()
            .filter(|p| [NEWSLETTER, obhut_core::purpose::DATA_SUBJECT_RIGHTS].contains(&p.key.as_str()) && !stored.iter().any(|s| s.key == p.key))
            .collect()
    };
    if purposes.is_empty() {
        return Ok(0);
    }
    let now = app.now_ms();
    let system = Actor::system();
    let mut events = Vec::new();
    for p in &purposes {
        let version = obhut_store::purposes::save_purpose(tx, p, now, &system.audit_name()).await?;
        events.push(audit_entry(&system, "purpose.create", "purpose", &p.key, None, vec![format!("version={version}")]));
    }
    obhut_store::audit::append(tx, &app.store.crypto, now, &events).await?;
    Ok(purposes.len())
}

pub async fn list(app: &App, actor: &Actor) -> ServiceResult<Vec<Purpose>> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let mut conn = app.conn().await?;
    Ok(obhut_store::purposes::list_purposes(&mut conn).await?)
}

/// The Art. 30 record, generated from the live registry, in English.
pub async fn ropa(app: &App, actor: &Actor, format: RopaFormat) -> ServiceResult<String> {
    ropa_in(app, actor, format, "en").await
}

/// [`ropa`] in `lang` ("de" or "en"; the JSON holds both languages).
pub async fn ropa_in(app: &App, actor: &Actor, format: RopaFormat, lang: &str) -> ServiceResult<String> {
    if lang != "de" && lang != "en" {
        return Err(ServiceError::field("lang", "must be de or en"));
    }
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let mut conn = app.conn().await?;
    let purposes = obhut_store::purposes::list_purposes(&mut conn).await?;
    let controller = obhut_store::purposes::controller(&mut conn).await?;
    let at = app.clock.now().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(match format {
        RopaFormat::Markdown => ropa_markdown(&controller, &purposes, &at, lang),
        RopaFormat::Html => ropa_html(&controller, &purposes, &at, lang),
        RopaFormat::Json => serde_json::to_string_pretty(&ropa_json(&controller, &purposes, &at)).unwrap_or_default(),
    })
}

/// Which version a save expects to replace: the web forms say, so a stale form or a new
/// purpose under a key already taken does not silently overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Whatever is stored (the CLI and seeding).
    Any,
    /// A new purpose: its key must be free.
    New,
    /// The version the form was loaded from.
    Version(i64),
}

/// Saves a changed or new purpose as its next version, audited. A purpose without legal basis
/// reference, data subjects, data categories or retention is refused, naming the field.
pub async fn save(app: &App, actor: &Actor, p: &Purpose) -> ServiceResult<i64> {
    save_expecting(app, actor, p, Expect::Any).await
}

/// [`save`], refused with a conflict when the stored version is not the one expected.
pub async fn save_expecting(app: &App, actor: &Actor, p: &Purpose, expect: Expect) -> ServiceResult<i64> {
    app.authorize(actor, Action::Administer, Resource::Purpose).await?;
    if let Err(e) = p.check() {
        let (field, message) = e.split_once(": ").unwrap_or(("", e.as_str()));
        return Err(ServiceError::field(field, message));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let current = obhut_store::purposes::list_purposes(&mut w.tx).await?.into_iter().find(|x| x.key == p.key).map(|x| x.version);
    match (expect, current) {
        (Expect::New, Some(_)) => return Err(ServiceError::field("key", "a purpose with this key exists already")),
        (Expect::Version(_), None) => return Err(ServiceError::NotFound("purpose")),
        (Expect::Version(v), Some(c)) if v != c => {
            return Err(ServiceError::Conflict(format!("purpose {} is at version {c}, not {v}", p.key)))
        }
        _ => {}
    }
    let version = obhut_store::purposes::save_purpose(&mut w.tx, p, now, &actor.audit_name()).await?;
    let action = if version == 1 { "purpose.create" } else { "purpose.update" };
    let event = audit_entry(actor, action, "purpose", &p.key, None, vec![format!("version={version}")]);
    w.record(&[event]);
    w.commit(app).await?;
    if let Ok(mut cache) = app.registry.write() {
        *cache = None;
    }
    registry(app).await?;
    Ok(version)
}

/// One purpose as it stands now.
pub async fn get(app: &App, actor: &Actor, key: &str) -> ServiceResult<Purpose> {
    list(app, actor).await?.into_iter().find(|p| p.key == key).ok_or(ServiceError::NotFound("purpose"))
}

/// One stored version of a purpose; `changed_by` as the audit trail names the actor.
#[derive(Debug, Clone)]
pub struct PurposeVersion {
    pub version: i64,
    pub purpose: Purpose,
    pub changed_at: i64,
    pub changed_by: String,
}

/// Every version of a purpose, oldest first.
pub async fn history(app: &App, actor: &Actor, key: &str) -> ServiceResult<Vec<PurposeVersion>> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let mut conn = app.conn().await?;
    let rows = obhut_store::purposes::purpose_history(&mut conn, key).await?;
    if rows.is_empty() {
        return Err(ServiceError::NotFound("purpose"));
    }
    Ok(rows
        .into_iter()
        .map(|(version, mut purpose, changed_at, changed_by)| {
            purpose.version = version;
            PurposeVersion { version, purpose, changed_at, changed_by }
        })
        .collect())
}

/// The controller and DPO as the record names them (Art. 30(1)(a)).
pub async fn controller(app: &App, actor: &Actor) -> ServiceResult<Controller> {
    app.authorize(actor, Action::Read, Resource::Purpose).await?;
    let mut conn = app.conn().await?;
    Ok(obhut_store::purposes::controller(&mut conn).await?)
}

/// Saves the controller's details, audited as `controller.update` naming the changed fields.
pub async fn save_controller(app: &App, actor: &Actor, c: &Controller) -> ServiceResult<()> {
    app.authorize(actor, Action::Administer, Resource::Purpose).await?;
    if let Err(e) = c.check() {
        let (field, message) = e.split_once(": ").unwrap_or(("", e.as_str()));
        return Err(ServiceError::field(field, message));
    }
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let before = obhut_store::purposes::controller(&mut w.tx).await?;
    let changed = changed_fields(&before, c);
    obhut_store::purposes::save_controller(&mut w.tx, c).await?;
    let event = audit_entry(actor, "controller.update", "controller", "controller", None, changed);
    w.record(&[event]);
    w.commit(app).await?;
    Ok(())
}

/// The top-level fields in which two values differ, by their serialized names.
pub fn changed_fields<T: serde::Serialize>(before: &T, after: &T) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    b.iter().filter(|(k, v)| a.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect()
}

/// The whole registry, from a cache the registry's changes clear. Reading it anew also
/// tells the gate which purposes justify which fields.
pub async fn registry(app: &App) -> ServiceResult<Arc<Vec<Purpose>>> {
    if let Ok(cache) = app.registry.read() {
        if let Some(r) = cache.as_ref() {
            return Ok(r.clone());
        }
    }
    let mut conn = app.conn().await?;
    let all = Arc::new(obhut_store::purposes::list_purposes(&mut conn).await?);
    app.gate.set_registry(&all);
    if let Ok(mut cache) = app.registry.write() {
        *cache = Some(all.clone());
    }
    Ok(all)
}

/// The keys of the active purposes.
pub async fn active_keys(app: &App) -> ServiceResult<Vec<String>> {
    Ok(registry(app).await?.iter().filter(|p| p.active).map(|p| p.key.clone()).collect())
}

/// The purposes whose data may serve `purpose`: itself, and those it is compatible with
/// (Art. 6(4)), i.e. those listing it in `compatible_with`.
pub async fn serving(app: &App, purpose: &str) -> ServiceResult<Vec<String>> {
    let reg = registry(app).await?;
    let mut keys = vec![purpose.to_string()];
    keys.extend(reg.iter().filter(|p| p.active && p.compatible_with.iter().any(|c| c == purpose)).map(|p| p.key.clone()));
    Ok(keys)
}

pub async fn is_active(app: &App, key: &str) -> ServiceResult<bool> {
    Ok(registry(app).await?.iter().any(|p| p.active && p.key == key))
}
