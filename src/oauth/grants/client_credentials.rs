//! RFC 6749 §4.4: a confidential application gets a token for itself, acting as its owner.
//! `sub` is the client id (RFC 9068 §2.2); no refresh token (§4.4.3).

use super::{Issued, access_token, requested_scope};
use crate::domain::Scope;
use crate::oauth::client_auth::AuthenticatedClient;
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::state::AppState;
use chrono::NaiveDateTime;

pub fn issue(
    state: &AppState,
    auth: &AuthenticatedClient,
    params: &Params,
    now: NaiveDateTime,
) -> Result<Issued, OAuthError> {
    let client = auth.client();
    if !client.confidential {
        return Err(OAuthError::UnauthorizedClient(
            "Only confidential applications may use client_credentials.",
        ));
    }
    let owner = auth
        .owner()
        .filter(|owner| client.may_act_as(owner))
        .ok_or(OAuthError::InvalidGrant(
            "The user this application acts for is missing or disabled.",
        ))?;
    let scope = requested_scope(params, &Scope::from_stored(&client.scopes))?;
    let (access_token, expires_in) =
        access_token(state, client, client.client_id.clone(), owner, &scope, now)?;
    Ok(Issued {
        access_token,
        expires_in,
        refresh_token: None,
        scope,
    })
}
