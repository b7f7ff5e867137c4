//! Contacts: the list with search and filters, the contact page with its timeline, tickets
//! and deals, and the create / edit / delete forms.

use super::common::{organization_names, with_flash, ActivityForm, DealRow, TicketRow, Timeline};
use super::consent_section::{ConsentSection, Typed};
use super::page::{
    display_name, non_empty, render, render_status, see_other, ConfirmDelete, Ctx, Errs, Opt,
};
use super::session::{Posted, Web};
use crate::error::ServiceError;
use crate::fmt;
use crate::i18n::Tr;
use crate::services::contacts as service;
use crate::services;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use obhut_core::contact::{AddressInput, ContactInput, EmailInput, PhoneInput, LANGUAGES};
use obhut_core::ids::ContactId;
use obhut_store::activities::ActivityOwner;
use obhut_store::contacts::{ContactRecord, Origin};
use obhut_store::deals::DealFilter;
use obhut_store::tickets::TicketFilter;
use serde::Deserialize;

pub(crate) fn kind_options(tr: Tr) -> Vec<Opt> {
    vec![Opt::new("b2c", tr.t("contact_kind.b2c")), Opt::new("b2b", tr.t("contact_kind.b2b"))]
}

/// The contact form as typed: every field a string, so what the user typed comes back.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    kind: String,
    salutation: String,
    title: String,
    given_name: String,
    family_name: String,
    email: String,
    email2: String,
    phone: String,
    phone2: String,
    street: String,
    postal_code: String,
    city: String,
    country: String,
    organization_id: String,
    job_title: String,
    birthday: String,
    language: String,
    tags: String,
    notes: String,
    record_class: String,
    team: String,
    version: String,
    create_anyway: Option<String>,
    /// The organization picker's search, and whether it was asked for (then nothing is saved).
    organization_id_q: String,
    pick: String,
}

/// The form's fields in the order it shows them.
const CONTACT_FIELDS: &[&str] = &[
    "salutation",
    "title",
    "given_name",
    "family_name",
    "birthday",
    "language",
    "email",
    "phone",
    "email2",
    "phone2",
    "street",
    "postal_code",
    "city",
    "country",
    "kind",
    "organization_id",
    "job_title",
    "tags",
    "record_class",
    "team",
    "notes",
];

impl ContactForm {
    fn from_record(c: &ContactRecord) -> Self {
        let p = &c.personal;
        let addr = p.addresses.first();
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            kind: c.kind.as_str().into(),
            salutation: o(&p.salutation),
            title: o(&p.title),
            given_name: o(&p.given_name),
            family_name: o(&p.family_name),
            email: p.emails.first().map(|e| e.address.to_string()).unwrap_or_default(),
            email2: p.emails.get(1).map(|e| e.address.to_string()).unwrap_or_default(),
            phone: p.phones.first().map(|e| e.number.to_string()).unwrap_or_default(),
            phone2: p.phones.get(1).map(|e| e.number.to_string()).unwrap_or_default(),
            street: addr.and_then(|a| a.street.clone()).unwrap_or_default(),
            postal_code: addr.and_then(|a| a.postal_code.clone()).unwrap_or_default(),
            city: addr.and_then(|a| a.city.clone()).unwrap_or_default(),
            country: addr.and_then(|a| a.country.clone()).unwrap_or_default(),
            organization_id: c.organization_id.map(|o| o.to_string()).unwrap_or_default(),
            job_title: o(&p.job_title),
            birthday: p.birthday.map(|b| b.to_string()).unwrap_or_default(),
            language: o(&c.language),
            tags: c.tags.join(", "),
            notes: o(&p.notes),
            record_class: c.record_class.as_str().into(),
            team: o(&c.team),
            version: c.version.to_string(),
            create_anyway: None,
            organization_id_q: String::new(),
            pick: String::new(),
        }
    }

    /// The core input for this form: every shown field is set (empty clears it); entries
    /// the form does not show (a third email, a second address) are carried over from
    /// `current`. Returns the renames from the domain's field paths to the form's fields.
    fn to_input(&self, current: Option<&ContactRecord>) -> (ContactInput, Vec<(String, &'static str)>) {
        let mut remap = Vec::new();
        let p = current.map(|c| &c.personal);
        let mut emails = Vec::new();
        for (i, (typed, field)) in [(&self.email, "email"), (&self.email2, "email2")].into_iter().enumerate() {
            if let Some(a) = non_empty(typed) {
                let prev = p.and_then(|p| p.emails.get(i)).filter(|e| e.address.to_string() == a);
                let (label, purposes) = (prev.and_then(|e| e.label.clone()), prev.and_then(|e| kept(&e.purposes)));
                remap.push((format!("emails[{}].address", emails.len()), field));
                emails.push(EmailInput { address: a.to_string(), label, purposes });
            }
        }
        for e in p.map(|p| p.emails.iter().skip(2)).into_iter().flatten() {
            emails.push(EmailInput { address: e.address.to_string(), label: e.label.clone(), purposes: kept(&e.purposes) });
        }
        let mut phones = Vec::new();
        for (i, (typed, field)) in [(&self.phone, "phone"), (&self.phone2, "phone2")].into_iter().enumerate() {
            if let Some(n) = non_empty(typed) {
                let prev = p.and_then(|p| p.phones.get(i)).filter(|e| e.number.to_string() == n);
                let (label, purposes) = (prev.and_then(|e| e.label.clone()), prev.and_then(|e| kept(&e.purposes)));
                remap.push((format!("phones[{}].number", phones.len()), field));
                phones.push(PhoneInput { number: n.to_string(), label, purposes });
            }
        }
        for e in p.map(|p| p.phones.iter().skip(2)).into_iter().flatten() {
            phones.push(PhoneInput { number: e.number.to_string(), label: e.label.clone(), purposes: kept(&e.purposes) });
        }
        let mut addresses = Vec::new();
        if [&self.street, &self.postal_code, &self.city, &self.country].iter().any(|v| non_empty(v).is_some()) {
            for f in ["street", "postal_code", "city", "country"] {
                remap.push((format!("addresses[0].{f}"), f));
            }
            addresses.push(AddressInput {
                label: p.and_then(|p| p.addresses.first()).and_then(|a| a.label.clone()),
                street: Some(self.street.clone()),
                postal_code: Some(self.postal_code.clone()),
                city: Some(self.city.clone()),
                country: Some(self.country.clone()),
                purposes: p.and_then(|p| p.addresses.first()).and_then(|a| kept(&a.purposes)),
            });
        }
        for a in p.map(|p| p.addresses.iter().skip(1)).into_iter().flatten() {
            addresses.push(AddressInput {
                label: a.label.clone(),
                street: a.street.clone(),
                postal_code: a.postal_code.clone(),
                city: a.city.clone(),
                country: a.country.clone(),
                purposes: kept(&a.purposes),
            });
        }
        let input = ContactInput {
            kind: Some(self.kind.clone()),
            salutation: Some(self.salutation.clone()),
            title: Some(self.title.clone()),
            given_name: Some(self.given_name.clone()),
            family_name: Some(self.family_name.clone()),
            email: None,
            phone: None,
            emails: Some(emails),
            phones: Some(phones),
            addresses: Some(addresses),
            organization_id: Some(self.organization_id.clone()),
            job_title: Some(self.job_title.clone()),
            birthday: Some(self.birthday.clone()),
            language: Some(self.language.clone()),
            owner_id: None,
            tags: Some(self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()),
            notes: Some(self.notes.clone()),
            // The record class stays as it is unless the form names one.
            record_class: non_empty(&self.record_class).map(str::to_string),
            team: Some(self.team.clone()),
            purposes: None,
        };
        (input, remap)
    }
}

#[derive(Debug)]
struct Duplicate {
    id: String,
    name: String,
    field: String,
}

#[derive(Template)]
#[template(path = "contacts/form.html")]
struct ContactFormPage {
    ctx: Ctx,
    heading: String,
    action: String,
    cancel: String,
    is_new: bool,
    form: ContactForm,
    errs: Errs,
    kinds: Vec<Opt>,
    organization: super::picker::Picker,
    languages: Vec<Opt>,
    classes: Vec<Opt>,
    duplicates: Vec<Duplicate>,
}

fn language_options(tr: Tr) -> Vec<Opt> {
    LANGUAGES.iter().map(|l| Opt::new(*l, format!("{} ({l})", tr.v("language_name", l)))).collect()
}

async fn form_page(
    web: &Web,
    existing: Option<&ContactRecord>,
    form: ContactForm,
    errs: Errs,
    duplicates: Vec<Duplicate>,
) -> ContactFormPage {
    let tr = web.tr();
    let (heading, action, cancel) = match existing {
        Some(c) => (tr.f("contacts.edit_heading", display_name(c, tr)), format!("/contacts/{}/edit", c.id), format!("/contacts/{}", c.id)),
        None => (tr.t("contacts.new").to_string(), "/contacts".to_string(), "/contacts".to_string()),
    };
    ContactFormPage {
        ctx: web.ctx("contacts"),
        heading,
        action,
        cancel,
        is_new: existing.is_none(),
        organization: super::picker::Picker::organization(web, "organization_id", &form.organization_id, &form.organization_id_q).await,
        form,
        errs,
        kinds: kind_options(tr),
        languages: language_options(tr),
        classes: super::common::class_options(tr),
        duplicates,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewContactQuery {
    organization_id: String,
}

/// `GET /contacts/new` (`?organization_id=` preselects the organization).
pub async fn new_contact_page(web: Web, Query(q): Query<NewContactQuery>) -> Response {
    let mut form = ContactForm { kind: "b2c".into(), ..Default::default() };
    if non_empty(&q.organization_id).is_some() {
        form.kind = "b2b".into();
        form.organization_id = q.organization_id;
    }
    render(&form_page(&web, None, form, Errs::none(), Vec::new()).await)
}

/// `POST /contacts`: warns about contacts with the same email or phone first, unless
/// "create anyway" is ticked.
pub async fn create_contact(Posted { web, form }: Posted<ContactForm>) -> Response {
    let tr = web.tr();
    if !form.pick.is_empty() {
        return render(&form_page(&web, None, form, Errs::none(), Vec::new()).await);
    }
    let (input, remap) = form.to_input(None);
    if form.create_anyway.is_none() {
        match service::duplicates_of(&web.app, web.actor(), &input, None).await {
            Ok(d) if d.is_empty() => {}
            Ok(d) => {
                let names =
                    super::common::contact_names(&web, d.iter().map(|h| h.contact_id).collect(), super::common::SALES_PURPOSE).await;
                let dups = d
                    .iter()
                    .map(|h| Duplicate {
                        id: h.contact_id.to_string(),
                        name: names.get(&h.contact_id).cloned().unwrap_or_else(|| tr.t("contacts.unnamed").to_string()),
                        field: tr.v("duplicate_field", h.field),
                    })
                    .collect();
                return render_status(StatusCode::CONFLICT, &form_page(&web, None, form, Errs::none(), dups).await);
            }
            Err(ServiceError::Validation(v)) => return invalid_new(&web, form, &v, &remap).await,
            Err(e) => return web.fail(e),
        }
    }
    let origin = Origin { source: "ui".into(), detail: Some(format!("web form, {}", web.actor().audit_name())), import_run_id: None };
    match service::create(&web.app, web.actor(), &input, origin).await {
        Ok((c, _)) => see_other(&format!("/contacts/{}?flash=created", c.id)),
        Err(ServiceError::Validation(v)) => invalid_new(&web, form, &v, &remap).await,
        Err(e) => web.fail(e),
    }
}

async fn invalid_new(web: &Web, form: ContactForm, v: &obhut_core::ValidationErrors, remap: &[(String, &'static str)]) -> Response {
    let errs = Errs::from_validation(web.tr(), v, remap, CONTACT_FIELDS);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(web, None, form, errs, Vec::new()).await)
}

async fn load(web: &Web, id: &str) -> Result<ContactRecord, Response> {
    let Ok(id) = ContactId::parse(id) else { return Err(web.not_found()) };
    service::get(&web.app, web.actor(), id).await.map_err(|e| web.fail(e))
}

/// `GET /contacts/{id}/edit`.
pub async fn edit_contact_page(web: Web, Path(id): Path<String>) -> Response {
    let c = match load(&web, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    render(&form_page(&web, Some(&c), ContactForm::from_record(&c), Errs::none(), Vec::new()).await)
}

/// `POST /contacts/{id}/edit`: the version from the form guards against lost updates.
pub async fn update_contact(Path(id): Path<String>, Posted { web, form }: Posted<ContactForm>) -> Response {
    let current = match load(&web, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !form.pick.is_empty() {
        return render(&form_page(&web, Some(&current), form, Errs::none(), Vec::new()).await);
    }
    let (input, remap) = form.to_input(Some(&current));
    match service::update(&web.app, web.actor(), current.id, input, form.version.trim().parse().ok()).await {
        Ok(c) => see_other(&format!("/contacts/{}?flash=saved", c.id)),
        Err(ServiceError::Validation(v)) => {
            let errs = Errs::from_validation(web.tr(), &v, &remap, CONTACT_FIELDS);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&web, Some(&current), form, errs, Vec::new()).await)
        }
        Err(e) => web.fail(e),
    }
}

/// A contact as its page shows it.
#[derive(Debug)]
struct ContactView {
    id: String,
    name: String,
    full_name: String,
    kind: &'static str,
    kind_label: String,
    organization: Option<(String, String)>,
    job_title: Option<String>,
    emails: Vec<String>,
    phones: Vec<fmt::ShownPhone>,
    address: Vec<String>,
    birthday: Option<String>,
    language: Option<String>,
    tags: Vec<String>,
    notes: Option<String>,
    origin_source: String,
    /// The purposes the data was collected for, by name in the UI language.
    collected_for: String,
    /// The record class where it is not the standard one, and the team.
    record_class: Option<String>,
    team: Option<String>,
    origin_detail: Option<String>,
    created: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "contacts/show.html")]
struct ContactPage {
    ctx: Ctx,
    c: ContactView,
    timeline: Timeline,
    tasks: super::tasks::TaskSection,
    tickets: Vec<TicketRow>,
    deals: Vec<DealRow>,
    access: Vec<AccessRow>,
    consent: Option<ConsentSection>,
    /// The data subject requests the gate would let this user run (Art. 15, Art. 20).
    dsr_access: bool,
    dsr_export: bool,
    /// The DPO's and administrators' actions: rectify, restrict or lift, erase.
    rights: bool,
    /// Art. 18: the banner of a restricted contact (only those who run rights see it at all).
    restricted: Option<RestrictedBanner>,
}

/// What the banner of a restricted contact says.
struct RestrictedBanner {
    since: String,
    until: Option<String>,
    reason: Option<String>,
}

/// One line of "who accessed this record and why": a reader's same access on one day,
/// counted, with the time of the latest.
struct AccessRow {
    at: String,
    actor: String,
    action: String,
    purpose: String,
    count: usize,
}

/// How many audit events of a contact the page groups, and how many groups it shows.
const ACCESS_EVENTS: i64 = 200;
const ACCESS_ROWS: usize = 20;

/// Groups the events (newest first) by day, actor, action and purpose; purposes by their
/// name in the user's language.
fn access_rows(tr: Tr, events: Vec<obhut_store::audit::AuditEvent>, purposes: &[obhut_core::purpose::Purpose]) -> Vec<AccessRow> {
    let mut rows: Vec<(time::Date, String, String, String, AccessRow)> = Vec::new();
    for e in events {
        let day = fmt::local(e.at).date();
        let purpose = e.entry.purpose.unwrap_or_default();
        if let Some(r) =
            rows.iter_mut().find(|(d, a, act, p, _)| *d == day && *a == e.entry.actor && *act == e.entry.action && *p == purpose)
        {
            r.4.count += 1;
            continue;
        }
        if rows.len() == ACCESS_ROWS {
            continue;
        }
        let shown = purposes
            .iter()
            .find(|p| p.key == purpose)
            .map(|p| if tr.lang == crate::i18n::Lang::En { p.name_en.clone() } else { p.name_de.clone() })
            .unwrap_or_else(|| purpose.clone());
        let row = AccessRow {
            at: fmt::datetime(tr.lang, e.at),
            actor: e.entry.actor.clone(),
            action: tr.v("audit", &e.entry.action),
            purpose: shown,
            count: 1,
        };
        rows.push((day, e.entry.actor, e.entry.action, purpose, row));
    }
    rows.into_iter().map(|(.., r)| r).collect()
}

async fn contact_view(web: &Web, c: &ContactRecord) -> ContactView {
    let tr = web.tr();
    let p = &c.personal;
    let full_name = [p.salutation.as_deref(), p.title.as_deref(), p.given_name.as_deref(), p.family_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let organization = match c.organization_id {
        Some(o) => organization_names(web, vec![o]).await.remove(&o).map(|n| (o.to_string(), n)),
        None => None,
    };
    let address = p
        .addresses
        .first()
        .map(|a| {
            let city = [a.postal_code.as_deref(), a.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
            [a.street.clone(), Some(city).filter(|c| !c.is_empty()), a.country.clone()].into_iter().flatten().collect()
        })
        .unwrap_or_default();
    ContactView {
        id: c.id.to_string(),
        name: display_name(c, tr),
        full_name,
        kind: c.kind.as_str(),
        kind_label: tr.v("contact_kind", c.kind.as_str()),
        organization,
        job_title: p.job_title.clone(),
        emails: p.emails.iter().map(|e| e.address.to_string()).collect(),
        phones: p.phones.iter().map(|e| fmt::phone(&e.number)).collect(),
        address,
        birthday: p.birthday.map(|b| fmt::date(tr.lang, b)),
        language: c.language.as_deref().map(|l| tr.v("language_name", l)),
        tags: c.tags.clone(),
        notes: p.notes.clone(),
        origin_source: tr.v("origin", &c.origin.source),
        collected_for: {
            let registry = crate::services::purposes::registry(&web.app).await.unwrap_or_default();
            p.collection_purposes()
                .iter()
                .map(|k| match registry.iter().find(|x| &x.key == k) {
                    Some(x) if tr.code() == "de" => x.name_de.clone(),
                    Some(x) => x.name_en.clone(),
                    None => k.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
        record_class: (c.record_class != obhut_core::contact::RecordClass::Standard).then(|| tr.v("record_class", c.record_class.as_str())),
        team: c.team.clone(),
        origin_detail: c.origin.detail.clone(),
        created: fmt::datetime(tr.lang, c.created_at),
        updated: fmt::datetime(tr.lang, c.updated_at),
    }
}

/// The contact page; a refused activity or consent form comes back typed, with status 422.
pub(super) async fn contact_page_typed(web: &Web, id: &str, typed: Option<(ActivityForm, Errs)>, consent_typed: Typed) -> Response {
    let c = match load(web, id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let refused = typed.is_some() || !matches!(consent_typed, Typed::Nothing);
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let timeline = match Timeline::load(web, ActivityOwner::Contact(c.id), format!("/contacts/{}", c.id), typed).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let tasks = match super::tasks::TaskSection::of(web, obhut_core::task::TaskOn::Contact(c.id)).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let tickets = match super::common::ticket_section(web, TicketFilter { contact_id: Some(c.id), ..Default::default() }).await {
        Ok(rows) => rows,
        Err(r) => return r,
    };
    let deals = match super::common::deal_section(web, DealFilter { contact_id: Some(c.id), ..Default::default() }).await {
        Ok(rows) => rows,
        Err(r) => return r,
    };
    let access = if !super::common::may_read(web, crate::gate::Resource::Contact) {
        Vec::new()
    } else {
        let registry = services::purposes::registry(&web.app).await.unwrap_or_default();
        match services::audit::for_subject(&web.app, web.actor(), &c.id.to_string(), ACCESS_EVENTS).await {
            Ok(events) => access_rows(web.tr(), events, &registry),
            Err(e) => return web.fail(e),
        }
    };
    let consent = match super::consent_section::section(web, &c.id.to_string(), consent_typed).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let view = contact_view(web, &c).await;
    use crate::services::dsr_report::{permitted, Request};
    let dsr_access = permitted(&web.app, web.actor(), &c, Request::Access);
    let dsr_export = permitted(&web.app, web.actor(), &c, Request::Portability);
    let rights = services::access::sees_restricted(&web.app, web.actor());
    let restricted = match c.restricted_at {
        Some(at) if rights => {
            let r = services::restriction::restriction(&web.app, web.actor(), &c.id.to_string()).await.ok();
            Some(RestrictedBanner {
                since: fmt::datetime(web.tr().lang, at),
                until: c.restricted_until.as_deref().map(|d| super::page::show_date(web.tr(), d)),
                reason: r.and_then(|r| r.reason),
            })
        }
        _ => None,
    };
    render_status(
        status,
        &ContactPage {
            ctx: web.ctx("contacts"),
            c: view,
            timeline,
            tasks,
            tickets,
            deals,
            access,
            consent,
            dsr_access,
            dsr_export,
            rights,
            restricted,
        },
    )
}

/// `GET /contacts/{id}`.
pub async fn contact_page(web: Web, Path(id): Path<String>) -> Response {
    let page = contact_page_typed(&web, &id, None, Typed::Nothing).await;
    if page.status().is_success() {
        services::tasks::note_view(&web.app, web.actor(), "contact", id);
    }
    page
}

/// `POST /contacts/{id}/activities`.
pub async fn add_contact_activity(Path(id): Path<String>, Posted { web, form }: Posted<ActivityForm>) -> Response {
    let Ok(cid) = ContactId::parse(&id) else { return web.not_found() };
    match super::common::add_activity(&web, ActivityOwner::Contact(cid), form).await {
        Ok(()) => see_other(&with_flash(&format!("/contacts/{cid}#activities"), "activity")),
        Err(Ok(typed)) => contact_page_typed(&web, &id, Some(typed), Typed::Nothing).await,
        Err(Err(r)) => r,
    }
}

/// `GET /contacts/{id}/delete`: asks first.
pub async fn delete_contact_page(web: Web, Path(id): Path<String>) -> Response {
    let c = match load(&web, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let tr = web.tr();
    render(&ConfirmDelete {
        ctx: web.ctx("contacts"),
        heading: tr.f("contacts.delete_heading", display_name(&c, tr)),
        question: tr.t("contacts.delete_question").to_string(),
        action: format!("/contacts/{}/delete", c.id),
        cancel: format!("/contacts/{}", c.id),
    })
}

/// `POST /contacts/{id}/delete`.
pub async fn delete_contact(Path(id): Path<String>, Posted { web, .. }: Posted<super::auth::Empty>) -> Response {
    let Ok(id) = ContactId::parse(&id) else { return web.not_found() };
    match service::delete(&web.app, web.actor(), id).await {
        Ok(()) => see_other("/contacts?flash=deleted"),
        Err(e) => web.fail(e),
    }
}

/// An entry's own collection purposes, carried over through a form that does not show them.
fn kept(purposes: &[String]) -> Option<Vec<String>> {
    (!purposes.is_empty()).then(|| purposes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_maps_its_fields_to_the_domain_paths() {
        let f = ContactForm {
            given_name: "Erika".into(),
            email2: "second@example.org".into(),
            phone: "030 1234567".into(),
            city: "Berlin".into(),
            tags: "vip, , Newsletter".into(),
            ..Default::default()
        };
        let (input, remap) = f.to_input(None);
        assert_eq!(input.emails.as_ref().map(Vec::len), Some(1));
        assert_eq!(input.tags, Some(vec!["vip".to_string(), "Newsletter".to_string()]));
        assert!(remap.contains(&("emails[0].address".to_string(), "email2")));
        assert!(remap.contains(&("phones[0].number".to_string(), "phone")));
        assert!(remap.contains(&("addresses[0].city".to_string(), "city")));
        let errs = input.validate().err().unwrap_or_default();
        assert!(errs.is_empty(), "{errs}");
    }

    #[test]
    fn a_bad_second_email_is_reported_at_its_field() {
        let f = ContactForm { family_name: "Muster".into(), email: "ok@example.org".into(), email2: "kaputt".into(), ..Default::default() };
        let (input, remap) = f.to_input(None);
        let v = input.validate().err().unwrap_or_default();
        let errs = Errs::from_validation(Tr::default(), &v, &remap, CONTACT_FIELDS);
        assert!(errs.get("email2").is_some() && errs.get("email").is_none());
    }
}
