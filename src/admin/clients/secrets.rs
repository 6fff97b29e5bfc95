//! An application's secrets: add one (shown once, on the same no-store page as at
//! creation), optionally letting the current ones expire, and disable one after a
//! confirmation page.

use super::{load, view_url};
use crate::access::Permission;
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::confirm::{Question, ask};
use crate::admin::form::{CsrfForm, FormData};
use crate::admin::{Layout, keep_refusals, render};
use crate::clients::delivery::{Delivery, DeliveryError};
use crate::clients::secrets::{self, SecretError};
use crate::db::models::client::Client;
use crate::db::models::client_secret;
use crate::domain::{ExpireOld, PlainSecret};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// The page that shows a secret, the only time it is ever shown.
#[derive(Template)]
#[template(path = "admin/oauth_applications/secret.html")]
pub struct SecretPage {
    pub layout: Layout,
    pub heading: String,
    pub id: i64,
    pub client_id: String,
    /// None for a public client, which has no secret.
    pub client_secret: Option<PlainSecret>,
}

#[derive(Template)]
#[template(path = "admin/oauth_applications/secret_new.html")]
struct AddPage {
    layout: Layout,
    id: i64,
    name: String,
    choices: [(&'static str, &'static str); 4],
    /// Which way the secret goes, checked on the form.
    deliver: &'static str,
    error: Option<String>,
}

fn add_page(
    session: &SignedIn,
    state: &AppState,
    client: &Client,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (id, name) = (client.id, client.name.clone());
    // Nobody to send to, or the administrator is the owner: shown by default.
    let owner_is_me = client
        .owner_user_id
        .is_none_or(|owner| owner == session.user.id);
    render(&AddPage {
        deliver: Delivery::default_for(owner_is_me).as_str(),
        layout: Layout::signed_in(
            session,
            state,
            format!("Add a secret to {name}"),
            "applications",
        ),
        id,
        name,
        choices: ExpireOld::CHOICES,
        error,
    })
}

pub async fn new(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let client = load(
        &session,
        &state,
        path.into_inner(),
        Permission::RotateSecret,
    )
    .await?;
    add_page(&session, &state, &client, None)
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn add(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    let client = load(
        &session,
        &state,
        path.into_inner(),
        Permission::RotateSecret,
    )
    .await?;
    let expire_old = match ExpireOld::parse(form.get("expire_old")) {
        Ok(choice) => choice,
        Err(why) => return add_page(&session, &state, &client, Some(why.0)),
    };
    let delivery = match form.get("deliver") {
        "" => Delivery::Show,
        raw => match Delivery::parse(raw) {
            Ok(delivery) => delivery,
            Err(why) => return add_page(&session, &state, &client, Some(why.0)),
        },
    };
    let actor = session.actor(&req);
    let now = state.now();
    let id = client.id;
    if delivery == Delivery::Owner {
        let ttl = state.settings.credential_link_ttl;
        let result = crate::db::run(&state.pool, move |conn| {
            let send = crate::clients::delivery::send_secret;
            keep_refusals(send(conn, id, expire_old, ttl, &actor, now))
        })
        .await?;
        state.mail_queued();
        return match result {
            Ok(client) => {
                let message = format!(
                    "The owner of {} was sent a one-time link to collect the new secret; \
                     nothing changes to the current secrets until they do.",
                    client.name
                );
                flash_and_redirect(&state, &session, message, &view_url(client.id)).await
            }
            Err(DeliveryError::NoClient) => Err(AppError::NotFound),
            Err(rule) => add_page(&session, &state, &client, Some(rule.to_string())),
        };
    }
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(secrets::add(conn, id, expire_old, &actor, now))
    })
    .await?;
    state.mail_queued();
    match result {
        Ok((client, created, secret)) => {
            tracing::info!(client_id = %client.client_id, prefix = %created.prefix, "client secret added");
            render(&SecretPage {
                layout: Layout::signed_in(&session, &state, "Client secret added", "applications"),
                heading: format!("New client secret for “{}”", client.name),
                id: client.id,
                client_id: client.client_id,
                client_secret: Some(secret),
            })
        }
        Err(SecretError::NoClient) => Err(AppError::NotFound),
        Err(rule) => add_page(&session, &state, &client, Some(rule.to_string())),
    }
}

async fn load_secret(
    state: &AppState,
    client_id: i64,
    secret_id: i64,
) -> Result<client_secret::ClientSecret, AppError> {
    crate::db::run(&state.pool, move |conn| {
        client_secret::get(conn, secret_id).map_err(AppError::from)
    })
    .await?
    .filter(|s| s.client_id == client_id)
    .ok_or(AppError::NotFound)
}

pub async fn confirm_disable(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, secret_id) = path.into_inner();
    let client = load(&session, &state, id, Permission::RotateSecret).await?;
    let secret = load_secret(&state, client.id, secret_id).await?;
    let subject = format!("the secret {}… of {}", secret.prefix, client.name);
    ask(
        &session,
        &state,
        Question {
            section: "applications",
            verb: "Disable",
            subject: &subject,
            message: "Requests presenting this secret are refused from the moment you confirm, \
                      at the token, revocation and introspection endpoints. This cannot be \
                      undone: add a new secret if the application still needs one.",
            action: format!("{}/secrets/{}/disable", view_url(client.id), secret.id),
            cancel_url: view_url(client.id),
        },
    )
}

#[tracing::instrument(skip_all, fields(admin = %session.user.username))]
pub async fn disable(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session.verify_csrf(&form.csrf_token)?;
    let (id, secret_id) = path.into_inner();
    load(&session, &state, id, Permission::RotateSecret).await?;
    let actor = session.actor(&req);
    let now = state.now();
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(secrets::disable(conn, id, secret_id, &actor, now))
    })
    .await?;
    state.mail_queued();
    match result {
        Ok((client, secret)) => {
            let message = format!("Disabled the secret {}… of {}.", secret.prefix, client.name);
            flash_and_redirect(&state, &session, message, &view_url(client.id)).await
        }
        Err(SecretError::NoClient | SecretError::NoSecret) => Err(AppError::NotFound),
        Err(refusal) => {
            flash_and_redirect(&state, &session, refusal.to_string(), &view_url(id)).await
        }
    }
}
