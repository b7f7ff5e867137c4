//! Art. 20: the data the person provided, as JSON, CSV and vCard in one zip file.

use super::document::plain;
use super::gather::*;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::Actor;
use serde_json::{json, Value};

/// Activities that are the person's own messages and transactions: mails, complaints, orders.
pub(super) const OWN_ACTIVITY_KINDS: [&str; 3] = ["email", "complaint", "order"];

/// Ledger events that are the person's own declarations.
pub(super) fn own_declaration(kind: obhut_core::consent::EventKind) -> bool {
    use obhut_core::consent::EventKind as K;
    matches!(kind, K::Given | K::Confirmed | K::Renewed | K::Refused | K::Withdrawn | K::Objected | K::ObjectionLifted)
}

/// The Art. 20 archive: one zip file with `data.json`, `data.csv` and `contact.vcf`, holding
/// the data the person provided: the contact's fields, their consent declarations, their
/// tickets and their own messages. Audited as `dsr.portability`.
pub async fn portability(app: &App, actor: &Actor, contact_id: &str) -> ServiceResult<Vec<u8>> {
    let record = authorize(app, actor, contact_id, Request::Portability).await?;
    let sid = record.id.to_string();
    let h = holdings(app, actor, &record).await?;
    let consents = crate::services::consent::overview(app, actor, &sid).await?;
    let p = &record.personal;
    let now = app.now_ms();

    let contact = json!({
        "id": sid,
        "kind": record.kind.as_str(),
        "salutation": p.salutation,
        "title": p.title,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "emails": p.emails.iter().map(|e| json!({"address": e.address.to_string(), "label": e.label})).collect::<Vec<_>>(),
        "phones": p.phones.iter().map(|e| json!({"number": e.number.to_string(), "label": e.label})).collect::<Vec<_>>(),
        "addresses": p.addresses.iter().map(|a| json!({"label": a.label, "street": a.street, "postal_code": a.postal_code, "city": a.city, "country": a.country})).collect::<Vec<_>>(),
        "organization": record.organization_name,
        "job_title": p.job_title,
        "birthday": p.birthday.map(|b| b.to_string()),
        "language": record.language,
    });
    let declarations: Vec<Value> = consents
        .events
        .iter()
        .filter(|e| own_declaration(e.kind))
        .map(|e| {
            json!({"at": rfc(e.at), "kind": e.kind.as_str(), "purpose": e.purpose, "channel": e.channel.as_str(), "topic": e.topic,
                "method": e.method.as_str(), "notice": e.notice.as_ref().map(|n| json!({"version": n.version, "language": n.language, "sha256": n.sha256}))})
        })
        .collect();
    let tickets: Vec<Value> = h
        .tickets
        .iter()
        .map(|t| {
            json!({"number": t.number, "created_at": rfc(t.created_at), "kind": t.draft.kind.as_str(), "status": t.draft.status.as_str(),
                "title": t.draft.text.title, "description": t.draft.text.description})
        })
        .collect();
    let messages: Vec<Value> = h
        .activities
        .iter()
        .filter(|a| OWN_ACTIVITY_KINDS.contains(&a.kind.as_str()))
        .map(|a| json!({"at": rfc(a.occurred_at), "kind": a.kind.as_str(), "subject": a.text.subject, "body": a.text.body}))
        .collect();
    let data = json!({
        "format": "Obhut data export (Art. 20 GDPR)",
        "generated_at": rfc(now),
        "contact": contact,
        "consents": declarations,
        "tickets": tickets,
        "messages": messages,
    });
    let json_bytes = serde_json::to_vec_pretty(&data).map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))?;
    let csv_bytes = portability_csv(&data)?;
    // What staff wrote about the person (notes, tags) is not data the person provided.
    let mut own = p.clone();
    own.notes = None;
    let vcf = obhut_core::vcard::write_vcard(&sid, record.kind, &own, record.organization_name.as_deref(), record.language.as_deref(), &[]);
    let zip = zip_files(now, &[("data.json", &json_bytes), ("data.csv", &csv_bytes), ("contact.vcf", vcf.as_bytes())])?;
    let fields = vec![
        "files=data.json,data.csv,contact.vcf".to_string(),
        format!("consents={}", declarations.len()),
        format!("tickets={}", tickets.len()),
        format!("messages={}", messages.len()),
    ];
    audit(app, actor, "dsr.portability", &sid, fields).await?;
    Ok(zip)
}

/// The export as one table: `section, record, at, field, value`, one row per value, every
/// cell guarded against spreadsheet formulas.
pub(super) fn portability_csv(data: &Value) -> ServiceResult<Vec<u8>> {
    let err = |e: csv::Error| ServiceError::Internal(format!("writing the export: {e}"));
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(["section", "record", "at", "field", "value"]).map_err(err)?;
    let g = obhut_core::import::guard;
    let row = |w: &mut csv::Writer<Vec<u8>>, section: &str, record: &str, at: &str, field: &str, value: &Value| -> ServiceResult<()> {
        let text = match value {
            Value::Null => return Ok(()),
            Value::String(s) if s.is_empty() => return Ok(()),
            Value::String(s) => s.clone(),
            other => plain(other),
        };
        // E.164 numbers (`+` and digits) are no formula, and a guard would spoil them.
        let e164 = text.strip_prefix('+').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        let text = if e164 { text } else { g(&text) };
        w.write_record([section, &g(record), at, field, &text]).map_err(err)
    };
    if let Some(c) = data["contact"].as_object() {
        let id = c.get("id").and_then(Value::as_str).unwrap_or("");
        for (k, v) in c {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        row(&mut w, "contact", id, "", &format!("{k}[{i}]"), item)?;
                    }
                }
                _ if k == "id" => {}
                _ => row(&mut w, "contact", id, "", k, v)?,
            }
        }
    }
    for (section, key) in [("consent", "consents"), ("ticket", "tickets"), ("message", "messages")] {
        for (i, item) in data[key].as_array().into_iter().flatten().enumerate() {
            let at = item.get("at").or_else(|| item.get("created_at")).and_then(Value::as_str).unwrap_or("");
            let rec = match item.get("number") {
                Some(n) => n.to_string(),
                None => (i + 1).to_string(),
            };
            for (k, v) in item.as_object().into_iter().flatten() {
                if k != "at" && k != "created_at" {
                    row(&mut w, section, &rec, at, k, v)?;
                }
            }
        }
    }
    w.into_inner().map_err(|e| ServiceError::Internal(format!("writing the export: {e}")))
}

/// A zip file (deflate) of named files, dated `now`.
pub(super) fn zip_files(now: i64, files: &[(&str, &[u8])]) -> ServiceResult<Vec<u8>> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let err = |e: zip::result::ZipError| ServiceError::Internal(format!("writing the archive: {e}"));
    let t = obhut_core::clock::from_millis(now);
    let mut options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o644);
    if let Ok(dt) = zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    ) {
        options = options.last_modified_time(dt);
    }
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        z.start_file(*name, options).map_err(err)?;
        z.write_all(bytes).map_err(|e| ServiceError::Internal(format!("writing the archive: {e}")))?;
    }
    Ok(z.finish().map_err(err)?.into_inner())
}
