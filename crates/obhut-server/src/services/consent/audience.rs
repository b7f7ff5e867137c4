//! Audiences: segments of contacts who may be approached on a channel for a purpose, the
//! gated scan over them and their CSV export.

use super::ledger::*;
use super::shared::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use crate::services::audit_entry;
use crate::services::contacts::{self as contacts_svc};
use obhut_core::consent::{may_approach, Channel, Reason};
use obhut_core::contact::ContactKind;
use obhut_store::consent::{self as ledger};
use obhut_store::contacts::ContactFilter;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A segment: filters on contacts.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Segment {
    #[serde(default)]
    pub tag: Option<String>,
    /// b2b or b2c.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

impl Segment {
    fn filter(&self) -> ServiceResult<ContactFilter> {
        let kind = match self.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => Some(ContactKind::parse(k).map_err(|m| ServiceError::field("kind", m))?),
            None => None,
        };
        Ok(ContactFilter {
            kind,
            tag: self.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string),
            language: self.language.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string),
            ..Default::default()
        })
    }
    fn describe(&self) -> String {
        let mut v = Vec::new();
        if let Some(t) = &self.tag {
            v.push(format!("tag={t}"));
        }
        if let Some(k) = &self.kind {
            v.push(format!("kind={k}"));
        }
        if let Some(l) = &self.language {
            v.push(format!("language={l}"));
        }
        v.join(",")
    }
}

/// How an audience came out.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AudienceSummary {
    pub purpose: String,
    pub channel: String,
    pub topic: String,
    pub permitted: u64,
    pub excluded: u64,
    /// Contacts left out, by reason.
    pub excluded_by_reason: BTreeMap<String, u64>,
    /// Contacts let in, by reason (consent, existing customer …).
    pub permitted_by_reason: BTreeMap<String, u64>,
}

/// One contact's place in an audience.
#[derive(Debug, Clone)]
pub struct Member {
    pub contact_id: String,
    pub allowed: bool,
    pub reason: Reason,
}

/// A walk over a segment for a purpose and channel that decides every contact in it, a batch
/// at a time by id, so memory stays constant however large the segment.
pub struct AudienceScan<'a> {
    app: &'a App,
    actor: &'a Actor,
    pub key: Key,
    filter: ContactFilter,
    /// Contacts whose address on the channel is on the suppression list.
    suppressed: std::collections::HashSet<String>,
    /// Gate decisions depend on the record's class, owner, team and tags: few distinct ones.
    /// Keyed by their hash; each entry keeps the values it stands for.
    decided: HashMap<u64, Vec<GateKey>>,
    /// Contacts decided, by whether let in and why (the summary's maps are filled at the end).
    counts: HashMap<(bool, Reason), u64>,
    after: Option<String>,
    /// Whether batches list their members (a count needs only the summary).
    members: bool,
    batch: i64,
    pub summary: AudienceSummary,
}

/// What the gate's decision on a contact depends on, and the decision.
pub(super) struct GateKey {
    record_class: String,
    owner_id: Option<String>,
    team: Option<String>,
    tags: String,
    visible: bool,
}

impl GateKey {
    fn is(&self, c: &ledger::ScanContact<'_>) -> bool {
        self.record_class == c.record_class
            && self.owner_id.as_deref() == c.owner_id
            && self.team.as_deref() == c.team
            && self.tags == c.tags
    }
}

/// Contacts decided per batch.
pub(super) const AUDIENCE_BATCH: i64 = 20_000;

/// Starts an audience walk (the gate must let the actor read contacts for the purpose).
pub async fn audience_scan<'a>(
    app: &'a App,
    actor: &'a Actor,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    segment: &Segment,
) -> ServiceResult<AudienceScan<'a>> {
    let k = key(app, purpose, channel, topic).await?;
    let mut filter = segment.filter()?;
    app.authorize_for(actor, Action::Read, Resource::Contact, &k.purpose).await?;
    filter.reach = contacts_svc::reach(app, actor, &k.purpose);
    let mut conn = app.conn().await?;
    let suppressed = ledger::suppressed_contacts(&mut conn, k.channel).await?;
    let summary =
        AudienceSummary { purpose: k.purpose.clone(), channel: k.channel.as_str().into(), topic: k.topic.clone(), ..Default::default() };
    Ok(AudienceScan {
        app,
        actor,
        key: k,
        filter,
        suppressed,
        decided: HashMap::new(),
        counts: HashMap::new(),
        after: None,
        members: true,
        batch: AUDIENCE_BATCH,
        summary,
    })
}

impl AudienceScan<'_> {
    /// Contacts per batch (at least one); the decisions do not depend on it.
    pub fn batch_size(&mut self, n: i64) {
        self.batch = n.clamp(1, AUDIENCE_BATCH);
    }

    /// The decisions for the next batch of contacts; `None` at the end.
    pub async fn next_batch(&mut self) -> ServiceResult<Option<Vec<Member>>> {
        let (app, actor) = (self.app, self.actor);
        let k = &self.key;
        let today = app.today();
        let (decided, counts, summary, suppressed) = (&mut self.decided, &mut self.counts, &mut self.summary, &self.suppressed);
        let listing = self.members;
        let mut members = Vec::with_capacity(if listing { self.batch as usize } else { 0 });
        let mut visit = |c: &ledger::ScanContact<'_>, events: &ledger::ScanEvents| {
            let h = {
                use std::hash::BuildHasher;
                foldhash::fast::FixedState::default().hash_one((c.record_class, c.owner_id, c.team, c.tags))
            };
            let visible = match decided.get(&h).and_then(|v| v.iter().find(|g| g.is(c))) {
                Some(g) => g.visible,
                None => {
                    let tags: Vec<String> = c.tags.split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect();
                    let owner = c.owner_id.and_then(|o| obhut_core::ids::UserId::parse(o).ok());
                    let t = crate::gate::Target::new(Resource::Contact, c.record_class, owner, c.team, &tags);
                    let visible = app.gate.check(actor, Action::Read, &t, &k.purpose, today).is_ok();
                    decided.entry(h).or_default().push(GateKey {
                        record_class: c.record_class.to_string(),
                        owner_id: c.owner_id.map(str::to_string),
                        team: c.team.map(str::to_string),
                        tags: c.tags.to_string(),
                        visible,
                    });
                    visible
                }
            };
            if !visible {
                return;
            }
            let is_suppressed = !suppressed.is_empty() && suppressed.contains(c.id);
            let p = may_approach(&situation(app, k.channel, c.consumer, c.restricted, is_suppressed, events));
            if p.allowed {
                summary.permitted += 1;
            } else {
                summary.excluded += 1;
            }
            *counts.entry((p.allowed, p.reason)).or_default() += 1;
            if listing {
                members.push(Member { contact_id: c.id.to_string(), allowed: p.allowed, reason: p.reason });
            }
        };
        let last =
            ledger::scan_segment(&app.store, &self.filter, &k.purpose, k.channel, &k.topic, self.after.as_deref(), self.batch, &mut visit)
                .await?;
        let Some(last) = last else {
            for ((allowed, reason), n) in self.counts.drain() {
                let map = if allowed { &mut self.summary.permitted_by_reason } else { &mut self.summary.excluded_by_reason };
                *map.entry(reason.code().to_string()).or_default() += n;
            }
            return Ok(None);
        };
        self.after = Some(last);
        Ok(Some(members))
    }
}

/// Decides a whole segment and counts: how many are in, how many left out and why.
pub async fn audience(
    app: &App,
    actor: &Actor,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    segment: &Segment,
) -> ServiceResult<AudienceSummary> {
    let mut scan = audience_scan(app, actor, purpose, channel, topic, segment).await?;
    scan.members = false;
    while scan.next_batch().await?.is_some() {}
    Ok(scan.summary)
}

/// The columns of an audience export.
pub const AUDIENCE_HEADERS: [&str; 10] =
    ["contact_id", "salutation", "given_name", "family_name", "email", "phone", "street", "postal_code", "city", "country"];

pub(super) fn reason_str(r: Reason) -> String {
    r.code().to_string()
}

/// Exports the permitted audience as CSV (with each contact's reason and unsubscribe link):
/// a disclosure, logged with its recipient before the first row, and for every contact in it
/// a use of the consent (§ 7a UWG proof, and the review of unused consents). With `excluded`,
/// the contacts left out are written instead, each with its reason (no personal data).
#[allow(clippy::too_many_arguments)]
pub async fn export_csv(
    app: &App,
    actor: &Actor,
    purpose: &str,
    channel: &str,
    topic: Option<&str>,
    segment: &Segment,
    recipient: Option<&str>,
    excluded: bool,
    out: &mut (dyn std::io::Write + Send),
) -> ServiceResult<AudienceSummary> {
    let k = key(app, purpose, channel, topic).await?;
    let recipient = recipient.map(str::trim).filter(|r| !r.is_empty()).unwrap_or("marketing");
    if recipient.chars().count() > 200 || recipient.chars().any(char::is_control) {
        return Err(ServiceError::field("recipient", "name the recipient in at most 200 characters, without control characters"));
    }
    let io = |e: std::io::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let csv_err = |e: csv::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let write_rows = |rows: &[Vec<String>], out: &mut (dyn std::io::Write + Send)| -> ServiceResult<()> {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        for r in rows {
            w.write_record(r).map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))?;
        out.write_all(&bytes).map_err(io)
    };
    if excluded {
        write_rows(&[vec!["contact_id".into(), "reason".into(), "explanation".into()]], out)?;
        let mut scan = audience_scan(app, actor, &k.purpose, k.channel.as_str(), Some(&k.topic), segment).await?;
        while let Some(members) = scan.next_batch().await? {
            let rows: Vec<Vec<String>> = members
                .iter()
                .filter(|m| !m.allowed)
                .map(|m| vec![m.contact_id.clone(), reason_str(m.reason), m.reason.explain().to_string()])
                .collect();
            write_rows(&rows, out)?;
        }
        return Ok(scan.summary);
    }
    app.authorize_for(actor, Action::Export, Resource::Contact, &k.purpose).await?;
    let export_id = uuid::Uuid::now_v7().to_string();
    let now = app.now_ms();
    {
        let mut tx = app.begin_write().await?;
        ledger::record_export(
            &mut tx,
            &export_id,
            &k.purpose,
            k.channel,
            &k.topic,
            &segment.describe(),
            recipient,
            &actor.audit_name(),
            now,
            0,
            0,
        )
        .await?;
        let mut e = audit_entry(actor, "audience.export.start", "audience", &export_id, None, key_fields(&k));
        e.purpose = Some(k.purpose.clone());
        e.recipient = Some(recipient.to_string());
        obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
        tx.commit().await?;
    }
    let mut header: Vec<String> = AUDIENCE_HEADERS.iter().map(|h| h.to_string()).collect();
    header.extend(["language".to_string(), "reason".to_string(), "unsubscribe_url".to_string()]);
    write_rows(&[header], out)?;
    let serving = crate::services::purposes::serving(app, &k.purpose).await?;
    let base = app.config.base_url();
    let mut no_address: u64 = 0;
    let mut scan = audience_scan(app, actor, &k.purpose, k.channel.as_str(), Some(&k.topic), segment).await?;
    while let Some(members) = scan.next_batch().await? {
        let allowed: Vec<&Member> = members.iter().filter(|m| m.allowed).collect();
        if allowed.is_empty() {
            continue;
        }
        let ids: Vec<String> = allowed.iter().map(|m| m.contact_id.clone()).collect();
        let mut conn = app.conn().await?;
        let mut records = obhut_store::contacts::find_contacts(&mut conn, &app.store.crypto, &ids).await?;
        drop(conn);
        records.sort_by_key(|r| r.id);
        let reasons: HashMap<&str, Reason> = allowed.iter().map(|m| (m.contact_id.as_str(), m.reason)).collect();
        let mut rows = Vec::with_capacity(records.len());
        let mut used = Vec::with_capacity(records.len());
        for r in records {
            let id = r.id.to_string();
            let reason = reasons.get(id.as_str()).copied().unwrap_or(Reason::Consent);
            // The address must serve the purpose; under § 7(3) the one from the sale may.
            let p = if reason == Reason::ExistingCustomer {
                r.personal.clone()
            } else {
                r.personal.bound_to(|collected| collected.iter().any(|c| serving.contains(c)))
            };
            let (email, phone, addr) = (p.emails.first(), p.phones.first(), p.addresses.first());
            let has = match k.channel {
                Channel::Email => email.is_some(),
                Channel::Phone | Channel::Sms => phone.is_some(),
                Channel::Post => addr.is_some(),
            };
            if !has {
                no_address += 1;
                continue;
            }
            let a = addr.cloned().unwrap_or_default();
            let show = |ch: Channel, v: Option<String>| {
                if ch == k.channel || (k.channel == Channel::Post && ch == Channel::Post) {
                    v.unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let postal = k.channel == Channel::Post;
            rows.push(vec![
                id.clone(),
                p.salutation.clone().unwrap_or_default(),
                p.given_name.clone().unwrap_or_default(),
                p.family_name.clone().unwrap_or_default(),
                show(Channel::Email, email.map(|e| e.address.as_str().to_string())),
                if matches!(k.channel, Channel::Phone | Channel::Sms) {
                    phone.map(|n| n.number.as_str().to_string()).unwrap_or_default()
                } else {
                    String::new()
                },
                if postal { a.street.clone().unwrap_or_default() } else { String::new() },
                if postal { a.postal_code.clone().unwrap_or_default() } else { String::new() },
                if postal { a.city.clone().unwrap_or_default() } else { String::new() },
                if postal { a.country.clone().unwrap_or_default() } else { String::new() },
                r.language.clone().unwrap_or_default(),
                reason_str(reason),
                format!("{base}/consent/unsubscribe/{}", unsubscribe_token(app, &id, &k)),
            ]);
            used.push(id);
        }
        if !used.is_empty() {
            let mut conn = app.conn().await?;
            ledger::record_uses(&mut conn, &export_id, &k.purpose, k.channel, &k.topic, now, &used).await?;
        }
        write_rows(&rows, out)?;
    }
    let mut summary = scan.summary;
    if no_address > 0 {
        summary.permitted -= no_address;
        summary.excluded += no_address;
        summary.excluded_by_reason.insert("no_address_for_purpose".into(), no_address);
    }
    {
        let mut tx = app.begin_write().await?;
        ledger::uses::update_export_counts(&mut tx, &export_id, summary.permitted as i64, summary.excluded as i64).await?;
        let mut fields = key_fields(&k);
        fields.push(format!("rows={}", summary.permitted));
        let mut e = audit_entry(actor, "audience.export", "audience", &export_id, None, fields);
        e.purpose = Some(k.purpose.clone());
        e.recipient = Some(recipient.to_string());
        obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[e]).await?;
        tx.commit().await?;
    }
    Ok(summary)
}
