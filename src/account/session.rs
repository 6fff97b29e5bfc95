//! The single sign-on session of a person authorizing applications: its own cookie, apart
//! from the back-office one. `SameSite=Lax`, because the browser comes back to
//! /oauth2-authorize from the application's site and must bring it; `HttpOnly`; `Secure`
//! over https. The cookie holds 256 random bits, the table their SHA-256; idle and absolute
//! timeouts end it, and every sign-in replaces it (ASVS V7).

use crate::db::models::client::Client;
use crate::db::models::sso_session::{self, NewSsoSession};
use crate::db::models::user::User;
use crate::domain::secret::random_hex;
use crate::domain::{PlainSecret, SecretHash};
use crate::oauth::authorize::AuthorizeError;
use crate::state::AppState;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use chrono::{NaiveDateTime, TimeDelta};

pub const SSO_COOKIE: &str = "tessera_sso";

/// `last_seen_at` is written at most this often.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// A person signed in to the dialogs.
pub struct Person {
    pub session_id: i64,
    pub user: User,
    pub csrf_token: String,
    /// When they last typed their password: the `auth_time` of what they authorize.
    pub signed_in_at: NaiveDateTime,
}

impl Person {
    pub fn verify_csrf(&self, provided: &str) -> Result<(), AuthorizeError> {
        crate::csrf::verify(&self.csrf_token, provided).map_err(AuthorizeError::from)
    }
}

/// The person of the request's SSO cookie, if the session is live and they are enabled.
/// An expired session is deleted on the way.
pub async fn current(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<Person>, AuthorizeError> {
    let Some(cookie) = req.cookie(SSO_COOKIE) else {
        return Ok(None);
    };
    let token_hash = SecretHash::of(cookie.value()).into_string();
    let now = state.now();
    let idle = state.settings.sso_idle_timeout;
    let absolute = state.settings.sso_absolute_timeout;
    crate::db::run(&state.pool, move |conn| {
        let Some((session, user)) = sso_session::find_with_user(conn, &token_hash)? else {
            return Ok(None);
        };
        let expired = now - session.last_seen_at > idle || now - session.created_at > absolute;
        if expired || !user.enabled {
            sso_session::delete(conn, session.id)?;
            return Ok(None);
        }
        if now - session.last_seen_at > TOUCH_EVERY {
            sso_session::touch(conn, session.id, now)?;
        }
        Ok(Some(Person {
            session_id: session.id,
            user,
            csrf_token: session.csrf_token,
            signed_in_at: session.created_at,
        }))
    })
    .await
}

/// Starts a new session for `user_id`, ending the one the browser had, and returns its
/// cookie: a fresh id at every sign-in defeats session fixation.
pub async fn start(
    state: &AppState,
    req: &HttpRequest,
    user_id: i64,
) -> Result<Cookie<'static>, AuthorizeError> {
    let previous = req
        .cookie(SSO_COOKIE)
        .map(|c| SecretHash::of(c.value()).into_string());
    let token = PlainSecret::generate("");
    let token_hash = token.hash().into_string();
    let csrf_token = random_hex(32);
    let now = state.now();
    crate::db::run(&state.pool, move |conn| {
        if let Some(previous) = previous {
            sso_session::delete_by_hash(conn, &previous)?;
        }
        sso_session::create(
            conn,
            &NewSsoSession {
                token_hash: &token_hash,
                user_id,
                csrf_token: &csrf_token,
                created_at: now,
                last_seen_at: now,
            },
        )
        .map_err(AuthorizeError::from)
    })
    .await?;
    Ok(cookie(
        token.expose().to_owned(),
        state.settings.secure_cookies(),
    ))
}

/// Ends the session: the row goes, so a copied cookie is worthless; returns the cookie
/// that removes it from the browser.
pub async fn end(state: &AppState, person: &Person) -> Result<Cookie<'static>, AuthorizeError> {
    let id = person.session_id;
    crate::db::run(&state.pool, move |conn| {
        sso_session::delete(conn, id).map_err(AuthorizeError::from)
    })
    .await?;
    let mut gone = cookie(String::new(), state.settings.secure_cookies());
    gone.make_removal();
    Ok(gone)
}

fn cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SSO_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

/// Who may authorize an application: enabled users of its organization, customers for a
/// frontend application and back-office users otherwise.
pub fn may_authorize(user: &User, client: &Client) -> bool {
    user.enabled
        && user.kind() == client.user_kind()
        && user.organization_id == Some(client.organization_id)
}
