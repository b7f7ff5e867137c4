//! Every resource's routes under `/api/v1`, each module's own `router()` merged: the one list
//! the server mounts and the OpenAPI document is generated from.

use super::{
    activities, audit, consent, contacts, deals, dsr, dsr_report, organizations, policies, privacy, processors, purposes, restriction,
    retention, stages, tasks, ticket_messages, tickets, users,
};
use crate::app::App;
use utoipa_axum::router::OpenApiRouter;

/// Every resource's routes, relative to `/api/v1`.
pub(crate) fn v1() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(contacts::router())
        .merge(consent::router())
        .merge(dsr::router())
        .merge(dsr_report::router())
        .merge(restriction::router())
        .merge(retention::router())
        .merge(organizations::router())
        .merge(activities::router())
        .merge(deals::router())
        .merge(stages::router())
        .merge(tickets::router())
        .merge(ticket_messages::router())
        .merge(tasks::router())
        .merge(audit::router())
        .merge(purposes::router())
        .merge(policies::router())
        .merge(processors::router())
        .merge(privacy::router())
}
