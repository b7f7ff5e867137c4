//! Contacts: create, read, update, delete, list, search and export, through the gate.

use super::audit_entry;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, FieldAccess, Resource, Target};
use obhut_core::contact::{ContactDraft, ContactInput, ContactPersonal, DEFAULT_COLLECTION_PURPOSE};
use obhut_core::ids::ContactId;
use obhut_store::contacts::{self as repo, ContactFilter, ContactRecord, NewContact, Origin};

/// A stored contact that may already be known under the same email or phone.
#[derive(Debug, Clone)]
pub struct DuplicateHint {
    pub contact_id: ContactId,
    pub field: &'static str,
}

/// The names of the personal fields that differ between two versions (for the audit trail).
pub fn changed_fields(a: &ContactDraft, b: &ContactDraft) -> Vec<String> {
    let (pa, pb) = (&a.personal, &b.personal);
    let mut f = Vec::new();
    macro_rules! cmp {
        ($($x:ident),*) => { $( if pa.$x != pb.$x { f.push(stringify!($x).to_string()); } )* };
    }
    cmp!(salutation, title, given_name, family_name, emails, phones, addresses, job_title, birthday, notes);
    if a.kind != b.kind {
        f.push("kind".into());
    }
    if a.organization_id != b.organization_id {
        f.push("organization_id".into());
    }
    if a.owner_id != b.owner_id {
        f.push("owner_id".into());
    }
    if a.language != b.language {
        f.push("language".into());
    }
    if a.tags != b.tags {
        f.push("tags".into());
    }
    if a.record_class != b.record_class {
        f.push("record_class".into());
    }
    if a.team != b.team {
        f.push("team".into());
    }
    if pa.collected_for != pb.collected_for {
        f.push("purposes".into());
    }
    f
}

/// The values of the named fields before and after a change, as the update's audit event
/// seals them: `{"before": {field: value}, "after": {field: value}}`.
pub fn change_detail(before: &ContactDraft, after: &ContactDraft, fields: &[String]) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    fn values(d: &ContactDraft) -> Map<String, Value> {
        let mut m = match serde_json::to_value(&d.personal) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        m.remove("collected_for");
        m.insert("birthday".into(), json!(d.personal.birthday.map(|b| b.to_string())));
        m.insert("purposes".into(), json!(d.personal.collected_for));
        m.insert("kind".into(), json!(d.kind.as_str()));
        m.insert("organization_id".into(), json!(d.organization_id.map(|o| o.to_string())));
        m.insert("owner_id".into(), json!(d.owner_id.map(|o| o.to_string())));
        m.insert("language".into(), json!(d.language));
        m.insert("tags".into(), json!(d.tags));
        m.insert("record_class".into(), json!(d.record_class.as_str()));
        m.insert("team".into(), json!(d.team));
        m
    }
    let pick = |m: &Map<String, Value>| -> Map<String, Value> {
        fields.iter().map(|f| (f.clone(), m.get(f).cloned().unwrap_or(Value::Null))).collect()
    };
    json!({"before": pick(&values(before)), "after": pick(&values(after))})
}

/// A stored contact as the policies see it.
pub fn target(c: &ContactRecord) -> Target<'_> {
    Target::new(Resource::Contact, c.record_class.as_str(), c.owner_id, c.team.as_deref(), &c.tags)
}

fn draft_target(d: &ContactDraft) -> Target<'_> {
    Target::new(Resource::Contact, d.record_class.as_str(), d.owner_id, d.team.as_deref(), &d.tags)
}

/// What a reader gets of a contact under a purpose: only the data items collected for that
/// purpose or one whose data may serve it (purpose binding), without the fields the field
/// rules hide from the actor.
pub async fn shape(app: &App, actor: &Actor, mut record: ContactRecord, purpose: &str) -> ServiceResult<ContactRecord> {
    let serving = super::purposes::serving(app, purpose).await?;
    let mut personal = record.personal.bound_to(|collected| collected.iter().any(|c| serving.contains(c)));
    let hidden = app.gate.hidden_fields(actor, "contact", record.record_class.as_str(), purpose, FieldAccess::Read, app.today());
    obhut_core::fields::redact_contact(&mut personal, &hidden);
    record.personal = personal;
    Ok(record)
}

/// Checks a draft against the registry and the field rules before it is stored: every
/// collection purpose must be active, every filled field justified by an active purpose the
/// data is collected for, and every field one the actor may write.
async fn admit(app: &App, actor: &Actor, draft: &mut ContactDraft, changed: Option<&[String]>, authority: Authority) -> ServiceResult<()> {
    if draft.personal.collected_for.is_empty() {
        draft.personal.collected_for = vec![DEFAULT_COLLECTION_PURPOSE.to_string()];
    }
    let registry = super::purposes::registry(app).await?;
    let active: Vec<&str> = registry.iter().filter(|p| p.active).map(|p| p.key.as_str()).collect();
    let mut errors = obhut_core::ValidationErrors::new();
    for k in draft.personal.all_purposes() {
        if !active.contains(&k.as_str()) {
            errors.add("purposes", format!("'{k}' is not an active purpose: use one of {}", active.join(", ")));
        }
    }
    for (field, message) in obhut_core::fields::unjustified_contact_fields(&draft.personal, &registry) {
        errors.add(field, message);
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if authority == Authority::Request {
        return Ok(());
    }
    let hidden = app.gate.hidden_fields(actor, "contact", draft.record_class.as_str(), "", FieldAccess::Write, app.today());
    let present = obhut_core::fields::contact_fields_present(&draft.personal);
    let touched: Vec<&str> = match changed {
        Some(c) => c.iter().map(String::as_str).collect(),
        None => present,
    };
    if let Some(f) = touched.iter().find(|f| hidden.contains(f)) {
        let r = crate::gate::Refusal {
            message: format!("the role {} may not write the field {f} of this contact", actor.role.as_str()),
            policies: vec![],
        };
        return Err(app.refused(actor, Action::Update, "contact", None, "", r).await);
    }
    Ok(())
}

/// Keeps what the actor could not see: a field hidden from them stays as stored, and entries
/// they did not see stay in the lists, whatever the patch says. Nobody changes or deletes
/// data the gate did not show them.
fn keep_unseen(current: &ContactPersonal, seen: &ContactPersonal, next: &mut ContactPersonal) {
    macro_rules! scalar {
        ($($f:ident),*) => { $( if seen.$f.is_none() && current.$f.is_some() { next.$f = current.$f.clone(); } )* };
    }
    scalar!(salutation, title, given_name, family_name, job_title, birthday, notes);
    for e in &current.emails {
        if !seen.emails.contains(e) && !next.emails.iter().any(|n| n.address.normalized() == e.address.normalized()) {
            next.emails.push(e.clone());
        }
    }
    for e in &current.phones {
        if !seen.phones.contains(e) && !next.phones.iter().any(|n| n.number == e.number) {
            next.phones.push(e.clone());
        }
    }
    for e in &current.addresses {
        if !seen.addresses.contains(e) && !next.addresses.contains(e) {
            next.addresses.push(e.clone());
        }
    }
}

/// The personal fields a draft holds, by name.
pub fn present_fields(p: &ContactPersonal) -> Vec<String> {
    let mut f = Vec::new();
    let mut add = |cond: bool, n: &str| {
        if cond {
            f.push(n.to_string());
        }
    };
    add(p.salutation.is_some(), "salutation");
    add(p.title.is_some(), "title");
    add(p.given_name.is_some(), "given_name");
    add(p.family_name.is_some(), "family_name");
    add(!p.emails.is_empty(), "emails");
    add(!p.phones.is_empty(), "phones");
    add(!p.addresses.is_empty(), "addresses");
    add(p.job_title.is_some(), "job_title");
    add(p.birthday.is_some(), "birthday");
    add(p.notes.is_some(), "notes");
    f
}

/// The organization and owner a draft names exist; an organization newly linked (other than
/// `linked`, the one the contact has) must be one the actor may see.
async fn check_references(
    app: &App,
    actor: &Actor,
    draft: &ContactDraft,
    linked: Option<obhut_core::ids::OrganizationId>,
) -> ServiceResult<()> {
    if let Some(o) = draft.organization_id.filter(|o| Some(*o) != linked) {
        super::organizations::linkable(app, actor, o, "organization_id").await?;
    }
    if let Some(u) = draft.owner_id {
        let mut conn = app.conn().await?;
        if obhut_store::users::find_user(&mut conn, u).await?.is_none() {
            return Err(ServiceError::field("owner_id", "no user with this id"));
        }
    }
    Ok(())
}

/// Creates a contact. Private by default (Art. 25): no marketing permission comes with it.
/// Returns the stored contact and the contacts already known under its email or phone.
pub async fn create(app: &App, actor: &Actor, input: &ContactInput, origin: Origin) -> ServiceResult<(ContactRecord, Vec<DuplicateHint>)> {
    app.authorize(actor, Action::Create, Resource::Contact).await?;
    let mut draft = input.validate()?;
    // Whoever creates a contact owns it unless they name another owner.
    if draft.owner_id.is_none() {
        draft.owner_id = actor.user_id;
    }
    check_references(app, actor, &draft, None).await?;
    admit(app, actor, &mut draft, None, Authority::Gate).await?;
    let id = ContactId::new();
    app.authorize_record(actor, Action::Create, &draft_target(&draft), "", &id.to_string()).await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    let dups = repo::find_duplicates(&mut w.tx, &app.store.crypto, &draft.personal, None).await?;
    repo::insert_contacts(&mut w.tx, &app.store.crypto, &[NewContact { id, draft: &draft, origin: &origin }], now, &actor.audit_name())
        .await?;
    let entry = audit_entry(actor, "contact.create", "contact", id, Some(id.to_string()), present_fields(&draft.personal));
    w.record(&[entry]);
    let record = repo::find_contact(&mut w.tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("contact"))?;
    w.commit(app).await?;
    metrics::counter!("obhut_contacts_created_total").increment(1);
    Ok((record, dups.into_iter().map(|(contact_id, field)| DuplicateHint { contact_id, field }).collect()))
}

/// Reads one contact.
/// The purpose a read declares when its caller names none (contract performance: serving the
/// customer the data was collected from).
pub const DEFAULT_READ_PURPOSE: &str = "contract";

/// One contact, for the actor to see. The read is logged (who, which fields, for which
/// purpose) and committed before the data is returned.
pub async fn get(app: &App, actor: &Actor, id: ContactId) -> ServiceResult<ContactRecord> {
    get_for(app, actor, id, DEFAULT_READ_PURPOSE).await
}

/// One contact, read for a declared purpose. A purpose the registry does not hold (or holds
/// inactive) is refused, and the refusal is logged too.
pub async fn get_for(app: &App, actor: &Actor, id: ContactId, purpose: &str) -> ServiceResult<ContactRecord> {
    check_purpose(app, actor, purpose, Some(id)).await?;
    let record = load(app, id).await?;
    app.authorize_record(actor, Action::Read, &target(&record), purpose, &id.to_string()).await?;
    super::access::guard(app, actor, &record, "read").await?;
    let record = shape(app, actor, record, purpose).await?;
    let mut event = audit_entry(actor, "contact.read", "contact", id, Some(id.to_string()), present_fields(&record.personal));
    event.purpose = Some(purpose.into());
    app.access_log.record(event, app.now_ms()).await.map_err(ServiceError::Internal)?;
    Ok(record)
}

/// Refuses (and logs) a read under a purpose the registry does not hold active.
pub(crate) async fn check_purpose(app: &App, actor: &Actor, purpose: &str, id: Option<ContactId>) -> ServiceResult<()> {
    if super::purposes::is_active(app, purpose).await? {
        return Ok(());
    }
    let shown: String = purpose.chars().filter(|c| !c.is_control()).take(64).collect();
    let mut event = match id {
        Some(id) => audit_entry(actor, "contact.read_refused", "contact", id, Some(id.to_string()), vec![]),
        None => audit_entry(actor, "contact.list_refused", "contact", "*", None, vec![]),
    };
    event.purpose = Some(shown.clone());
    app.access_log.record(event, app.now_ms()).await.map_err(ServiceError::Internal)?;
    let known = super::purposes::active_keys(app).await?.join(", ");
    Err(ServiceError::field("purpose", format!("'{shown}' is not a purpose of this installation: use one of {known}")))
}

/// One contact as stored, without an access event: for the services' own reads ahead of a
/// decision or a change, which the caller authorizes (and logs) itself.
pub(crate) async fn load(app: &App, id: ContactId) -> ServiceResult<ContactRecord> {
    match repo::read_contact(&app.store, id).await? {
        Some(c) => Ok(c),
        None => match super::tombstones::erased_at(app, &id.to_string()).await? {
            Some(at) => Err(super::tombstones::gone(at)),
            None => Err(ServiceError::NotFound("contact")),
        },
    }
}

/// Applies a partial change; `expected_version` (from the form or `If-Match`) prevents lost updates.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: ContactId,
    patch: ContactInput,
    expected_version: Option<i64>,
) -> ServiceResult<ContactRecord> {
    update_for(app, actor, id, patch, expected_version, DEFAULT_READ_PURPOSE).await
}

/// [`update`] under a declared purpose: the actor changes what they see under it, and what
/// they do not see stays as it is.
pub async fn update_for(
    app: &App,
    actor: &Actor,
    id: ContactId,
    patch: ContactInput,
    expected_version: Option<i64>,
    purpose: &str,
) -> ServiceResult<ContactRecord> {
    let p = prepare_update(app, actor, id, patch, purpose, Authority::Gate).await?;
    if p.fields.is_empty() {
        return shape(app, actor, p.current, purpose).await;
    }
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let record = apply_update(app, &mut tx, actor, &p, expected_version, now).await?;
    tx.commit().await?;
    shape(app, actor, record, purpose).await
}

/// A change checked and ready to write: the record as stored, the draft it becomes and the
/// names of the fields that differ (none: nothing to write).
pub(crate) struct PreparedUpdate {
    pub current: ContactRecord,
    pub before: ContactDraft,
    pub draft: ContactDraft,
    pub fields: Vec<String>,
}

/// Who allowed a change: the gate's policies for the record and its fields, or (for a
/// rectification, Art. 16) the authorization to run data subject requests the caller checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authority {
    Gate,
    Request,
}

/// Checks a partial change (gate, purpose, restriction, validation, registry) without writing.
pub(crate) async fn prepare_update(
    app: &App,
    actor: &Actor,
    id: ContactId,
    patch: ContactInput,
    purpose: &str,
    authority: Authority,
) -> ServiceResult<PreparedUpdate> {
    check_purpose(app, actor, purpose, Some(id)).await?;
    let current = load(app, id).await?;
    if authority == Authority::Gate {
        app.authorize_record(actor, Action::Update, &target(&current), purpose, &id.to_string()).await?;
    }
    super::access::guard(app, actor, &current, "update").await?;
    let before = current.draft();
    let seen = shape(app, actor, current.clone(), purpose).await?;
    let mut input = ContactInput::from_draft(&seen.draft()).merge(patch);
    let stored = ContactInput::from_draft(&before);
    macro_rules! unseen_scalars {
        ($($f:ident),*) => { $( if seen.personal.$f.is_none() && before.personal.$f.is_some() { input.$f = stored.$f.clone(); } )* };
    }
    unseen_scalars!(salutation, title, given_name, family_name, job_title, birthday, notes);
    let mut draft = input.validate()?;
    keep_unseen(&before.personal, &seen.personal, &mut draft.personal);
    check_references(app, actor, &draft, before.organization_id).await?;
    let fields = changed_fields(&before, &draft);
    if fields.is_empty() {
        return Ok(PreparedUpdate { current, before, draft, fields });
    }
    admit(app, actor, &mut draft, Some(&fields), authority).await?;
    // Moving a record (another class, owner or team) must land where the actor may work too.
    if authority == Authority::Gate {
        app.authorize_record(actor, Action::Update, &draft_target(&draft), purpose, &id.to_string()).await?;
    }
    Ok(PreparedUpdate { current, before, draft, fields })
}

/// Writes a prepared change inside the caller's transaction, with its audit event (the values
/// before and after sealed under the contact's key); returns the stored record.
pub(crate) async fn apply_update(
    app: &App,
    tx: &mut obhut_store::Conn,
    actor: &Actor,
    p: &PreparedUpdate,
    expected_version: Option<i64>,
    now: i64,
) -> ServiceResult<ContactRecord> {
    let id = p.current.id;
    repo::update_contact(tx, &app.store.crypto, id, &p.draft, expected_version.unwrap_or(p.current.version), now).await?;
    let sid = id.to_string();
    let mut entry = audit_entry(actor, "contact.update", "contact", id, Some(sid.clone()), p.fields.clone());
    // The values before and after travel sealed under the contact's own key (Art. 5(2), 15):
    // the trail can show what changed, and an erasure makes it unreadable with the rest.
    if let Some(key) = obhut_store::consent::contact_key(tx, &app.store.crypto, &sid).await? {
        entry.detail = Some(obhut_store::audit::seal_detail(&key, &sid, &change_detail(&p.before, &p.draft, &p.fields)));
    }
    obhut_store::audit::append(tx, &app.store.crypto, now, &[entry]).await?;
    repo::find_contact(tx, &app.store.crypto, id).await?.ok_or(ServiceError::NotFound("contact"))
}

/// Deletes a contact with its activities and tickets.
pub async fn delete(app: &App, actor: &Actor, id: ContactId) -> ServiceResult<()> {
    app.authorize(actor, Action::Delete, Resource::Contact).await?;
    let current = load(app, id).await?;
    app.authorize_record(actor, Action::Delete, &target(&current), "", &id.to_string()).await?;
    super::access::guard(app, actor, &current, "delete").await?;
    let now = app.now_ms();
    let mut w = app.audited(now).await?;
    if !repo::delete_contact(&mut w.tx, id).await? {
        return Err(ServiceError::NotFound("contact"));
    }
    w.record(&[audit_entry(actor, "contact.delete", "contact", id, Some(id.to_string()), vec![])]);
    w.commit(app).await?;
    Ok(())
}


/// What of the contacts an actor's policies let them reach, for the database to filter by.
pub fn reach(app: &App, actor: &Actor, purpose: &str) -> repo::Reach {
    super::access::reach(app, actor, Action::Read, Resource::Contact, purpose)
}

/// A contact another record is to be linked to (a deal, ticket or activity about it): it must
/// exist, the actor must be allowed to see it, and its processing must not be restricted.
/// `field` names the input that named it.
pub(crate) async fn linkable(app: &App, actor: &Actor, id: ContactId, field: &str, attempt: &str) -> ServiceResult<ContactRecord> {
    let Some(rec) = repo::read_contact(&app.store, id).await? else {
        return Err(ServiceError::field(field, "no contact with this id"));
    };
    app.authorize_record(actor, Action::Read, &target(&rec), "", &id.to_string()).await?;
    super::access::guard(app, actor, &rec, attempt).await?;
    Ok(rec)
}

/// The records of a search the gate lets the actor read (the database's filter by reach
/// comes first; this is the record-by-record check behind it).
pub(crate) fn permitted(app: &App, actor: &Actor, action: Action, purpose: &str, records: Vec<ContactRecord>) -> Vec<ContactRecord> {
    // Restricted contacts (Art. 18) are only stored: they leave every list and search.
    let restricted_too = super::access::sees_restricted(app, actor);
    let mut gate = app.gate.checker(actor, action, purpose, app.today());
    records.into_iter().filter(|c| restricted_too || !c.is_restricted()).filter(|c| gate.allows(&target(c))).collect()
}


/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
    Vcf,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "vcf" | "vcard" => Ok(Self::Vcf),
            _ => Err("must be csv, json or vcf".into()),
        }
    }
}

/// Writes every contact matching `filter` to `out`, in batches, and records the export in
/// the audit trail (a bulk disclosure). Returns how many contacts were written.
pub async fn export(
    app: &App,
    actor: &Actor,
    format: ExportFormat,
    filter: &ContactFilter,
    out: &mut (dyn std::io::Write + Send),
) -> ServiceResult<u64> {
    export_to(app, actor, format, filter, None, out).await
}

/// [`export`] naming the recipient the file is disclosed to (a third party, a processor); the
/// disclosure is logged with it.
pub async fn export_to(
    app: &App,
    actor: &Actor,
    format: ExportFormat,
    filter: &ContactFilter,
    recipient: Option<&str>,
    out: &mut (dyn std::io::Write + Send),
) -> ServiceResult<u64> {
    let recipient = recipient.map(str::trim).filter(|r| !r.is_empty());
    if recipient.is_some_and(|r| r.chars().count() > 200 || r.chars().any(char::is_control)) {
        return Err(ServiceError::field("recipient", "name the recipient in at most 200 characters, without control characters"));
    }
    app.authorize_for(actor, Action::Export, Resource::Contact, DEFAULT_READ_PURPOSE).await?;
    let crypto = &app.store.crypto;
    let mut filter = filter.clone();
    filter.reach = super::access::reach(app, actor, Action::Export, Resource::Contact, DEFAULT_READ_PURPOSE);
    let filter = &filter;
    // The disclosure is recorded before the first byte leaves, and its size after.
    let fmt_name = format!("{format:?}").to_lowercase();
    {
        let mut tx = app.begin_write().await?;
        let mut e = audit_entry(actor, "contact.export.start", "contact", "*", None, vec![fmt_name.clone()]);
        e.record_id = None;
        e.recipient = recipient.map(str::to_string).or(e.recipient);
        obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &[e]).await?;
        tx.commit().await?;
    }
    let mut conn = app.conn().await?;
    let io = |e: std::io::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let csv_err = |e: csv::Error| ServiceError::Internal(format!("writing the export: {e}"));
    // CSV rows go through a writer per batch, so memory stays bounded however many contacts there are.
    let csv_rows = |rows: &[Vec<String>]| -> ServiceResult<Vec<u8>> {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        for r in rows {
            w.write_record(r).map_err(csv_err)?;
        }
        w.into_inner().map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))
    };
    if format == ExportFormat::Csv {
        let header: Vec<String> = obhut_core::import::CSV_EXPORT_HEADERS.iter().map(|h| h.to_string()).collect();
        out.write_all(&csv_rows(&[header])?).map_err(io)?;
    }
    if format == ExportFormat::Json {
        out.write_all(b"[").map_err(io)?;
    }
    let mut after: Option<(i64, String)> = None;
    let mut count: u64 = 0;
    let date = time::format_description::well_known::Rfc3339;
    loop {
        let ids = repo::list_contact_ids(&mut conn, filter, after.clone(), 1000).await?;
        let Some(last) = ids.last().cloned() else { break };
        after = Some(last);
        let id_list: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
        let found = permitted(app, actor, Action::Export, DEFAULT_READ_PURPOSE, repo::find_contacts(&mut conn, crypto, &id_list).await?);
        let mut records = Vec::with_capacity(found.len());
        for r in found {
            records.push(shape(app, actor, r, DEFAULT_READ_PURPOSE).await?);
        }
        records.sort_by_key(|r| (r.created_at, r.id));
        let mut batch_rows: Vec<Vec<String>> = Vec::new();
        for r in &records {
            let org = r.organization_name.as_deref();
            let created = obhut_core::clock::from_millis(r.created_at).format(&date).unwrap_or_default();
            match format {
                ExportFormat::Csv => {
                    batch_rows.push(obhut_core::import::csv_export_record(
                        &r.id.to_string(),
                        r.kind,
                        &r.personal,
                        org,
                        r.language.as_deref(),
                        &r.tags,
                        &created,
                    ));
                }
                ExportFormat::Json => {
                    if count > 0 {
                        out.write_all(b",\n").map_err(io)?;
                    }
                    let v = super::contact_view::ContactOut::from_record(r, org);
                    serde_json::to_writer(&mut *out, &v).map_err(|e| ServiceError::Internal(e.to_string()))?;
                }
                ExportFormat::Vcf => {
                    let card = obhut_core::vcard::write_vcard(&r.id.to_string(), r.kind, &r.personal, org, r.language.as_deref(), &r.tags);
                    out.write_all(card.as_bytes()).map_err(io)?;
                }
            }
            count += 1;
        }
        if !batch_rows.is_empty() {
            out.write_all(&csv_rows(&batch_rows)?).map_err(io)?;
        }
    }
    if format == ExportFormat::Json {
        out.write_all(b"]\n").map_err(io)?;
    }
    out.flush().map_err(io)?;
    drop(conn);
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    let mut e = audit_entry(actor, "contact.export", "contact", "*", None, vec![fmt_name, format!("count={count}")]);
    e.record_id = None;
    e.recipient = recipient.map(str::to_string).or(e.recipient);
    obhut_store::audit::append(&mut tx, &app.store.crypto, now, &[e]).await?;
    tx.commit().await?;
    Ok(count)
}

/// Contacts already known under the email or phone of `input` (for a warning before saving).
/// `exclude` leaves out the contact being edited.
pub async fn duplicates_of(
    app: &App,
    actor: &Actor,
    input: &ContactInput,
    exclude: Option<ContactId>,
) -> ServiceResult<Vec<DuplicateHint>> {
    app.authorize(actor, Action::Read, Resource::Contact).await?;
    let draft = input.validate()?;
    let mut conn = app.conn().await?;
    let dups = repo::find_duplicates(&mut conn, &app.store.crypto, &draft.personal, exclude).await?;
    Ok(dups.into_iter().map(|(contact_id, field)| DuplicateHint { contact_id, field }).collect())
}
