//! The bearer guard of Tessera's own API (RFC 6750): `/api/...` takes back-office tokens,
//! `/api/frontend/...` customer tokens.
//!
//! A valid signature is not enough. Access tokens are not stored, so whether one still
//! counts is decided here, at every request: the application must exist and be active, the
//! user exist, be enabled and still be one the application may act as (its kind and its
//! organization), the token must be younger than the application's and the user's cut-offs
//! (deactivation, disabling) and the person's own (revoked from /account), and its `jti`
//! must not be on the deny-list.

use crate::db::DbConn;
use crate::db::models::client::{self, Client};
use crate::db::models::user::{self, User};
use crate::db::models::{consent, revoked_access_token};
use crate::domain::UserKind;
use crate::oauth::error::OAuthError;
use crate::oauth::jwt::{self, AccessClaims, Rejected};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

/// Said of every token that verified but no longer counts, whatever the reason: the caller
/// need not learn whether the application or the user was switched off.
const NO_LONGER_VALID: &str = "The token is no longer valid.";

/// The access token of a request, with the application and the user it acts for.
pub struct Caller {
    pub claims: AccessClaims,
    pub client: Client,
    pub user: User,
}

/// A caller of `/api/...`: a back-office user's token.
pub struct BackOfficeCaller(pub Caller);

/// A caller of `/api/frontend/...`: a customer's token.
pub struct CustomerCaller(pub Caller);

impl FromRequest for BackOfficeCaller {
    type Error = OAuthError;
    type Future = LocalBoxFuture<'static, Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { caller(&req, UserKind::Backoffice).await.map(Self) })
    }
}

impl FromRequest for CustomerCaller {
    type Error = OAuthError;
    type Future = LocalBoxFuture<'static, Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { caller(&req, UserKind::Customer).await.map(Self) })
    }
}

async fn caller(req: &HttpRequest, kind: UserKind) -> Result<Caller, OAuthError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(OAuthError::Internal("application state is missing"))?;
    let token = bearer_token(req)?;
    let caller = check(state, token).await?;
    if caller.user.kind() != kind {
        return Err(OAuthError::InvalidToken(match kind {
            UserKind::Backoffice => "This API takes back-office tokens only.",
            UserKind::Customer => "This API takes customer tokens only.",
        }));
    }
    Ok(caller)
}

/// RFC 6750 §2.1: `Authorization: Bearer <token>`; without one the answer is a bare
/// challenge (§3.1).
fn bearer_token(req: &HttpRequest) -> Result<&str, OAuthError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(token_of_header)
        .ok_or(OAuthError::MissingToken)
}

/// The token of an `Authorization` header value, when its scheme is Bearer.
pub fn token_of_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Verifies an access token completely: signature and claims, then the database.
/// `InvalidToken` when it does not count; other errors when the check itself failed.
pub async fn check(state: &AppState, token: &str) -> Result<Caller, OAuthError> {
    let keys = state
        .keys
        .as_ref()
        .map_err(|_| OAuthError::InvalidToken(Rejected::UnknownKey.description()))?;
    let claims = jwt::verify(keys, token, &state.settings.issuer, state.now())
        .map_err(|why| OAuthError::InvalidToken(why.description()))?;
    crate::db::run(&state.pool, move |conn| match still_valid(conn, &claims)? {
        Some((client, user)) => Ok(Caller {
            claims,
            client,
            user,
        }),
        None => Err(OAuthError::InvalidToken(NO_LONGER_VALID)),
    })
    .await
}

fn still_valid(
    conn: &mut DbConn,
    claims: &AccessClaims,
) -> Result<Option<(Client, User)>, OAuthError> {
    let Some(client) = client::find_by_client_id(conn, &claims.client_id)? else {
        return Ok(None);
    };
    if !client.active || jwt::issued_before(claims.iat, client.tokens_revoked_before) {
        return Ok(None);
    }
    let Ok(user_id) = claims.tessera_user.parse::<i64>() else {
        return Ok(None);
    };
    let Some(user) = user::get(conn, user_id)? else {
        return Ok(None);
    };
    if !client.may_act_as(&user)
        || user.kind().as_str() != claims.tessera_kind
        || jwt::issued_before(claims.iat, user.tokens_revoked_before)
    {
        return Ok(None);
    }
    // The person revoked the application from /account.
    if jwt::issued_before(
        claims.iat,
        consent::tokens_revoked_before(conn, user.id, client.id)?,
    ) {
        return Ok(None);
    }
    if revoked_access_token::is_revoked(conn, &claims.jti)? {
        return Ok(None);
    }
    Ok(Some((client, user)))
}
