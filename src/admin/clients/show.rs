use super::load;
use crate::access::Permission;
use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::audit::{self, AuditAction};
use crate::clients::secrets::Status;
use crate::clock::display_time;
use crate::db::models::audit_event::AuditEvent;
use crate::db::models::client::Client;
use crate::db::models::client_secret::{self, ClientSecret};
use crate::db::models::credential_delivery::CredentialDelivery;
use crate::db::models::scope::{self, CatalogScope};
use crate::db::models::{organization, user};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

/// How many history entries the view page shows.
const HISTORY: i64 = 20;

pub struct HistoryEntry {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub ip: String,
}

impl From<AuditEvent> for HistoryEntry {
    fn from(e: AuditEvent) -> Self {
        Self {
            when: display_time(e.created_at),
            action: AuditAction::from_stored(&e.action).map_or(e.action, |a| a.label().to_owned()),
            actor: e.actor,
            ip: e.ip.unwrap_or_default(),
        }
    }
}

pub struct SecretInfo {
    pub id: i64,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub status: Status,
}

impl SecretInfo {
    fn of(s: ClientSecret, now: NaiveDateTime) -> Self {
        Self {
            id: s.id,
            status: Status::of(&s, now),
            prefix: s.prefix,
            created: display_time(s.created_at),
            last_used: s
                .last_used_at
                .map_or_else(|| "Never".to_owned(), display_time),
            expires: s
                .expires_at
                .map_or_else(|| "Never".to_owned(), display_time),
        }
    }
}

/// A credentials link the owner has not used yet: when it was sent, and until when it works.
pub struct Awaiting {
    pub sent: String,
    pub expires: String,
    pub expired: bool,
    pub for_new_application: bool,
}

impl Awaiting {
    fn of(link: &CredentialDelivery, now: NaiveDateTime) -> Self {
        Self {
            sent: display_time(link.created_at),
            expires: display_time(link.expires_at),
            expired: !link.open_at(now),
            for_new_application: link.purpose == "application",
        }
    }
}

#[derive(Template)]
#[template(path = "admin/oauth_applications/show.html")]
struct ShowPage {
    layout: Layout,
    client: Client,
    grants: String,
    app_type: &'static str,
    redirect_uris: Vec<String>,
    origins: Vec<String>,
    scopes: Vec<CatalogScope>,
    organization: String,
    owner: Option<(i64, String)>,
    created: String,
    updated: String,
    last_used: String,
    secrets: Vec<SecretInfo>,
    awaiting: Option<Awaiting>,
    history: Vec<HistoryEntry>,
    usage: crate::admin::usage::ApplicationUsage,
}

pub async fn show(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let client = load(
        &session,
        &state,
        path.into_inner(),
        Permission::ViewApplication,
    )
    .await?;
    let (id, org_id, owner_id) = (client.id, client.organization_id, client.owner_user_id);
    let now = state.now();
    let (organization, owner, secrets, scopes, history, waiting) =
        crate::db::query(&state.pool, move |conn| {
            let organization = organization::get(conn, org_id)?
                .map(|o| o.name)
                .unwrap_or_default();
            let owner = match owner_id {
                Some(uid) => user::get(conn, uid)?.map(|u| (u.id, u.username)),
                None => None,
            };
            Ok((
                organization,
                owner,
                client_secret::list_for_client(conn, id)?,
                scope::for_client(conn, id)?,
                audit::history(conn, AuditAction::CLIENT_CHANGES, id, HISTORY)?,
                crate::clients::delivery::waiting(conn, id)?,
            ))
        })
        .await?;
    let usage = crate::admin::usage::application(&state, id).await?;
    render(&ShowPage {
        layout: Layout::signed_in(&session, &state, client.name.clone(), "applications"),
        grants: client.grants().labels(),
        app_type: client.app_type().label(),
        redirect_uris: client.redirect_uris().iter().map(str::to_owned).collect(),
        origins: client.origins().iter().map(str::to_owned).collect(),
        scopes,
        created: display_time(client.created_at),
        updated: display_time(client.updated_at),
        last_used: client
            .last_used_at
            .map_or_else(|| "Never".to_owned(), display_time),
        client,
        organization,
        owner,
        secrets: secrets
            .into_iter()
            .map(|s| SecretInfo::of(s, now))
            .collect(),
        awaiting: waiting.map(|link| Awaiting::of(&link, now)),
        history: history.into_iter().map(HistoryEntry::from).collect(),
        usage,
    })
}
