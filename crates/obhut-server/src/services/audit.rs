//! The audit trail as a whole: verification of its hash chain against the signed head.

use crate::app::App;
use crate::error::ServiceResult;
use crate::gate::{Action, Actor, Resource};
use obhut_store::audit::{AuditEvent, AuditFilter, Verification};

/// Checks every event of the chain, in one consistent snapshot of the database (writers may
/// go on meanwhile; their events come after the snapshot's head).
pub async fn verify(app: &App, actor: &Actor) -> ServiceResult<Verification> {
    app.authorize(actor, Action::Read, Resource::Audit).await?;
    if let Some(readers) = &app.store.readers {
        return Ok(obhut_store::audit::verify_sqlite(readers, &app.store.crypto)?);
    }
    let mut tx = app.store.begin_snapshot().await?;
    let v = obhut_store::audit::verify(&mut tx, &app.store.crypto).await?;
    tx.rollback().await?;
    Ok(v)
}

/// The newest events about one data subject (reads with their purpose, changes): what the
/// contact page shows as "who accessed this record and why". Whoever may read the contact
/// may see who else did. Not for verification: actors are shown by name.
pub async fn for_subject(app: &App, actor: &Actor, subject_id: &str, limit: i64) -> ServiceResult<Vec<AuditEvent>> {
    app.authorize(actor, Action::Read, Resource::Contact).await?;
    let mut conn = app.conn().await?;
    let mut events = obhut_store::audit::list_for_record(&mut conn, subject_id, limit.clamp(1, 200)).await?;
    // Staff are shown by their user name, not their id: "api:user:<id>" becomes "api: anna".
    let users: std::collections::HashMap<String, String> =
        obhut_store::users::list_users(&mut conn).await?.into_iter().map(|u| (u.id.to_string(), u.username)).collect();
    for e in &mut events {
        if let Some((channel, id)) = e.entry.actor.split_once(":user:") {
            if let Some(name) = users.get(id) {
                e.entry.actor = format!("{channel}: {name}");
            }
        }
    }
    Ok(events)
}

/// The audit browser: events filtered by subject, actor, action and time, newest first.
pub async fn search(app: &App, actor: &Actor, filter: &AuditFilter, page: super::Page) -> ServiceResult<(Vec<AuditEvent>, i64)> {
    app.authorize(actor, Action::Read, Resource::Audit).await?;
    let mut conn = app.conn().await?;
    Ok(obhut_store::audit::search(&mut conn, filter, page.limit, page.offset).await?)
}

/// Staff by user id, to show `ui:user:<id>` as "ui: anna".
#[derive(Debug, Default, Clone)]
pub struct ActorNames(std::collections::HashMap<String, String>);

impl ActorNames {
    /// How an actor recorded in the trail is shown: `channel: username` for staff, else as recorded.
    pub fn display(&self, recorded: &str) -> String {
        match recorded.split_once(":user:") {
            Some((channel, id)) => match self.0.get(id) {
                Some(name) => format!("{channel}: {name}"),
                None => recorded.to_string(),
            },
            None => recorded.to_string(),
        }
    }

    /// The recorded form of `channel: username` (or of a recorded actor as is), for filtering.
    pub fn recorded(&self, shown: &str) -> String {
        let shown = shown.trim();
        if let Some((channel, name)) = shown.split_once(": ") {
            if let Some((id, _)) = self.0.iter().find(|(_, n)| n.as_str() == name.trim()) {
                return format!("{}:user:{id}", channel.trim());
            }
        }
        shown.to_string()
    }

    /// The user names, sorted.
    pub fn usernames(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.values().cloned().collect();
        v.sort();
        v
    }
}

/// The names the audit browser shows its actors by.
pub async fn actor_names(app: &App, actor: &Actor) -> ServiceResult<ActorNames> {
    app.authorize(actor, Action::Read, Resource::Audit).await?;
    let mut conn = app.conn().await?;
    Ok(ActorNames(obhut_store::users::list_users(&mut conn).await?.into_iter().map(|u| (u.id.to_string(), u.username)).collect()))
}

/// Empties the details of read events older than `before` (ms since 1970): their retention
/// ended. The chain keeps their time, action and digest and still verifies; the run itself is
/// audited. Returns how many events were emptied.
pub async fn redact_reads_before(app: &App, actor: &Actor, before: i64) -> ServiceResult<u64> {
    app.authorize(actor, Action::Administer, Resource::Audit).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let n = obhut_store::audit::redact_reads_before(&mut w.tx, before, now).await?;
    if n > 0 {
        let mut e =
            super::audit_entry(actor, "audit.read_retention", "audit", "*", None, vec![format!("before={before}"), format!("emptied={n}")]);
        e.record_id = None;
        w.record(&[e]);
    }
    w.commit(app).await?;
    Ok(n)
}

/// Applies the configured retention of read events (`read_log_retention_days`; 0 keeps them).
pub async fn apply_read_retention(app: &App, actor: &Actor) -> ServiceResult<u64> {
    let days = i64::from(app.config.read_log_retention_days);
    if days == 0 {
        app.authorize(actor, Action::Administer, Resource::Audit).await?;
        return Ok(0);
    }
    redact_reads_before(app, actor, app.now_ms() - days * 86_400_000).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_are_shown_and_found_by_user_name() {
        let names = ActorNames([("0193".to_string(), "anna".to_string())].into_iter().collect());
        assert_eq!(names.display("ui:user:0193"), "ui: anna");
        assert_eq!(names.display("ui:user:9999"), "ui:user:9999");
        assert_eq!(names.display("cli:root"), "cli:root");
        assert_eq!(names.recorded(" api: anna "), "api:user:0193");
        assert_eq!(names.recorded("cli:root"), "cli:root");
        assert_eq!(names.recorded("ui: nobody"), "ui: nobody");
    }
}
