//! RFC 6749 §4.3: a user's username and password, sent by an application the user trusts.
//!
//! The throttle is checked before anything is looked up or hashed, and an unknown user costs
//! the same argon2 run as a wrong password, so neither the answer nor its timing tells which
//! usernames exist. The user must be enabled, of the application's kind, and a member of
//! the application's organization.

use super::{Family, Issued, access_token, refresh_lifetime, requested_scope, store_refresh_token};
use crate::admin::auth::client_ip;
use crate::db::models::audit_event::{self, NewAuditEvent};
use crate::db::models::user;
use crate::domain::{Scope, Username};
use crate::oauth::client_auth::AuthenticatedClient;
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::throttles;
use crate::state::AppState;
use crate::throttle::retry_after_seconds;
use actix_web::HttpRequest;

const WRONG_CREDENTIALS: &str = "The username or password is incorrect.";

pub async fn issue(
    state: &AppState,
    req: &HttpRequest,
    auth: &AuthenticatedClient,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let username = params
        .get("username")
        .ok_or_else(|| OAuthError::invalid_request("username is required."))?
        .trim()
        .to_lowercase();
    let password = params
        .get("password")
        .ok_or_else(|| OAuthError::invalid_request("password is required."))?;
    let client = &auth.client;
    let scope = requested_scope(params, &Scope::from_stored(&client.scopes))?;

    let now = state.now();
    let ip = client_ip(req);
    let user_key = throttles::user_key(&username);
    let address_key = throttles::address_key(ip.as_deref());
    let limits = &state.token_throttles;
    if let Some(wait) = limits
        .password_user
        .retry_after(&user_key, now)
        .or_else(|| limits.password_address.retry_after(&address_key, now))
    {
        return Err(OAuthError::Throttled {
            retry_after_seconds: retry_after_seconds(wait),
        });
    }

    let found = match Username::parse(&username) {
        Ok(name) => {
            crate::db::run(&state.pool, move |conn| {
                user::find_by_username(conn, name.as_str()).map_err(OAuthError::from)
            })
            .await?
        }
        Err(_) => None,
    };
    let verified = state
        .passwords
        .verify(found.as_ref().map(|u| u.password_hash.as_str()), password)
        .await;
    let expected_kind = client.user_kind();
    let accepted = found.as_ref().is_some_and(|u| {
        verified
            && u.enabled
            && u.kind() == expected_kind
            && u.organization_id == Some(client.organization_id)
    });
    let target = found.as_ref().map(|u| u.id);
    let Some(user) = found.filter(|_| accepted) else {
        limits.password_user.record_failure(&user_key, now);
        limits.password_address.record_failure(&address_key, now);
        let detail = format!("password grant via application {}", client.client_id);
        crate::db::run(&state.pool, move |conn| {
            audit_event::record(
                conn,
                &NewAuditEvent {
                    actor_user_id: None,
                    actor: &throttles::user_key(&username),
                    action: "token_password_failed",
                    target_type: "user",
                    target_id: target,
                    detail: &detail,
                    ip: ip.as_deref(),
                    created_at: now,
                },
            )
            .map_err(OAuthError::from)
        })
        .await?;
        return Err(OAuthError::InvalidGrant(WRONG_CREDENTIALS));
    };
    limits.password_user.record_success(&user_key);

    let (access_token, expires_in) =
        access_token(state, client, user.id.to_string(), &user, &scope, now)?;
    let refresh_token = if state.settings.refresh_tokens {
        let lifetime = refresh_lifetime(state, client);
        let family = Family::start(&state.settings, now);
        let client = client.clone();
        let scope = scope.clone();
        Some(
            crate::db::run(&state.pool, move |conn| {
                store_refresh_token(conn, lifetime, &family, &client, &user, &scope, now)
                    .map_err(OAuthError::from)
            })
            .await?,
        )
    } else {
        None
    };
    Ok(Issued {
        access_token,
        expires_in,
        refresh_token,
        scope,
    })
}
