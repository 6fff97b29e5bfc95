//! The grants of RFC 6749 that Tessera issues tokens for, and what they share: the scope
//! rule and the access token. Refresh tokens are kept by `oauth::refresh_tokens`.

pub mod authorization_code;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;

use crate::db::models::client::Client;
use crate::db::models::user::User;
use crate::domain::secret::random_bytes;
use crate::domain::{PlainSecret, Scope};
use crate::oauth::error::OAuthError;
use crate::oauth::jwt::{self, AccessClaims};
use crate::oauth::params::Params;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};

/// What a grant hands back to the client.
pub struct Issued {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<PlainSecret>,
    pub scope: Scope,
}

/// The scope rule: without `scope`, a token gets every scope the application may have;
/// with it, every requested token must be one of the application's, or the request is
/// `invalid_scope` (RFC 6749 §3.3). An application with no scopes can only get tokens
/// without scope.
pub fn requested_scope(params: &Params, allowed: &Scope) -> Result<Scope, OAuthError> {
    match params.get("scope") {
        None => Ok(allowed.clone()),
        Some(raw) => {
            let requested = Scope::parse(raw)
                .map_err(|_| OAuthError::InvalidScope("The scope is malformed."))?;
            if requested.is_subset_of(allowed) {
                Ok(requested)
            } else {
                Err(OAuthError::InvalidScope(
                    "The scope exceeds what the application may have.",
                ))
            }
        }
    }
}

/// Signs an access token for `client` acting as `user`.
pub fn access_token(
    state: &AppState,
    client: &Client,
    sub: String,
    user: &User,
    scope: &Scope,
    now: NaiveDateTime,
) -> Result<(String, i64), OAuthError> {
    let jti = new_jti();
    signed_access_token(state, client, sub, user, scope, now, jti)
}

/// A fresh, unguessable `jti`.
pub fn new_jti() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// The lifetime of the application's access tokens, in seconds.
pub fn access_token_lifetime(state: &AppState, client: &Client) -> i64 {
    client
        .access_token_ttl
        .filter(|ttl| *ttl > 0)
        .map_or(state.settings.access_token_ttl.num_seconds(), i64::from)
}

/// Signs an access token with a `jti` chosen by the caller, who may have recorded it first.
pub fn signed_access_token(
    state: &AppState,
    client: &Client,
    sub: String,
    user: &User,
    scope: &Scope,
    now: NaiveDateTime,
    jti: String,
) -> Result<(String, i64), OAuthError> {
    let keys = state.signing_keys()?;
    let lifetime = access_token_lifetime(state, client);
    let iat = now.and_utc().timestamp();
    let (scope, user_id) = (scope.to_string(), user.id.to_string());
    let claims = AccessClaims {
        iss: state.settings.issuer.as_str(),
        sub: &sub,
        aud: state.settings.issuer.as_str(),
        client_id: &client.client_id,
        iat,
        nbf: iat,
        exp: iat + lifetime,
        jti: &jti,
        scope: &scope,
        tessera_user: &user_id,
        tessera_kind: user.kind().as_str(),
    };
    Ok((jwt::sign(keys.signer(), &claims)?, lifetime))
}

/// How long a refresh token of `client` lives: its own lifetime if it has one, else the
/// server's.
pub fn refresh_lifetime(state: &AppState, client: &Client) -> TimeDelta {
    client
        .refresh_token_lifetime()
        .unwrap_or(state.settings.refresh_token_ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(raw: &str) -> Scope {
        Scope::parse(raw).unwrap()
    }

    #[test]
    fn without_a_scope_parameter_the_application_scopes_are_granted() {
        let params = Params::from_form(b"grant_type=client_credentials").unwrap();
        let granted = requested_scope(&params, &scope("read write")).unwrap();
        assert_eq!(granted.to_string(), "read write");
    }

    #[test]
    fn a_narrower_scope_is_granted_as_asked_and_a_wider_one_refused() {
        let narrow = Params::from_form(b"scope=write").unwrap();
        assert_eq!(
            requested_scope(&narrow, &scope("read write"))
                .unwrap()
                .to_string(),
            "write"
        );
        let wide = Params::from_form(b"scope=write+admin").unwrap();
        assert!(matches!(
            requested_scope(&wide, &scope("read write")),
            Err(OAuthError::InvalidScope(_))
        ));
        assert!(matches!(
            requested_scope(&narrow, &Scope::default()),
            Err(OAuthError::InvalidScope(_))
        ));
    }
}
