//! What the consent dialog shows about an organization: a display name, a support email,
//! links to its privacy policy and terms of service.

use crate::access::{Permission, Record};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::FieldErrors;
use crate::admin::{Layout, render};
use crate::authorization_settings::{parse_display_name, parse_link, parse_support_email};
use crate::db::models::organization::{self, ConsentDisplay, Organization};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{id}/consent-screen", web::get().to(form))
        .route("/organizations/{id}/consent-screen", web::post().to(submit));
}

#[derive(Template)]
#[template(path = "admin/organizations/consent_screen.html")]
struct ConsentScreenPage {
    layout: Layout,
    organization: Organization,
    display: ConsentDisplay,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct DisplayForm {
    csrf_token: String,
    display_name: String,
    support_email: String,
    privacy_policy_url: String,
    terms_of_service_url: String,
}

async fn load(state: &AppState, id: i64) -> Result<(Organization, ConsentDisplay), AppError> {
    crate::db::run(&state.pool, move |conn| {
        organization::consent_display(conn, id).map_err(AppError::from)
    })
    .await?
    .ok_or(AppError::NotFound)
}

fn page(
    session: &SignedIn,
    state: &AppState,
    organization: Organization,
    display: ConsentDisplay,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    render(&ConsentScreenPage {
        layout: Layout::signed_in(
            session,
            state,
            format!("Consent screen: {}", organization.name),
            "organizations",
        ),
        organization,
        display,
        errors,
    })
}

pub async fn form(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    session.require(
        Permission::ManageOrganizationSettings,
        Record::Organization(id),
    )?;
    let (organization, display) = load(&state, id).await?;
    page(
        &session,
        &state,
        organization,
        display,
        FieldErrors::default(),
    )
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn submit(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<DisplayForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let id = path.into_inner();
    session.require(
        Permission::ManageOrganizationSettings,
        Record::Organization(id),
    )?;
    let (organization, _) = load(&state, id).await?;
    let mut errors = FieldErrors::default();
    let display_name = errors.check("display_name", parse_display_name(&form.display_name));
    let support_email = errors.check("support_email", parse_support_email(&form.support_email));
    let privacy = errors.check("privacy_policy_url", parse_link(&form.privacy_policy_url));
    let terms = errors.check(
        "terms_of_service_url",
        parse_link(&form.terms_of_service_url),
    );
    let (
        Some(display_name),
        Some(support_email),
        Some(privacy_policy_url),
        Some(terms_of_service_url),
    ) = (display_name, support_email, privacy, terms)
    else {
        let typed = ConsentDisplay {
            display_name: form.display_name.clone(),
            support_email: form.support_email.clone(),
            privacy_policy_url: form.privacy_policy_url.clone(),
            terms_of_service_url: form.terms_of_service_url.clone(),
        };
        return page(&session, &state, organization, typed, errors);
    };
    let display = ConsentDisplay {
        display_name,
        support_email,
        privacy_policy_url,
        terms_of_service_url,
    };
    let actor = session.actor(&req);
    let now = state.now();
    let id = organization.id;
    crate::db::run(&state.pool, move |conn| {
        crate::authorization_settings::set_consent_display(conn, id, &display, &actor, now)
            .map_err(AppError::from)
    })
    .await?;
    flash_and_redirect(
        &state,
        &session,
        format!("Consent screen of {} saved.", organization.name),
        "/admin/organizations",
    )
    .await
}
