//! RFC 6749 §4.1.3: an application exchanges the code the person's browser brought back.
//!
//! The code must be this application's, unexpired and unspent, presented with the same
//! `redirect_uri` as the request that made it and with the PKCE verifier of its challenge
//! (RFC 7636 §4.6). A code presented again is refused and everything it issued is revoked
//! (RFC 6749 §4.1.2, RFC 9700 §4.2.4): the refresh-token family and the access token, both
//! named on the code row when it is spent. Spending is one conditional update, so of two
//! concurrent exchanges exactly one succeeds.

use super::{Issued, access_token_lifetime, new_jti, signed_access_token};
use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::authorization_code::{self as code_model, AuthorizationCode, Issuance};
use crate::db::models::client::Client;
use crate::db::models::revoked_access_token::{self, NewRevokedAccessToken};
use crate::db::models::user::{self, User};
use crate::db::models::{consent, refresh_token as refresh_model};
use crate::domain::{PlainSecret, Scope, SecretHash};
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::pkce::{self, Method};
use crate::oauth::refresh_tokens::{self, Family};
use crate::state::AppState;
use chrono::{NaiveDateTime, TimeDelta};

const INVALID: &str = "The authorization code is invalid, expired or already used.";

enum Outcome {
    Issued {
        user: Box<User>,
        scope: Scope,
        jti: String,
        refresh_token: Option<PlainSecret>,
    },
    Refused(&'static str),
}

pub async fn issue(
    state: &AppState,
    client: &Client,
    params: &Params,
    now: NaiveDateTime,
) -> Result<Issued, OAuthError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required."))?;
    let code_hash = SecretHash::of(code).into_string();
    let redirect_uri = params.get("redirect_uri").map(str::to_owned);
    let verifier = params.get("code_verifier").map(str::to_owned);
    let lifetime = access_token_lifetime(state, client);
    let refresh = state
        .settings
        .refresh_tokens
        .then_some(state.settings.refresh_token_ttl);
    let family = Family::start(&state.settings, now);
    let jti = new_jti();
    let owned_client = client.clone();
    let outcome = crate::db::run(&state.pool, move |conn| {
        let exchange = Exchange {
            client: &owned_client,
            code_hash: &code_hash,
            redirect_uri: redirect_uri.as_deref(),
            verifier: verifier.as_deref(),
            family: &family,
            jti: &jti,
            access_expires_at: now + TimeDelta::seconds(lifetime),
            refresh,
            now,
        };
        exchange.run(conn).map_err(OAuthError::from)
    })
    .await?;
    match outcome {
        Outcome::Issued {
            user,
            scope,
            jti,
            refresh_token,
        } => {
            let (access_token, expires_in) =
                signed_access_token(state, client, user.id.to_string(), &user, &scope, now, jti)?;
            Ok(Issued {
                access_token,
                expires_in,
                refresh_token,
                scope,
            })
        }
        Outcome::Refused(why) => Err(OAuthError::InvalidGrant(why)),
    }
}

struct Exchange<'a> {
    client: &'a Client,
    code_hash: &'a str,
    redirect_uri: Option<&'a str>,
    verifier: Option<&'a str>,
    family: &'a Family,
    jti: &'a str,
    access_expires_at: NaiveDateTime,
    /// The refresh-token lifetime, when refresh tokens are issued at all.
    refresh: Option<TimeDelta>,
    now: NaiveDateTime,
}

impl Exchange<'_> {
    fn run(&self, conn: &mut DbConn) -> diesel::QueryResult<Outcome> {
        let Some(code) = code_model::find_by_hash(conn, self.code_hash)? else {
            return Ok(Outcome::Refused(INVALID));
        };
        // Another application's code is not this one's to spend, nor to get revoked.
        if code.client_id != self.client.id {
            return Ok(Outcome::Refused(INVALID));
        }
        if code.used_at.is_some() {
            return replayed(conn, &code, self.client, self.now);
        }
        if code.expires_at <= self.now {
            return Ok(Outcome::Refused(INVALID));
        }
        if let Some(why) = self.binding_mismatch(&code) {
            return Ok(Outcome::Refused(why));
        }
        let Some(user) = self.live_user(conn, &code)? else {
            return Ok(Outcome::Refused(INVALID));
        };
        let scope = Scope::from_stored(&code.scope);
        let issuance = Issuance {
            family_id: &self.family.id,
            access_jti: self.jti,
            access_expires_at: self.access_expires_at,
        };
        let issued = crate::db::transaction(conn, |conn| {
            if !code_model::spend(conn, code.id, &issuance, self.now)? {
                return Ok(None);
            }
            self.refresh
                .map(|lifetime| {
                    refresh_tokens::store(
                        conn,
                        lifetime,
                        self.family,
                        self.client,
                        &user,
                        &scope,
                        self.now,
                    )
                })
                .transpose()
                .map(Some)
        })?;
        match issued {
            Some(refresh_token) => Ok(Outcome::Issued {
                user: Box::new(user),
                scope,
                jti: self.jti.to_owned(),
                refresh_token,
            }),
            None => replayed(conn, &code, self.client, self.now),
        }
    }

    /// RFC 6749 §4.1.3 and RFC 7636 §4.6: the same redirect URI, and the verifier of the
    /// challenge. A verifier without a challenge is refused too: the request that made the
    /// code did not ask for PKCE, so something is amiss (RFC 9700 §4.8.2).
    fn binding_mismatch(&self, code: &AuthorizationCode) -> Option<&'static str> {
        let same_uri = match self.redirect_uri {
            Some(given) => given == code.redirect_uri,
            None => !code.redirect_uri_given,
        };
        if !same_uri {
            return Some("redirect_uri differs from the one of the authorization request.");
        }
        match (&code.code_challenge, self.verifier) {
            (Some(challenge), Some(verifier)) => {
                let method = code
                    .code_challenge_method
                    .as_deref()
                    .and_then(Method::parse)
                    .unwrap_or(Method::S256);
                (!pkce::verifies(method, challenge, verifier))
                    .then_some("The code_verifier does not match the code_challenge.")
            }
            (Some(_), None) => Some("code_verifier is required."),
            (None, Some(_)) => {
                Some("code_verifier was sent but the authorization request had no code_challenge.")
            }
            (None, None) => None,
        }
    }

    /// The person the code was issued to, if they may still be: enabled, of the
    /// application's kind and organization, and not cut off since they signed in.
    fn live_user(
        &self,
        conn: &mut DbConn,
        code: &AuthorizationCode,
    ) -> diesel::QueryResult<Option<User>> {
        if !self.client.active
            || self
                .client
                .tokens_revoked_before
                .is_some_and(|cut| code.created_at <= cut)
        {
            return Ok(None);
        }
        let Some(user) = user::get(conn, code.user_id)? else {
            return Ok(None);
        };
        let consent_cut = consent::tokens_revoked_before(conn, user.id, self.client.id)?;
        let usable = user.enabled
            && user.kind() == self.client.user_kind()
            && user.organization_id == Some(self.client.organization_id)
            && user
                .tokens_revoked_before
                .is_none_or(|cut| code.created_at > cut)
            && consent_cut.is_none_or(|cut| code.created_at > cut);
        Ok(usable.then_some(user))
    }
}

/// A spent code presented again: revoke what it issued and refuse.
fn replayed(
    conn: &mut DbConn,
    code: &AuthorizationCode,
    client: &Client,
    now: NaiveDateTime,
) -> diesel::QueryResult<Outcome> {
    let code = code_model::find_by_hash(conn, &code.code_hash)?.unwrap_or_else(|| code.clone());
    crate::db::transaction(conn, |conn| {
        let mut revoked = 0;
        if let Some(family) = &code.family_id {
            revoked += refresh_model::revoke_family(conn, family, now)?;
        }
        if let (Some(jti), Some(expires_at)) = (&code.access_jti, code.access_expires_at) {
            revoked_access_token::revoke(conn, &NewRevokedAccessToken { jti, expires_at })?;
            revoked += 1;
        }
        tracing::warn!(
            client_id = %client.client_id,
            revoked,
            "an authorization code was presented twice: what it issued is revoked"
        );
        audit::record(
            conn,
            &Actor::anonymous(&client.client_id, None),
            AuditAction::AuthorizationCodeReused,
            Some(client.id),
            "a spent authorization code was presented; its tokens are revoked",
            now,
        )
    })?;
    Ok(Outcome::Refused(INVALID))
}
