//! The two dialog pages as a person sees them: sign in, and allow or deny. The handlers
//! that answer their forms, and the flow that decides which one a request needs next, render
//! them from here.

use super::form_token;
use super::session::Person;
use crate::db::models::{organization, scope};
use crate::domain::Scope;
use crate::oauth::authorize::AuthorizeError;
use crate::oauth::authorize::pending::Pending;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

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

#[derive(Template)]
#[template(path = "account/sign_in.html")]
struct SignInPage<'a> {
    title: &'a str,
    application: Option<&'a str>,
    organization: Option<&'a str>,
    request: Option<&'a str>,
    /// The credentials page to return to after signing in.
    next: Option<&'static str>,
    csrf_token: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

/// The sign-in page, for a pending request or for /account.
pub async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    pending: Option<&Pending>,
    failure: Option<(&str, &str)>,
) -> Result<HttpResponse, AuthorizeError> {
    sign_in_returning(req, state, pending, None, failure).await
}

/// The sign-in page; `next` is the credentials page to go back to afterwards.
pub async fn sign_in_returning(
    req: &HttpRequest,
    state: &AppState,
    pending: Option<&Pending>,
    next: Option<&'static str>,
    failure: Option<(&str, &str)>,
) -> Result<HttpResponse, AuthorizeError> {
    let organization = match pending {
        Some(p) => {
            let org_id = p.request.client.organization_id;
            crate::db::run(&state.pool, move |conn| {
                crate::db::models::organization::consent_display(conn, org_id)
                    .map_err(AuthorizeError::from)
            })
            .await?
            .map(|(org, display)| {
                if display.display_name.is_empty() {
                    org.name
                } else {
                    display.display_name
                }
            })
        }
        None => None,
    };
    let (token, cookie) = form_token::issue(req, state.settings.secure_cookies());
    let application = pending.map(|p| p.request.client.name.as_str());
    let title = match application {
        Some(_) => "Sign in to continue",
        None => "Sign in to your account",
    };
    let page = SignInPage {
        title,
        application,
        organization: organization.as_deref(),
        request: pending.map(|p| p.handle.as_str()),
        next,
        csrf_token: &token,
        username: failure.map_or("", |(username, _)| username),
        error: failure.map(|(_, message)| message),
    };
    let mut response = match pending {
        Some(p) => super::render_dialog(&page, &p.request.redirect_uri)?,
        None => super::render(&page)?,
    };
    if let Some(cookie) = cookie {
        super::set_cookie(&mut response, &cookie)?;
    }
    Ok(response)
}

pub async fn consent(
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
