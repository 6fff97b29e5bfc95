//! RFC 6749 §4.3: a user's username and password, sent by an application the user trusts.
//!
//! The throttle is checked before anything is looked up or hashed, and an unknown user costs
//! the same argon2 run as a wrong password, so neither the answer nor its timing tells which
//! usernames exist. The user must be enabled, of the application's kind, and a member of
//! the application's organization.

use super::{Issued, access_token, refresh_lifetime, requested_scope};
use crate::audit::{self, Actor, AuditAction};
use crate::db::models::user;
use crate::domain::{Scope, Username};
use crate::metrics::Throttled;
use crate::oauth::client_auth::AuthenticatedClient;
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::refresh_tokens::{self, Family};
use crate::oauth::throttles;
use crate::state::AppState;
use crate::throttle::{self, OnSuccess, retry_after_seconds};
use actix_web::HttpRequest;
use chrono::NaiveDateTime;

const WRONG_CREDENTIALS: &str = "The username or password is incorrect.";

pub async fn issue(
    state: &AppState,
    req: &HttpRequest,
    auth: &AuthenticatedClient,
    params: &Params,
    now: NaiveDateTime,
) -> Result<Issued, OAuthError> {
    let username = params
        .get("username")
        .ok_or_else(|| OAuthError::invalid_request("username is required."))?
        .trim()
        .to_lowercase();
    let password = params
        .get("password")
        .ok_or_else(|| OAuthError::invalid_request("password is required."))?;
    let client = auth.client();
    let scope = requested_scope(params, &Scope::from_stored(&client.scopes))?;

    let ip = crate::client_address::of(req);
    let user_key = throttles::user_key(&username);
    let address_key = throttles::address_key(ip.as_deref());
    let limits = &state.token_throttles;
    // The attempt counts before the password is verified: concurrent guesses cannot
    // outrun the count.
    let mut attempt = throttle::reserve(
        now,
        [
            limits
                .password_user
                .hold(user_key.clone(), OnSuccess::Clear),
            limits.password_address.hold(address_key, OnSuccess::Keep),
        ],
    )
    .map_err(|wait| {
        let what = match limits.password_user.retry_after(&user_key, now) {
            Some(_) => Throttled::PasswordUser,
            None => Throttled::PasswordAddress,
        };
        state.throttled(what);
        OAuthError::Throttled {
            retry_after_seconds: retry_after_seconds(wait),
        }
    })?;

    let found = match Username::parse(&username) {
        Ok(name) => attempt.abandon_on_error(
            crate::db::query(&state.pool, move |conn| {
                user::find_by_username(conn, name.as_str())
            })
            .await,
        )?,
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
        drop(attempt);
        let detail = format!("password grant via application {}", client.client_id);
        let actor = Actor::anonymous(throttles::user_key(&username), ip);
        let action = AuditAction::PasswordGrantFailed;
        crate::db::query(&state.pool, move |conn| {
            audit::record(conn, &actor, action, target, &detail, now)
        })
        .await?;
        return Err(OAuthError::InvalidGrant(WRONG_CREDENTIALS));
    };
    attempt.succeeded();

    let (access_token, expires_in) =
        access_token(state, client, user.id.to_string(), &user, &scope, now)?;
    let refresh_token = if state.settings.refresh_tokens {
        let lifetime = refresh_lifetime(state, client);
        let family = Family::start(&state.settings, now);
        let client = client.clone();
        let scope = scope.clone();
        Some(
            crate::db::query(&state.pool, move |conn| {
                refresh_tokens::store(conn, lifetime, &family, &client, &user, &scope, now)
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
