//! Tickets: service cases and complaints, their text sealed under the contact's (or organization's) key.

use crate::crypto::Crypto;
use crate::{id_str, parse_uuid, Conn, Result, StoreError};
use obhut_core::ids::{ContactId, OrganizationId, TicketId, UserId};
use obhut_core::ticket::{TicketDraft, TicketKind, TicketPriority, TicketStatus, TicketText};

#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub id: TicketId,
    pub number: i64,
    pub draft: TicketDraft,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

fn aad(id: &str) -> Vec<u8> {
    format!("ticket:{id}").into_bytes()
}

fn key_subject(d: &TicketDraft) -> Result<String> {
    d.contact_id
        .map(|c| c.to_string())
        .or_else(|| d.organization_id.map(|o| o.to_string()))
        .ok_or_else(|| StoreError::Invalid("a ticket belongs to a contact or an organization".into()))
}

pub async fn insert_ticket(conn: &mut Conn, crypto: &Crypto, id: TicketId, d: &TicketDraft, now: i64) -> Result<i64> {
    let subject = key_subject(d)?;
    let key = crate::activities::subject_key(conn, crypto, &subject).await?;
    let number = crate::Store::next_counter(conn, "ticket_number").await?;
    let sid = id.to_string();
    sqlx::query(
        "INSERT INTO tickets (id, number, kind, status, priority, contact_id, organization_id, owner_id, key_subject, sealed, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1)",
    )
    .bind(&sid)
    .bind(number)
    .bind(d.kind.as_str())
    .bind(d.status.as_str())
    .bind(d.priority.as_str())
    .bind(id_str(&d.contact_id))
    .bind(id_str(&d.organization_id))
    .bind(id_str(&d.owner_id))
    .bind(subject)
    .bind(key.seal_json(&aad(&sid), &d.text))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(number)
}

pub async fn update_ticket(
    conn: &mut Conn,
    crypto: &Crypto,
    id: TicketId,
    d: &TicketDraft,
    expected_version: i64,
    now: i64,
) -> Result<i64> {
    let subject = key_subject(d)?;
    let key = crate::activities::subject_key(conn, crypto, &subject).await?;
    let sid = id.to_string();
    let n = sqlx::query(
        "UPDATE tickets SET kind = $1, status = $2, priority = $3, contact_id = $4, organization_id = $5, owner_id = $6, key_subject = $7, sealed = $8, \
         updated_at = $9, version = version + 1 WHERE id = $10 AND version = $11",
    )
    .bind(d.kind.as_str())
    .bind(d.status.as_str())
    .bind(d.priority.as_str())
    .bind(id_str(&d.contact_id))
    .bind(id_str(&d.organization_id))
    .bind(id_str(&d.owner_id))
    .bind(subject)
    .bind(key.seal_json(&aad(&sid), &d.text))
    .bind(now)
    .bind(&sid)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict { expected: expected_version });
    }
    Ok(expected_version + 1)
}

type Row = (String, i64, String, String, String, Option<String>, Option<String>, Option<String>, String, Vec<u8>, i64, i64, i64);
const SELECT: &str = "SELECT id, number, kind, status, priority, contact_id, organization_id, owner_id, key_subject, sealed, created_at, updated_at, version FROM tickets";

async fn open_rows(conn: &mut Conn, crypto: &Crypto, rows: Vec<Row>) -> Result<Vec<TicketRecord>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key = crate::activities::subject_key(conn, crypto, &r.8).await?;
        let text: TicketText = key.open_json(&aad(&r.0), &r.9)?;
        out.push(TicketRecord {
            id: TicketId(parse_uuid(&r.0)?),
            number: r.1,
            draft: TicketDraft {
                kind: TicketKind::parse(&r.2).map_err(StoreError::Corrupt)?,
                status: TicketStatus::parse(&r.3).map_err(StoreError::Corrupt)?,
                priority: TicketPriority::parse(&r.4).map_err(StoreError::Corrupt)?,
                contact_id: r.5.as_deref().map(parse_uuid).transpose()?.map(ContactId),
                organization_id: r.6.as_deref().map(parse_uuid).transpose()?.map(OrganizationId),
                owner_id: r.7.as_deref().map(parse_uuid).transpose()?.map(UserId),
                text,
            },
            created_at: r.10,
            updated_at: r.11,
            version: r.12,
        });
    }
    Ok(out)
}

pub async fn find_ticket(conn: &mut Conn, crypto: &Crypto, id: TicketId) -> Result<Option<TicketRecord>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(id.to_string()).fetch_all(&mut *conn).await?;
    Ok(open_rows(conn, crypto, rows).await?.into_iter().next())
}

pub async fn delete_ticket(conn: &mut Conn, id: TicketId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM tickets WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?.rows_affected() == 1)
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub kind: Option<TicketKind>,
    pub contact_id: Option<ContactId>,
    pub organization_id: Option<OrganizationId>,
    pub owner_id: Option<UserId>,
    /// Only tickets not resolved or closed.
    pub open_only: bool,
}

/// Tickets, most recently changed first.
pub async fn list_tickets(conn: &mut Conn, crypto: &Crypto, f: &TicketFilter, limit: i64, offset: i64) -> Result<(Vec<TicketRecord>, i64)> {
    let (wh, args) = crate::where_clause(
        vec![
            ("status", f.status.map(|x| x.as_str().to_string())),
            ("kind", f.kind.map(|x| x.as_str().to_string())),
            ("contact_id", f.contact_id.map(|x| x.to_string())),
            ("organization_id", f.organization_id.map(|x| x.to_string())),
            ("owner_id", f.owner_id.map(|x| x.to_string())),
        ],
        if f.open_only { &["status NOT IN ('resolved', 'closed')"] } else { &[] },
    );
    let sql = format!("{SELECT}{wh} ORDER BY updated_at DESC, id DESC LIMIT {} OFFSET {}", limit.clamp(1, 1000), offset.max(0));
    let (rows, total) = crate::page_and_count::<Row>(conn, &sql, &format!("SELECT COUNT(*) FROM tickets{wh}"), &args).await?;
    Ok((open_rows(conn, crypto, rows).await?, total))
}
