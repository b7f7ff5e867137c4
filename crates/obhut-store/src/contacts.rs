//! Contacts: sealed personal fields, blind indexes for lookup, plain metadata for lists.

use crate::crypto::{Crypto, BLIND_LEN};
use crate::db::{id_str, parse_uuid, values_placeholders, Conn};
use crate::error::{Result, StoreError};
use obhut_core::contact::{ContactDraft, ContactKind, ContactPersonal, RecordClass};
use obhut_core::ids::{ContactId, ImportRunId, OrganizationId, UserId};
use obhut_core::search::{fold, name_words, prefix_keys};
use std::collections::HashSet;

/// Where a contact's data came from (Art. 14(2)(f), Art. 15(1)(g)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// api, ui, cli, import or demo.
    pub source: String,
    pub detail: Option<String>,
    pub import_run_id: Option<ImportRunId>,
}

#[derive(Debug, Clone)]
pub struct ContactRecord {
    pub id: ContactId,
    pub kind: ContactKind,
    pub record_class: RecordClass,
    pub team: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub personal: ContactPersonal,
    pub origin: Origin,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// The organization's name, read in the same query (not personal: a legal person's name).
    pub organization_name: Option<String>,
    /// Art. 18: since when processing is restricted (only stored), and until which calendar
    /// day (`YYYY-MM-DD`) where the restriction ends at a date.
    pub restricted_at: Option<i64>,
    pub restricted_until: Option<String>,
    /// When the latest activity about the contact took place.
    pub last_activity_at: Option<i64>,
}

impl ContactRecord {
    /// Whether processing is restricted (Art. 18): the record is only stored.
    pub fn is_restricted(&self) -> bool {
        self.restricted_at.is_some()
    }

    /// What the gate decides this contact, and every record about it, by.
    pub fn facts(&self) -> crate::reach::RecordFacts {
        crate::reach::RecordFacts {
            class: self.record_class,
            owner: self.owner_id,
            team: self.team.clone(),
            tags: self.tags.clone(),
            subject: Some(self.id),
            restricted: self.is_restricted(),
        }
    }
}

impl ContactRecord {
    pub fn draft(&self) -> ContactDraft {
        ContactDraft {
            kind: self.kind,
            record_class: self.record_class,
            team: self.team.clone(),
            organization_id: self.organization_id,
            owner_id: self.owner_id,
            language: self.language.clone(),
            tags: self.tags.clone(),
            personal: self.personal.clone(),
        }
    }
}

/// Blind index kinds, declared in the order of their names so that sorting tokens sorts them
/// as the database's primary key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlindKind {
    Email,
    Name2,
    Name4,
    Phone,
}

impl BlindKind {
    pub const ALL: [BlindKind; 4] = [Self::Email, Self::Name2, Self::Name4, Self::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "e",
            Self::Name2 => "n2",
            Self::Name4 => "n4",
            Self::Phone => "p",
        }
    }

    /// The kind for name prefixes of this length.
    pub fn name(len: usize) -> Option<Self> {
        match len {
            2 => Some(Self::Name2),
            4 => Some(Self::Name4),
            _ => None,
        }
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> Option<Self> {
        Self::ALL.get(usize::from(c)).copied()
    }
}

/// One blind index entry: the kind and the keyed hash of the normalised value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlindToken {
    pub kind: BlindKind,
    pub token: [u8; BLIND_LEN],
}

impl BlindToken {
    pub fn new(crypto: &Crypto, kind: BlindKind, value: &str) -> Self {
        Self { kind, token: crypto.blind(kind.as_str(), value) }
    }
}

const TOKEN_BYTES: usize = 1 + BLIND_LEN;

/// A contact's own list of its blind index entries, kept on its row so that an update or a
/// deletion removes exactly these entries (the index table needs no second index by contact).
pub fn encode_tokens(tokens: &[BlindToken]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tokens.len() * TOKEN_BYTES);
    for t in tokens {
        out.push(t.kind.code());
        out.extend_from_slice(&t.token);
    }
    out
}

pub fn decode_tokens(bytes: &[u8]) -> Result<Vec<BlindToken>> {
    if !bytes.len().is_multiple_of(TOKEN_BYTES) {
        return Err(StoreError::Corrupt("blind index list".into()));
    }
    bytes
        .chunks_exact(TOKEN_BYTES)
        .map(|c| {
            let kind = BlindKind::from_code(c[0]).ok_or_else(|| StoreError::Corrupt("blind index kind".into()))?;
            let mut token = [0u8; BLIND_LEN];
            token.copy_from_slice(&c[1..]);
            Ok(BlindToken { kind, token })
        })
        .collect()
}

fn aad(id: &str) -> Vec<u8> {
    format!("contact:{id}").into_bytes()
}

pub(crate) fn sort_aad(id: &str) -> Vec<u8> {
    format!("contact-sort:{id}").into_bytes()
}

/// A contact's name sort key sealed under its own key (what a page of the name order opens).
pub(crate) fn seal_sort_key(key: &crate::crypto::SubjectKey, id: &str, p: &ContactPersonal) -> Vec<u8> {
    key.seal(&sort_aad(id), p.sort_key().as_bytes())
}

/// The city token of a contact's first postal address with a city.
pub(crate) fn city_token(crypto: &Crypto, p: &ContactPersonal) -> Option<String> {
    p.addresses.iter().find_map(|a| a.city.as_deref()).and_then(|c| crypto.city_token(c))
}

/// Every blind index token a contact gets, without repeats.
pub fn blind_tokens(crypto: &Crypto, p: &ContactPersonal) -> Vec<BlindToken> {
    let mut out: Vec<BlindToken> = Vec::new();
    let mut push = |t: BlindToken| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for e in &p.emails {
        push(BlindToken::new(crypto, BlindKind::Email, &e.address.normalized()));
    }
    for n in &p.phones {
        push(BlindToken::new(crypto, BlindKind::Phone, n.number.as_str()));
    }
    let names = format!("{} {}", p.given_name.as_deref().unwrap_or(""), p.family_name.as_deref().unwrap_or(""));
    for w in name_words(&names) {
        for (len, prefix) in prefix_keys(&w) {
            if let Some(kind) = BlindKind::name(len) {
                push(BlindToken::new(crypto, kind, &prefix));
            }
        }
    }
    out
}

/// A contact ready to insert: its id, what it holds, and where it came from.
pub struct NewContact<'a> {
    pub id: ContactId,
    pub draft: &'a ContactDraft,
    pub origin: &'a Origin,
}

/// A contact sealed under its new key, with its blind index entries: what an insert writes.
/// Sealing is pure CPU work, so imports do it on other threads while the database writes.
pub struct SealedContact {
    pub id: ContactId,
    kind: ContactKind,
    record_class: RecordClass,
    team: Option<String>,
    organization_id: Option<OrganizationId>,
    owner_id: Option<UserId>,
    language: Option<String>,
    tags: Vec<String>,
    wrapped_key: Vec<u8>,
    sealed: Vec<u8>,
    pub tokens: Vec<BlindToken>,
    /// See [`Crypto::sort_bucket`].
    sort_bucket: String,
    /// The sort key sealed under the contact's key, and the city token (see the migration).
    sort_sealed: Vec<u8>,
    city_token: Option<String>,
}

/// Seals a contact's personal fields under a fresh key. `tokens` may be given when the caller
/// computed them already (the import does, to find stored duplicates).
pub fn seal_contact(crypto: &Crypto, id: ContactId, draft: &ContactDraft, tokens: Option<Vec<BlindToken>>) -> SealedContact {
    let sid = id.to_string();
    let key = crypto.new_subject_key();
    SealedContact {
        id,
        kind: draft.kind,
        record_class: draft.record_class,
        team: draft.team.clone(),
        organization_id: draft.organization_id,
        owner_id: draft.owner_id,
        language: draft.language.clone(),
        tags: draft.tags.clone(),
        wrapped_key: crypto.wrap(&sid, &key),
        sealed: key.seal_json(&aad(&sid), &draft.personal),
        tokens: tokens.unwrap_or_else(|| blind_tokens(crypto, &draft.personal)),
        sort_bucket: crypto.sort_bucket(&draft.personal.sort_key()),
        sort_sealed: seal_sort_key(&key, &sid, &draft.personal),
        city_token: city_token(crypto, &draft.personal),
    }
}

/// One row of the blind index table, compact enough to hold millions while an import sorts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexRow {
    pub token: BlindToken,
    pub contact: [u8; 16],
}

impl SealedContact {
    /// Links the contact to its organization (set after sealing: the organization id is not
    /// personal data and lives outside the sealed part).
    pub fn set_organization(&mut self, id: OrganizationId) {
        self.organization_id = Some(id);
        self.kind = ContactKind::B2b;
    }

    pub fn index_rows(&self) -> impl Iterator<Item = IndexRow> + '_ {
        self.tokens.iter().map(|t| IndexRow { token: *t, contact: *self.id.0.as_bytes() })
    }
}

const CONTACT_COLS: usize = 21;

/// Inserts contacts with their blind indexes, many rows per statement (the API inserts a batch
/// of one). Runs inside the caller's transaction.
pub async fn insert_contacts(conn: &mut Conn, crypto: &Crypto, batch: &[NewContact<'_>], now: i64, created_by: &str) -> Result<()> {
    let mut rows: Vec<IndexRow> = Vec::new();
    for group in batch.chunk_by(|a, b| a.origin == b.origin) {
        let sealed: Vec<SealedContact> = group.iter().map(|c| seal_contact(crypto, c.id, c.draft, None)).collect();
        rows.extend(insert_sealed(conn, sealed, group[0].origin, now, created_by).await?);
    }
    insert_index_rows(conn, &mut rows).await
}

/// Inserts sealed contacts and their tags, but not their blind index rows: those come back,
/// for the caller to pass to [`insert_index_rows`] at once or (an import) all together at the end.
pub async fn insert_sealed(
    conn: &mut Conn,
    mut batch: Vec<SealedContact>,
    origin: &Origin,
    now: i64,
    created_by: &str,
) -> Result<Vec<IndexRow>> {
    let index_rows: Vec<IndexRow> = batch.iter().flat_map(SealedContact::index_rows).collect();
    let tag_rows: Vec<(String, String)> = batch.iter().flat_map(|c| c.tags.iter().map(move |t| (c.id.to_string(), t.clone()))).collect();
    let per = crate::db::rows_per_insert(CONTACT_COLS);
    while !batch.is_empty() {
        let chunk: Vec<SealedContact> = batch.drain(..per.min(batch.len())).collect();
        let sql = format!(
            "INSERT INTO contacts (id, kind, organization_id, owner_id, language, tags, wrapped_key, sealed, index_tokens, origin_source, origin_detail, import_run_id, created_by, created_at, updated_at, version, record_class, team, sort_bucket, sort_sealed, city_token) VALUES {}",
            values_placeholders(conn, chunk.len(), CONTACT_COLS)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.id.to_string())
                .bind(c.kind.as_str())
                .bind(id_str(&c.organization_id))
                .bind(id_str(&c.owner_id))
                .bind(c.language)
                .bind(c.tags.join("\n"))
                .bind(c.wrapped_key)
                .bind(c.sealed)
                .bind(encode_tokens(&c.tokens))
                .bind(origin.source.clone())
                .bind(origin.detail.clone())
                .bind(id_str(&origin.import_run_id))
                .bind(created_by.to_string())
                .bind(now)
                .bind(now)
                .bind(1i64)
                .bind(c.record_class.as_str())
                .bind(c.team)
                .bind(c.sort_bucket)
                .bind(c.sort_sealed)
                .bind(c.city_token);
        }
        q.execute(&mut *conn).await?;
    }
    insert_tag_rows(conn, &tag_rows).await?;
    Ok(index_rows)
}

/// Inserts blind index rows in key order, so that consecutive inserts land on the same B-tree
/// pages (an import of a million contacts into an empty table only appends).
pub async fn insert_index_rows(conn: &mut Conn, rows: &mut [IndexRow]) -> Result<()> {
    rows.sort_unstable();
    for chunk in rows.chunks(crate::db::rows_per_insert(3)) {
        let sql = format!("INSERT INTO blind_indexes (kind, token, contact_id) VALUES {}", values_placeholders(conn, chunk.len(), 3));
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q.bind(r.token.kind.as_str()).bind(r.token.token.to_vec()).bind(r.contact.to_vec());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Removes exactly these blind index entries of one contact.
async fn delete_index_rows(conn: &mut Conn, id: ContactId, tokens: &[BlindToken]) -> Result<()> {
    for t in tokens {
        sqlx::query("DELETE FROM blind_indexes WHERE kind = $1 AND token = $2 AND contact_id = $3")
            .bind(t.kind.as_str())
            .bind(t.token.to_vec())
            .bind(id.0.as_bytes().to_vec())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn insert_tag_rows(conn: &mut Conn, rows: &[(String, String)]) -> Result<()> {
    for chunk in rows.chunks(crate::db::rows_per_insert(2)) {
        let sql = format!("INSERT INTO contact_tags (contact_id, tag) VALUES {}", values_placeholders(conn, chunk.len(), 2));
        let mut q = sqlx::query(&sql);
        for (id, t) in chunk {
            q = q.bind(id.clone()).bind(t.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A stored contact row, still sealed.
#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: String,
    kind: String,
    organization_id: Option<String>,
    owner_id: Option<String>,
    language: Option<String>,
    tags: String,
    wrapped_key: Vec<u8>,
    sealed: Vec<u8>,
    origin_source: String,
    origin_detail: Option<String>,
    import_run_id: Option<String>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    record_class: String,
    team: Option<String>,
    org_name: Option<String>,
    restricted_at: Option<i64>,
    restricted_until: Option<String>,
    last_activity_at: Option<i64>,
}
pub(crate) const SELECT: &str = "SELECT c.id, c.kind, c.organization_id, c.owner_id, c.language, c.tags, c.wrapped_key, c.sealed, c.origin_source, c.origin_detail, c.import_run_id, c.created_by, c.created_at, c.updated_at, c.version, c.record_class, c.team, o.name AS org_name, c.restricted_at, c.restricted_until, c.last_activity_at FROM contacts c LEFT JOIN organizations o ON o.id = c.organization_id";

pub(crate) fn open_row(crypto: &Crypto, r: Row) -> Result<ContactRecord> {
    let key = crypto.unwrap_key(&r.id, &r.wrapped_key)?;
    let personal: ContactPersonal = key.open_json(&aad(&r.id), &r.sealed)?;
    Ok(ContactRecord {
        id: ContactId(parse_uuid(&r.id)?),
        kind: ContactKind::parse(&r.kind).map_err(StoreError::Corrupt)?,
        record_class: RecordClass::parse(&r.record_class).map_err(StoreError::Corrupt)?,
        team: r.team,
        organization_id: r.organization_id.as_deref().map(parse_uuid).transpose()?.map(OrganizationId),
        owner_id: r.owner_id.as_deref().map(parse_uuid).transpose()?.map(UserId),
        language: r.language,
        tags: r.tags.split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        personal,
        origin: Origin {
            source: r.origin_source,
            detail: r.origin_detail,
            import_run_id: r.import_run_id.as_deref().map(parse_uuid).transpose()?.map(ImportRunId),
        },
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
        organization_name: r.org_name,
        restricted_at: r.restricted_at,
        restricted_until: r.restricted_until,
        last_activity_at: r.last_activity_at,
    })
}

pub async fn find_contact(conn: &mut Conn, crypto: &Crypto, id: ContactId) -> Result<Option<ContactRecord>> {
    let r: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1")).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    r.map(|r| open_row(crypto, r)).transpose()
}

/// Whether a contact with this id is stored (its row only: nothing is decrypted).
pub async fn contact_exists(conn: &mut Conn, id: &str) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM contacts WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.is_some())
}

/// One contact by id, read through the synchronous SQLite readers when the store has them
/// (the hot path of the API), else through a pooled connection.
pub async fn read_contact(store: &crate::store::Store, id: ContactId) -> Result<Option<ContactRecord>> {
    let Some(readers) = &store.readers else {
        let mut conn = store.pool.acquire().await?;
        return find_contact(&mut conn, &store.crypto, id).await;
    };
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("{SELECT} WHERE c.id = ?1"));
    let row: Option<Row> = readers.with(|c| {
        use rusqlite::OptionalExtension;
        c.prepare_cached(&SQL)?
            .query_row([id.to_string()], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    organization_id: r.get(2)?,
                    owner_id: r.get(3)?,
                    language: r.get(4)?,
                    tags: r.get(5)?,
                    wrapped_key: r.get(6)?,
                    sealed: r.get(7)?,
                    origin_source: r.get(8)?,
                    origin_detail: r.get(9)?,
                    import_run_id: r.get(10)?,
                    created_by: r.get(11)?,
                    created_at: r.get(12)?,
                    updated_at: r.get(13)?,
                    version: r.get(14)?,
                    record_class: r.get(15)?,
                    team: r.get(16)?,
                    org_name: r.get(17)?,
                    restricted_at: r.get(18)?,
                    restricted_until: r.get(19)?,
                    last_activity_at: r.get(20)?,
                })
            })
            .optional()
    })?;
    row.map(|r| open_row(&store.crypto, r)).transpose()
}

/// The contacts with these ids, in no particular order; unknown ids are skipped.
pub async fn find_contacts(conn: &mut Conn, crypto: &Crypto, ids: &[String]) -> Result<Vec<ContactRecord>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(250) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{SELECT} WHERE c.id IN ({})", ph.join(","));
        let mut q = sqlx::query_as::<_, Row>(&sql);
        for id in chunk {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(open_row(crypto, r)?);
        }
    }
    Ok(out)
}

/// Replaces a contact's fields, re-sealing under its existing key and renewing its blind
/// indexes. `expected_version` guards against lost updates.
pub async fn update_contact(
    conn: &mut Conn,
    crypto: &Crypto,
    id: ContactId,
    draft: &ContactDraft,
    expected_version: i64,
    now: i64,
) -> Result<i64> {
    let sid = id.to_string();
    let stored: Option<(Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT wrapped_key, index_tokens FROM contacts WHERE id = $1").bind(&sid).fetch_optional(&mut *conn).await?;
    let (wrapped, old_tokens) = stored.ok_or(StoreError::NotFound("contact"))?;
    let old_tokens = decode_tokens(&old_tokens)?;
    let key = crypto.unwrap_key(&sid, &wrapped)?;
    let sealed = key.seal_json(&aad(&sid), &draft.personal);
    let tokens = blind_tokens(crypto, &draft.personal);
    let n = sqlx::query(
        "UPDATE contacts SET kind = $1, organization_id = $2, owner_id = $3, language = $4, tags = $5, sealed = $6, index_tokens = $7, \
         updated_at = $8, version = version + 1, record_class = $11, team = $12, sort_bucket = $13, \
         sort_sealed = $14, city_token = $15 WHERE id = $9 AND version = $10",
    )
    .bind(draft.kind.as_str())
    .bind(id_str(&draft.organization_id))
    .bind(id_str(&draft.owner_id))
    .bind(draft.language.clone())
    .bind(draft.tags.join("\n"))
    .bind(sealed)
    .bind(encode_tokens(&tokens))
    .bind(now)
    .bind(&sid)
    .bind(expected_version)
    .bind(draft.record_class.as_str())
    .bind(draft.team.clone())
    .bind(crypto.sort_bucket(&draft.personal.sort_key()))
    .bind(seal_sort_key(&key, &sid, &draft.personal))
    .bind(city_token(crypto, &draft.personal))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict { expected: expected_version });
    }
    let removed: Vec<BlindToken> = old_tokens.iter().filter(|t| !tokens.contains(t)).copied().collect();
    delete_index_rows(conn, id, &removed).await?;
    let mut added: Vec<IndexRow> =
        tokens.iter().filter(|t| !old_tokens.contains(t)).map(|t| IndexRow { token: *t, contact: *id.0.as_bytes() }).collect();
    insert_index_rows(conn, &mut added).await?;
    sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    insert_tag_rows(conn, &draft.tags.iter().map(|t| (sid.clone(), t.clone())).collect::<Vec<_>>()).await?;
    Ok(expected_version + 1)
}

/// Deletes a contact with its key, blind indexes, tags and (by cascade) its activities and tickets.
pub async fn delete_contact(conn: &mut Conn, id: ContactId) -> Result<bool> {
    let sid = id.to_string();
    let stored: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT index_tokens FROM contacts WHERE id = $1").bind(&sid).fetch_optional(&mut *conn).await?;
    let Some((tokens,)) = stored else { return Ok(false) };
    delete_index_rows(conn, id, &decode_tokens(&tokens)?).await?;
    sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    crate::tasks::delete_of_subject(conn, &sid).await?;
    crate::tasks::forget_views_of(conn, &sid).await?;
    crate::ticket_messages::delete_of_subject(conn, &sid).await?;
    sqlx::query("DELETE FROM activities WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM tickets WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    sqlx::query("UPDATE deals SET contact_id = NULL WHERE contact_id = $1").bind(&sid).execute(&mut *conn).await?;
    let n = sqlx::query("DELETE FROM contacts WHERE id = $1").bind(&sid).execute(&mut *conn).await?.rows_affected();
    Ok(n == 1)
}

/// Contact ids under one blind index token.
pub async fn ids_by_token(conn: &mut Conn, token: &BlindToken, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT contact_id FROM blind_indexes WHERE kind = $1 AND token = $2 LIMIT $3")
        .bind(token.kind.as_str())
        .bind(token.token.to_vec())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| uuid::Uuid::from_slice(&r.0).map(|u| u.to_string()).map_err(|_| StoreError::Corrupt("blind index contact id".into())))
        .collect()
}

/// Whether the blind index holds any entry at all: into an empty index (a first import) no
/// new contact can meet a stored one, so the duplicate probes can be skipped.
pub async fn has_blind_indexes(conn: &mut Conn) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM blind_indexes LIMIT 1").fetch_optional(&mut *conn).await?;
    Ok(row.is_some())
}

/// The tokens among `probes` that the blind index already holds, probed about a thousand
/// parameters per statement (an import's duplicate check against what is stored).
pub async fn find_stored_tokens<'a>(conn: &mut Conn, probes: impl Iterator<Item = &'a BlindToken>) -> Result<HashSet<BlindToken>> {
    let probes: Vec<&BlindToken> = probes.collect();
    let mut known = HashSet::new();
    for chunk in probes.chunks(crate::db::rows_per_insert(2)) {
        let sql =
            format!("SELECT kind, token FROM blind_indexes WHERE (kind, token) IN (VALUES {})", values_placeholders(conn, chunk.len(), 2));
        let mut q = sqlx::query_as::<_, (String, Vec<u8>)>(&sql);
        for t in chunk {
            q = q.bind(t.kind.as_str()).bind(t.token.to_vec());
        }
        for (kind, token) in q.fetch_all(&mut *conn).await? {
            let kind = BlindKind::ALL.into_iter().find(|k| k.as_str() == kind);
            if let (Some(kind), Ok(token)) = (kind, <[u8; BLIND_LEN]>::try_from(token.as_slice())) {
                known.insert(BlindToken { kind, token });
            }
        }
    }
    Ok(known)
}

/// Other contacts that already hold one of this draft's emails or phones: `(id, field)`.
pub async fn find_duplicates(
    conn: &mut Conn,
    crypto: &Crypto,
    p: &ContactPersonal,
    exclude: Option<ContactId>,
) -> Result<Vec<(ContactId, &'static str)>> {
    let mut out: Vec<(ContactId, &'static str)> = Vec::new();
    let ex = exclude.map(|e| e.to_string());
    let mut probe: Vec<(&'static str, BlindToken)> = Vec::new();
    for e in &p.emails {
        probe.push(("email", BlindToken::new(crypto, BlindKind::Email, &e.address.normalized())));
    }
    for n in &p.phones {
        probe.push(("phone", BlindToken::new(crypto, BlindKind::Phone, n.number.as_str())));
    }
    for (field, token) in probe {
        for id in ids_by_token(conn, &token, 20).await? {
            if Some(&id) != ex.as_ref() {
                let cid = ContactId(parse_uuid(&id)?);
                if !out.iter().any(|(c, f)| *c == cid && *f == field) {
                    out.push((cid, field));
                }
            }
        }
    }
    Ok(out)
}

pub use crate::contact_filter::{ContactFilter, ContactOrder, Reach};
pub(crate) use crate::contact_filter::filter_sql;

/// One page of contacts and the total matching the filter.
pub async fn list_contacts(
    conn: &mut Conn,
    crypto: &Crypto,
    f: &ContactFilter,
    order: ContactOrder,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ContactRecord>, i64)> {
    let mut args = Vec::new();
    let wh = filter_sql(f, &mut args);
    let sql = format!("{SELECT}{wh} ORDER BY {} LIMIT {} OFFSET {}", order.sql(), limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::db::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM contacts c{wh}"), &args).await?;
    let items = rows.into_iter().map(|r| open_row(crypto, r)).collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}

/// Ids of all contacts matching a filter, oldest first (exports stream over these).
pub async fn list_contact_ids(conn: &mut Conn, f: &ContactFilter, after: Option<(i64, String)>, limit: i64) -> Result<Vec<(i64, String)>> {
    let mut args = Vec::new();
    let mut wh = filter_sql(f, &mut args);
    let mut extra_binds: Vec<i64> = Vec::new();
    if let Some((at, id)) = &after {
        args.push(id.clone());
        let cond = format!("(c.created_at > ${n1} OR (c.created_at = ${n1} AND c.id > ${n2}))", n1 = args.len() + 1, n2 = args.len());
        extra_binds.push(*at);
        wh = if wh.is_empty() { format!(" WHERE {cond}") } else { format!("{wh} AND {cond}") };
    }
    let sql = format!("SELECT c.created_at, c.id FROM contacts c{wh} ORDER BY c.created_at, c.id LIMIT {}", limit.clamp(1, 10_000));
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    for b in extra_binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

pub async fn count_contacts(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM contacts").fetch_one(&mut *conn).await?.0)
}

/// Most candidates a name search decrypts before it asks the user to be more specific.
pub const SEARCH_CANDIDATE_LIMIT: i64 = 5_000;

/// Whether a decrypted contact really matches every query word (as a prefix of one of its
/// name words), after the blind index narrowed the candidates.
pub fn name_matches(p: &ContactPersonal, words: &[String]) -> bool {
    let names = name_words(&format!("{} {}", p.given_name.as_deref().unwrap_or(""), p.family_name.as_deref().unwrap_or("")));
    words.iter().all(|w| names.iter().any(|n| n.starts_with(w.as_str())))
}

/// Organization ids whose folded name contains `word`.
pub async fn organization_ids_matching(conn: &mut Conn, word: &str, limit: i64) -> Result<Vec<String>> {
    let pattern = format!("%{}%", crate::db::like_escape(&fold(word)));
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM organizations WHERE name_folded LIKE $1 ESCAPE '\\' LIMIT $2")
        .bind(pattern)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Contacts whose city has this token ([`Crypto::city_token`]), at most `limit`.
pub async fn contact_ids_in_city(conn: &mut Conn, token: &str, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM contacts WHERE city_token = $1 LIMIT $2").bind(token).bind(limit).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Contacts belonging to any of these organizations.
pub async fn contact_ids_of_organizations(conn: &mut Conn, org_ids: &[String], limit: i64) -> Result<Vec<String>> {
    if org_ids.is_empty() {
        return Ok(vec![]);
    }
    let ph: Vec<String> = (1..=org_ids.len().min(500)).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT id FROM contacts WHERE organization_id IN ({}) LIMIT {}", ph.join(","), limit);
    let mut q = sqlx::query_as::<_, (String,)>(&sql);
    for id in org_ids.iter().take(500) {
        q = q.bind(id.clone());
    }
    Ok(q.fetch_all(&mut *conn).await?.into_iter().map(|r| r.0).collect())
}
