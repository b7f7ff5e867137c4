//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Obhut API", description = "The JSON API of Obhut, a CRM that enforces the GDPR. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    paths(
        super::records::me,
        super::contacts::create_contact, super::contacts::get_contact, super::contacts::update_contact, super::contacts::delete_contact,
        super::contacts::list_contacts, super::contacts::list_contact_activities, super::contacts::import_contacts, super::contacts::export_contacts,
        super::records::list_organizations, super::records::export_organizations, super::records::create_organization, super::records::get_organization, super::records::update_organization, super::records::delete_organization,
        super::records::list_organization_activities, super::records::list_deal_activities,
        super::records::create_activity, super::records::get_activity, super::records::delete_activity,
        super::records::list_stages, super::records::create_stage, super::records::update_stage, super::records::delete_stage,
        super::records::list_deals, super::records::export_deals, super::records::create_deal, super::records::get_deal, super::records::update_deal, super::records::delete_deal,
        super::records::list_tickets, super::records::export_tickets, super::records::create_ticket, super::records::get_ticket, super::records::update_ticket, super::records::delete_ticket,
        super::audit::list_audit, super::audit::verify_audit,
        super::privacy::list_purposes, super::privacy::save_purpose, super::privacy::ropa,
        super::privacy::get_policies, super::privacy::save_policies, super::privacy::validate_policies,
        super::privacy::list_processors, super::privacy::save_processor, super::privacy::set_access,
        super::privacy::fields, super::privacy::lint,
        super::consent::overview, super::consent::request, super::consent::record, super::consent::withdraw, super::consent::receipt,
        super::consent::audience, super::consent::export, super::consent::review_queue, super::consent::run_review,
        super::consent::statistics, super::consent::save_notice, super::consent::restrict, super::consent::restriction,
        super::dsr::erase, super::dsr::open_case, super::dsr::list_cases, super::dsr::get_case, super::dsr::verify, super::dsr::send_code,
        super::dsr::extend, super::dsr::close, super::dsr::rectify, super::dsr::list_notifications, super::dsr::notification_done,
        super::dsr_report::access_report, super::dsr_report::portability,
        super::retention::list_rules, super::retention::set_rule, super::retention::run, super::retention::due,
        super::retention::list_holds, super::retention::place_hold, super::retention::release_hold, super::retention::resolve,
        super::users::list_users, super::users::disable_user, super::users::enable_user, super::users::reset_password,
        super::users::list_tokens, super::users::create_token, super::users::revoke_token,
    ),
    components(schemas(obhut_core::contact::EmailInput, obhut_core::contact::PhoneInput, obhut_core::contact::AddressInput))
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
