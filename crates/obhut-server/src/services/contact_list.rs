//! Contact lists and searches, through the gate: a page in any order the database can sort by
//! (by name across all pages, see `obhut_store::contact_sort`), filtered by what the database
//! can check without opening a contact, or the hits of a search through the blind index.

use super::contacts::{check_purpose, permitted, present_fields, reach, shape, DEFAULT_READ_PURPOSE};
use super::audit_entry;
use super::Page;
use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::gate::{Action, Actor, Resource};
use obhut_core::search::{classify_query, lookup_length, QueryKind};
use obhut_store::contacts::{self as repo, BlindKind, BlindToken, ContactFilter, ContactOrder, ContactRecord};

/// How a contact list is ordered. By name, a list sorts across all its pages; a search
/// result (at most the candidates it decrypts) is sorted as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    RecentlyUpdated,
    Name,
    NameDesc,
    /// By the organization's name (contacts without one last).
    Organization,
    OrganizationDesc,
    /// By the owner's user name (contacts without one last).
    Owner,
    OwnerDesc,
    /// The latest activity first (contacts without any last), or the longest untouched first.
    LastActivity,
    LastActivityOldest,
}

impl Sort {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "-created_at" | "newest" => Ok(Self::Newest),
            "created_at" | "oldest" => Ok(Self::Oldest),
            "-updated_at" | "updated" => Ok(Self::RecentlyUpdated),
            "name" => Ok(Self::Name),
            "-name" | "name_desc" => Ok(Self::NameDesc),
            "organization" => Ok(Self::Organization),
            "-organization" | "organization_desc" => Ok(Self::OrganizationDesc),
            "owner" => Ok(Self::Owner),
            "-owner" | "owner_desc" => Ok(Self::OwnerDesc),
            "-last_activity" | "activity" => Ok(Self::LastActivity),
            "last_activity" | "activity_oldest" => Ok(Self::LastActivityOldest),
            _ => Err("must be one of -created_at, created_at, -updated_at, name, -name, organization, -organization, owner, -owner, \
                      -last_activity, last_activity"
                .into()),
        }
    }

    /// The order's name in the API and in a list's address (`sort=`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Newest => "-created_at",
            Self::Oldest => "created_at",
            Self::RecentlyUpdated => "-updated_at",
            Self::Name => "name",
            Self::NameDesc => "-name",
            Self::Organization => "organization",
            Self::OrganizationDesc => "-organization",
            Self::Owner => "owner",
            Self::OwnerDesc => "-owner",
            Self::LastActivity => "-last_activity",
            Self::LastActivityOldest => "last_activity",
        }
    }

    /// The message key of the order's name in the UI.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Newest => "sort.newest",
            Self::Oldest => "sort.oldest",
            Self::RecentlyUpdated => "sort.updated",
            Self::Name => "sort.name",
            Self::NameDesc => "sort.name_desc",
            Self::Organization => "sort.organization",
            Self::OrganizationDesc => "sort.organization_desc",
            Self::Owner => "sort.owner",
            Self::OwnerDesc => "sort.owner_desc",
            Self::LastActivity => "sort.activity",
            Self::LastActivityOldest => "sort.activity_oldest",
        }
    }

    pub const ALL: [Sort; 11] = [
        Self::Newest,
        Self::Oldest,
        Self::RecentlyUpdated,
        Self::Name,
        Self::NameDesc,
        Self::Organization,
        Self::OrganizationDesc,
        Self::Owner,
        Self::OwnerDesc,
        Self::LastActivity,
        Self::LastActivityOldest,
    ];

    fn order(self) -> ContactOrder {
        match self {
            Self::Oldest => ContactOrder::CreatedAsc,
            Self::RecentlyUpdated => ContactOrder::UpdatedDesc,
            Self::Organization => ContactOrder::OrganizationAsc,
            Self::OrganizationDesc => ContactOrder::OrganizationDesc,
            Self::Owner => ContactOrder::OwnerAsc,
            Self::OwnerDesc => ContactOrder::OwnerDesc,
            Self::LastActivity => ContactOrder::ActivityDesc,
            Self::LastActivityOldest => ContactOrder::ActivityAsc,
            Self::Newest | Self::Name | Self::NameDesc => ContactOrder::CreatedDesc,
        }
    }
}

/// The filters a list is asked for by value (the API's and the list page's query): a city,
/// dates of creation (`YYYY-MM-DD`, German time, `created_to` inclusive) and of the latest
/// activity (`active_since`: one on or after that day; `inactive_since`: none since that day).
#[derive(Debug, Default, Clone)]
pub struct ValueFilters<'a> {
    pub city: Option<&'a str>,
    pub created_from: Option<&'a str>,
    pub created_to: Option<&'a str>,
    pub active_since: Option<&'a str>,
    pub inactive_since: Option<&'a str>,
}

/// Sets the value filters on `filter`; a bad date names its field.
pub fn apply_value_filters(app: &App, filter: &mut ContactFilter, v: &ValueFilters<'_>) -> ServiceResult<()> {
    let day = |field: &'static str, s: Option<&str>| -> ServiceResult<Option<time::Date>> {
        let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &fmt).map(Some).map_err(|_| ServiceError::field(field, "must be a date YYYY-MM-DD"))
    };
    let start = crate::fmt::day_start_ms;
    if let Some(city) = v.city.map(str::trim).filter(|c| !c.is_empty()) {
        if city.chars().count() > 100 || city.chars().any(char::is_control) {
            return Err(ServiceError::field("city", "a city has at most 100 characters and no control characters"));
        }
        // A city that folds to nothing finds nothing, rather than everything.
        filter.city_token = Some(app.store.crypto.city_token(city).unwrap_or_else(|| "-".into()));
    }
    filter.created_from = day("created_from", v.created_from)?.map(start);
    filter.created_before = day("created_to", v.created_to)?.and_then(|d| d.next_day()).map(start);
    filter.active_since = day("active_since", v.active_since)?.map(start);
    filter.inactive_since = day("inactive_since", v.inactive_since)?.map(start);
    if let (Some(a), Some(b)) = (filter.created_from, filter.created_before) {
        if a >= b {
            return Err(ServiceError::field("created_to", "must not be before created_from"));
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ContactList {
    pub items: Vec<ContactRecord>,
    pub total: i64,
    /// A name search had more candidates than it decrypts: the user should refine it.
    pub truncated: bool,
}

/// Lists contacts, or searches them when `q` is given: by email or phone (exact, through
/// the blind index), by name (prefixes of given and family name) or by organization name.
/// A page of contacts, or a search. Each contact handed out is logged as read, like a single
/// read, before the page is returned.
pub async fn list(app: &App, actor: &Actor, q: Option<&str>, filter: &ContactFilter, sort: Sort, page: Page) -> ServiceResult<ContactList> {
    list_for(app, actor, q, filter, sort, page, DEFAULT_READ_PURPOSE).await
}

/// [`list`] for a declared purpose; a purpose the registry does not hold active is refused
/// (and the refusal logged) before anything is read.
pub async fn list_for(
    app: &App,
    actor: &Actor,
    q: Option<&str>,
    filter: &ContactFilter,
    sort: Sort,
    page: Page,
    purpose: &str,
) -> ServiceResult<ContactList> {
    list_capped(app, actor, q, filter, sort, page, purpose, repo::SEARCH_CANDIDATE_LIMIT).await
}

/// How many candidates of a name search a record picker opens: it shows the first matches by
/// name among them and asks for more letters when there are more (`truncated`).
pub const PICKER_CANDIDATES: i64 = 250;

/// [`list_for`] opening at most `candidates` contacts of a name search (a picker's type-ahead
/// wants a few matches at once, not the whole result).
#[allow(clippy::too_many_arguments)]
pub async fn list_capped(
    app: &App,
    actor: &Actor,
    q: Option<&str>,
    filter: &ContactFilter,
    sort: Sort,
    page: Page,
    purpose: &str,
    candidates: i64,
) -> ServiceResult<ContactList> {
    app.authorize_for(actor, Action::Read, Resource::Contact, purpose).await?;
    check_purpose(app, actor, purpose, None).await?;
    let mut filter = filter.clone();
    filter.reach = reach(app, actor, purpose);
    let mut list = search(app, actor, q, &filter, sort, page, purpose, candidates).await?;
    let mut shaped = Vec::with_capacity(list.items.len());
    for c in list.items {
        shaped.push(shape(app, actor, c, purpose).await?);
    }
    list.items = shaped;
    let events = list
        .items
        .iter()
        .map(|c| {
            let mut e = audit_entry(actor, "contact.read", "contact", c.id, Some(c.id.to_string()), present_fields(&c.personal));
            e.purpose = Some(purpose.into());
            e
        })
        .collect();
    app.access_log.record_all(events, app.now_ms()).await.map_err(ServiceError::Internal)?;
    Ok(list)
}

#[allow(clippy::too_many_arguments)]
async fn search(
    app: &App,
    actor: &Actor,
    q: Option<&str>,
    filter: &ContactFilter,
    sort: Sort,
    page: Page,
    purpose: &str,
    candidates: i64,
) -> ServiceResult<ContactList> {
    let mut conn = app.conn().await?;
    let crypto = &app.store.crypto;
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    if q.is_some_and(|q| q.chars().any(char::is_control) || q.chars().count() > 200) {
        return Err(ServiceError::field("q", "a search has at most 200 characters and no control characters"));
    }
    let Some(q) = q else {
        let order = sort.order();
        let (items, total) = match sort {
            Sort::Name | Sort::NameDesc => {
                let store = &app.store;
                let (limit, offset) = (page.limit, page.offset);
                let counts = &store.sort_counts;
                let page = obhut_store::contact_sort::list_contacts_by_name(&mut conn, store.readers.as_deref(), crypto, counts, filter, sort == Sort::NameDesc, limit, offset)
                    .await?;
                // The other pages of this list are likely next: their order is opened meanwhile.
                let (store, filter) = (store.clone(), filter.clone());
                tokio::spawn(async move {
                    if let Err(e) = obhut_store::contact_sort::prefill(store, filter).await {
                        tracing::debug!("opening a list's name order in the background: {e}");
                    }
                });
                page
            }
            _ => repo::list_contacts(&mut conn, crypto, filter, order, page.limit, page.offset).await?,
        };
        let items = permitted(app, actor, Action::Read, purpose, items);
        return Ok(ContactList { items, total, truncated: false });
    };
    let mut truncated = false;
    let candidates: Vec<String> = match classify_query(q) {
        QueryKind::Email(e) => repo::ids_by_token(&mut conn, &BlindToken::new(crypto, BlindKind::Email, &e.normalized()), 1000).await?,
        QueryKind::Phone(p) => repo::ids_by_token(&mut conn, &BlindToken::new(crypto, BlindKind::Phone, p.as_str()), 1000).await?,
        QueryKind::Words(words) => {
            let mut set: Option<std::collections::HashSet<String>> = None;
            for w in &words {
                let Some(len) = lookup_length(w) else { continue };
                let prefix: String = w.chars().take(len).collect();
                let Some(kind) = BlindKind::name(len) else { continue };
                let ids = repo::ids_by_token(&mut conn, &BlindToken::new(crypto, kind, &prefix), candidates + 1).await?;
                if ids.len() as i64 > candidates {
                    truncated = true;
                }
                let ids: std::collections::HashSet<String> = ids.into_iter().collect();
                set = Some(match set {
                    None => ids,
                    Some(s) => s.intersection(&ids).cloned().collect(),
                });
            }
            let mut ids: Vec<String> = set.unwrap_or_default().into_iter().collect();
            // The organization name may match as well ("Müller GmbH").
            let orgs = repo::organization_ids_matching(&mut conn, q, 200).await?;
            let by_org = repo::contact_ids_of_organizations(&mut conn, &orgs, candidates).await?;
            let org_hits: std::collections::HashSet<String> = by_org.iter().cloned().collect();
            ids.extend(by_org);
            // So may the city ("Köln" finds the contacts living there).
            let by_city = match crypto.city_token(q) {
                Some(t) => repo::contact_ids_in_city(&mut conn, &t, candidates).await?,
                None => Vec::new(),
            };
            let city_hits: std::collections::HashSet<String> = by_city.iter().cloned().collect();
            ids.extend(by_city);
            ids.sort();
            ids.dedup();
            let records = permitted(app, actor, Action::Read, purpose, repo::find_contacts(&mut conn, crypto, &ids).await?);
            let mut hits: Vec<ContactRecord> = records
                .into_iter()
                .filter(|c| {
                    let id = c.id.to_string();
                    org_hits.contains(&id) || city_hits.contains(&id) || repo::name_matches(&c.personal, &words)
                })
                .filter(|c| matches_filter(app, c, filter))
                .collect();
            sort_hits(&mut hits, sort);
            let total = hits.len() as i64;
            let items = hits.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
            return Ok(ContactList { items, total, truncated });
        }
    };
    let mut hits: Vec<ContactRecord> =
        permitted(app, actor, Action::Read, purpose, repo::find_contacts(&mut conn, crypto, &candidates).await?)
            .into_iter()
            .filter(|c| matches_filter(app, c, filter))
            .collect();
    sort_hits(&mut hits, sort);
    let total = hits.len() as i64;
    let items = hits.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
    Ok(ContactList { items, total, truncated })
}

fn matches_filter(app: &App, c: &ContactRecord, f: &ContactFilter) -> bool {
    let city = || c.personal.addresses.iter().find_map(|a| a.city.as_deref()).and_then(|x| app.store.crypto.city_token(x));
    f.kind.is_none_or(|k| c.kind == k)
        && f.organization_id.is_none_or(|o| c.organization_id == Some(o))
        && f.owner_id.is_none_or(|o| c.owner_id == Some(o))
        && f.language.as_ref().is_none_or(|l| c.language.as_ref() == Some(l))
        && f.tag.as_ref().is_none_or(|t| c.tags.contains(t))
        && f.city_token.as_ref().is_none_or(|t| city().as_ref() == Some(t))
        && f.created_from.is_none_or(|t| c.created_at >= t)
        && f.created_before.is_none_or(|t| c.created_at < t)
        && f.active_since.is_none_or(|t| c.last_activity_at.is_some_and(|a| a >= t))
        && f.inactive_since.is_none_or(|t| c.last_activity_at.is_none_or(|a| a < t))
}

/// Puts the hits of a search in the asked order (by name unless another is asked for).
fn sort_hits(hits: &mut [ContactRecord], sort: Sort) {
    let name = |c: &ContactRecord| (c.personal.sort_key(), c.id.0);
    match sort {
        Sort::Newest => hits.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id.0))),
        Sort::Oldest => hits.sort_by_key(|c| (c.created_at, c.id.0)),
        Sort::RecentlyUpdated => hits.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.id.0))),
        Sort::NameDesc => hits.sort_by_cached_key(|c| std::cmp::Reverse(name(c))),
        Sort::Organization | Sort::OrganizationDesc => {
            hits.sort_by_cached_key(|c| (c.organization_name.as_deref().map(obhut_core::search::fold).is_none(), c.organization_name.as_deref().map(obhut_core::search::fold), name(c)));
            if sort == Sort::OrganizationDesc {
                let without = hits.iter().filter(|c| c.organization_name.is_none()).count();
                let with = hits.len() - without;
                hits[..with].reverse();
            }
        }
        Sort::LastActivity => hits.sort_by_key(|c| (c.last_activity_at.is_none(), std::cmp::Reverse(c.last_activity_at), c.id.0)),
        Sort::LastActivityOldest => hits.sort_by_key(|c| (c.last_activity_at.is_none(), c.last_activity_at, c.id.0)),
        // The owner's name is not on the record: by owner id, which groups them.
        Sort::Owner | Sort::OwnerDesc => {
            hits.sort_by_cached_key(|c| (c.owner_id.is_none(), c.owner_id.map(|o| o.0), name(c)));
            if sort == Sort::OwnerDesc {
                let with = hits.iter().filter(|c| c.owner_id.is_some()).count();
                hits[..with].reverse();
            }
        }
        Sort::Name => hits.sort_by_cached_key(name),
    }
}
