//! /account: the applications a person connected, with the scopes and when; Revoke takes
//! an application's access away at once; Sign out ends the single sign-on session.

use super::session::{self, Person};
use crate::db::models::client;
use crate::db::models::consent::{self, Connection};
use crate::oauth::authorize::AuthorizeError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account/home.html")]
struct HomePage<'a> {
    person: &'a str,
    connections: Vec<Connection>,
    csrf_token: &'a str,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    client_id: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf_token: String,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AuthorizeError> {
    let Some(person) = session::current(&state, &req).await? else {
        return super::pages::sign_in(&req, &state, None, None).await;
    };
    let user_id = person.user.id;
    let connections = crate::db::run(&state.pool, move |conn| {
        consent::connections(conn, user_id).map_err(AuthorizeError::from)
    })
    .await?;
    super::render(&HomePage {
        person: &person.user.username,
        connections,
        csrf_token: &person.csrf_token,
    })
}

async fn signed_in(
    req: &HttpRequest,
    state: &AppState,
    csrf_token: &str,
) -> Result<Option<Person>, AuthorizeError> {
    crate::csrf::check_origin(req, &state.settings.issuer)?;
    let person = session::current(state, req).await?;
    if let Some(person) = &person {
        person.verify_csrf(csrf_token)?;
    }
    Ok(person)
}

/// Removes the consent, revokes the person's refresh tokens for the application and cuts
/// off its access tokens for them, in one audited transaction.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, AuthorizeError> {
    let Some(person) = signed_in(&req, &state, &form.csrf_token).await? else {
        return Ok(super::see_other("/account"));
    };
    let ip = crate::client_address::of(&req);
    let now = state.now();
    let client_id = form.client_id.clone();
    let user = person.user.clone();
    crate::db::run(&state.pool, move |conn| {
        let Some(client) = client::find_by_client_id(conn, &client_id)? else {
            return Ok(false);
        };
        crate::consents::revoke(conn, &user, &client, ip.as_deref(), now)
            .map_err(AuthorizeError::from)
    })
    .await?;
    Ok(super::see_other("/account"))
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, AuthorizeError> {
    let mut response = super::see_other("/account");
    if let Some(person) = signed_in(&req, &state, &form.csrf_token).await? {
        let gone = session::end(&state, &person).await?;
        super::set_cookie(&mut response, &gone)?;
    }
    Ok(response)
}
