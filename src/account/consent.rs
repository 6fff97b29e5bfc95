//! The consent dialog: the application, its organization as it chose to present itself,
//! the scopes asked, grouped by category with their descriptions, and Allow or Deny. It
//! answers for the pending request behind its handle, never for anything in the form.

use super::flow::{self, Next};
use super::session::{self, Person};
use crate::db::models::{organization, scope};
use crate::domain::Scope;
use crate::oauth::authorize::pending::{self, Pending};
use crate::oauth::authorize::{AuthorizeError, response};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// A category of scopes on the dialog.
pub struct ScopeGroup {
    pub category: String,
    pub scopes: Vec<(String, String)>,
}

/// The scopes of `scope`, grouped by their catalog category in the catalog's order, each
/// with its description. A scope the catalog lacks is shown under its bare name.
fn groups(conn: &mut crate::db::DbConn, requested: &Scope) -> diesel::QueryResult<Vec<ScopeGroup>> {
    let names: Vec<&str> = requested.iter().collect();
    let described = scope::by_names(conn, &names)?;
    let mut groups: Vec<ScopeGroup> = Vec::new();
    for category in scope::categories(conn)? {
        let scopes: Vec<(String, String)> = described
            .iter()
            .filter(|s| s.category_id == category.id)
            .map(|s| (s.name.clone(), s.description.clone()))
            .collect();
        if !scopes.is_empty() {
            groups.push(ScopeGroup {
                category: category.name,
                scopes,
            });
        }
    }
    let unknown: Vec<(String, String)> = names
        .iter()
        .filter(|n| !described.iter().any(|s| s.name == **n))
        .map(|n| ((*n).to_owned(), String::new()))
        .collect();
    if !unknown.is_empty() {
        groups.push(ScopeGroup {
            category: "Other".to_owned(),
            scopes: unknown,
        });
    }
    Ok(groups)
}

#[derive(Template)]
#[template(path = "account/consent.html")]
struct ConsentPage<'a> {
    application: &'a str,
    organization: &'a str,
    support_email: &'a str,
    privacy_policy_url: &'a str,
    terms_of_service_url: &'a str,
    person: &'a str,
    groups: Vec<ScopeGroup>,
    request: &'a str,
    csrf_token: &'a str,
}

#[derive(Deserialize)]
pub struct DialogQuery {
    request: String,
}

#[derive(Deserialize)]
pub struct DecisionForm {
    request: String,
    decision: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct SwitchForm {
    request: String,
    csrf_token: String,
}

/// GET /account/authorize?request=…: the page the pending request needs next.
pub async fn dialog(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DialogQuery>,
) -> Result<HttpResponse, AuthorizeError> {
    let pending = pending::load(&state, &query.request).await?;
    flow::resume(&req, &state, pending).await
}

pub async fn page(
    state: &AppState,
    pending: &Pending,
    person: &Person,
) -> Result<HttpResponse, AuthorizeError> {
    let org_id = pending.request.client.organization_id;
    let requested = pending.request.scope.clone();
    let (found, groups) = crate::db::run(&state.pool, move |conn| {
        let found = organization::consent_display(conn, org_id)?;
        Ok::<_, AuthorizeError>((found, groups(conn, &requested)?))
    })
    .await?;
    let (org, display) = found.ok_or(AuthorizeError::Expired)?;
    let person_name = if person.user.full_name.is_empty() {
        person.user.username.as_str()
    } else {
        person.user.full_name.as_str()
    };
    super::render_dialog(
        &ConsentPage {
            application: &pending.request.client.name,
            organization: if display.display_name.is_empty() {
                &org.name
            } else {
                &display.display_name
            },
            support_email: &display.support_email,
            privacy_policy_url: &display.privacy_policy_url,
            terms_of_service_url: &display.terms_of_service_url,
            person: person_name,
            groups,
            request: &pending.handle,
            csrf_token: &person.csrf_token,
        },
        &pending.request.redirect_uri,
    )
}

/// POST /account/consent: Allow answers the application with a code (or token) and
/// remembers the scopes; Deny answers `access_denied` (RFC 6749 §4.1.2.1).
#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AuthorizeError> {
    crate::csrf::check_origin(&req, &state.settings.issuer)?;
    let pending = pending::load(&state, &form.request).await?;
    let (person, _) = flow::person_for(&state, &req, &pending.request).await?;
    let Some(person) = person else {
        // Signed out (or as someone else) meanwhile: start the dialog again.
        return Ok(super::see_other(&super::dialog_url(&pending.handle)));
    };
    person.verify_csrf(&form.csrf_token)?;
    if flow::next(&pending.request, pending.started_at, Some(&person), false) == Next::SignIn {
        return Ok(super::see_other(&super::dialog_url(&pending.handle)));
    }
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return Err(AuthorizeError::BadRequest("Choose Allow or Deny.")),
    };
    pending::take(&state, &pending).await?;
    let request = &pending.request;
    if !allow {
        return Ok(response::refuse(
            &state,
            request,
            "access_denied",
            "The person denied the request.",
        ));
    }
    let (user, client, scope) = (
        person.user.clone(),
        request.client.clone(),
        request.scope.clone(),
    );
    let ip = crate::client_address::of(&req);
    let now = state.now();
    crate::db::run(&state.pool, move |conn| {
        crate::consents::grant(conn, &user, &client, &scope, ip.as_deref(), now)
            .map_err(AuthorizeError::from)
    })
    .await?;
    response::grant(&state, request, &person.user, person.signed_in_at).await
}

/// "Not you? Use another account": ends the session and shows the sign-in page for the
/// same pending request.
pub async fn switch_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, AuthorizeError> {
    crate::csrf::check_origin(&req, &state.settings.issuer)?;
    let pending = pending::load(&state, &form.request).await?;
    let mut response = super::see_other(&super::dialog_url(&pending.handle));
    if let Some(person) = session::current(&state, &req).await? {
        person.verify_csrf(&form.csrf_token)?;
        let gone = session::end(&state, &person).await?;
        super::set_cookie(&mut response, &gone)?;
    }
    Ok(response)
}
