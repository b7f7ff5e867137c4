//! `obhut demo seed`: deterministic, realistic demo data in bulk, through the same
//! repositories (sealed, indexed, audited) as everything else.

use super::audit_entry;
use crate::app::App;
use crate::error::ServiceResult;
use crate::gate::{Action, Actor, Resource};
use obhut_core::contact::ContactKind;
use obhut_core::demo::Demo;
use obhut_core::ids::{ActivityId, ContactId, OrganizationId};
use obhut_store::activities::NewActivity;
use obhut_store::contacts::{NewContact, Origin};

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SeedReport {
    pub organizations: u64,
    pub contacts: u64,
    pub activities: u64,
}

/// Seeds `contacts` contacts (about a third B2B, with organizations) and `activities`
/// activities spread over them. The same seed gives the same data.
pub async fn seed(
    app: &App,
    actor: &Actor,
    contacts: u64,
    activities: u64,
    seed: u64,
    mut progress: impl FnMut(u64, u64),
) -> ServiceResult<SeedReport> {
    app.authorize(actor, Action::Import, Resource::Contact).await?;
    let demo = Demo::new(seed);
    let crypto = &app.store.crypto;
    let origin = Origin { source: "demo".into(), detail: Some(format!("obhut demo seed, seed {seed}")), import_run_id: None };
    let org_count = (contacts / 10).max(1);
    let mut report = SeedReport { organizations: 0, contacts: 0, activities: 0 };
    let mut org_ids: Vec<OrganizationId> = Vec::with_capacity(org_count as usize);
    let now = app.now_ms();
    let mut tx = app.begin_write().await?;
    for i in 0..org_count {
        let d = demo.organization(i).validate()?;
        let id = OrganizationId::new();
        obhut_store::organizations::insert_organization(&mut tx, crypto, id, &d, now).await?;
        org_ids.push(id);
    }
    obhut_store::audit::append(
        &mut tx,
        &app.store.crypto,
        now,
        &[audit_entry(actor, "demo.seed.organizations", "organization", "*", None, vec![format!("count={org_count}")])],
    )
    .await?;
    tx.commit().await?;
    report.organizations = org_count;

    let mut contact_ids: Vec<ContactId> = Vec::with_capacity(contacts as usize);
    let batch = 2_000u64;
    let mut i = 0;
    while i < contacts {
        let end = (i + batch).min(contacts);
        let mut drafts = Vec::with_capacity((end - i) as usize);
        for n in i..end {
            let mut d = demo.contact(n).validate()?;
            if demo.contact_is_b2b(n) {
                d.kind = ContactKind::B2b;
                d.organization_id = Some(org_ids[(n % org_count) as usize]);
            }
            drafts.push((ContactId::new(), d));
        }
        let now = app.now_ms();
        let mut tx = app.begin_write().await?;
        let news: Vec<NewContact> = drafts.iter().map(|(id, d)| NewContact { id: *id, draft: d, origin: &origin }).collect();
        obhut_store::contacts::insert_contacts(&mut tx, crypto, &news, now, &actor.audit_name()).await?;
        let audit: Vec<_> = drafts
            .iter()
            .map(|(id, d)| {
                audit_entry(actor, "contact.create", "contact", id, Some(id.to_string()), super::contacts::present_fields(&d.personal))
            })
            .collect();
        obhut_store::audit::append(&mut tx, &app.store.crypto, now, &audit).await?;
        tx.commit().await?;
        contact_ids.extend(drafts.iter().map(|(id, _)| *id));
        report.contacts = end;
        progress(report.contacts, report.activities);
        i = end;
    }

    let start = app.clock.now() - time::Duration::days(730);
    let mut i = 0;
    let batch = 5_000u64;
    while i < activities && !contact_ids.is_empty() {
        let end = (i + batch).min(activities);
        let texts: Vec<_> = (i..end)
            .map(|n| {
                let (kind, subject, body) = demo.activity(n);
                (kind, obhut_core::activity::ActivityText { subject, body: Some(body) })
            })
            .collect();
        let news: Vec<NewActivity> = (i..end)
            .zip(&texts)
            .map(|(n, (kind, text))| {
                let c = contact_ids[(n.wrapping_mul(2_654_435_761) % contact_ids.len() as u64) as usize];
                NewActivity {
                    id: ActivityId::new(),
                    kind: *kind,
                    occurred_at: obhut_core::clock::to_millis(start + time::Duration::minutes((n * 7919 % (730 * 24 * 60)) as i64)),
                    contact_id: Some(c),
                    organization_id: None,
                    deal_id: None,
                    key_subject: c.to_string(),
                    text,
                }
            })
            .collect();
        let now = app.now_ms();
        let mut tx = app.begin_write().await?;
        obhut_store::activities::insert_activities(&mut tx, crypto, &news, now, &actor.audit_name()).await?;
        obhut_store::audit::append(
            &mut tx,
            &app.store.crypto,
            now,
            &[audit_entry(actor, "demo.seed.activities", "activity", "*", None, vec![format!("count={}", end - i)])],
        )
        .await?;
        tx.commit().await?;
        report.activities = end;
        progress(report.contacts, report.activities);
        i = end;
    }
    Ok(report)
}
