//! Database-backed sessions: the cookie holds 256 random bits, the table only their SHA-256,
//! so a leaked database cannot be replayed as cookies. Sign-out, disabling a user and the
//! timeouts end a session for real because the row goes.

use crate::admin::auth::csrf;
use crate::audit::Actor;
use crate::db::models::admin_session::{self, NewAdminSession};
use crate::db::models::user::User;
use crate::domain::secret::random_hex;
use crate::domain::{PlainSecret, SecretHash};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::TimeDelta;
use futures_util::future::LocalBoxFuture;

pub const SESSION_COOKIE: &str = "tessera_session";

/// `last_seen_at` is written at most this often, not on every page view.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// A signed-in administrator. Taking this as a handler argument is what guards a page.
pub struct SignedIn {
    pub session_id: i64,
    pub user: User,
    pub csrf_token: String,
    pub flash: Option<String>,
}

impl SignedIn {
    pub fn verify_csrf(&self, provided: &str) -> Result<(), AppError> {
        csrf::verify(&self.csrf_token, provided)
    }

    /// The signed-in user as the author of a change, with the address it came from.
    pub fn actor(&self, req: &HttpRequest) -> Actor {
        Actor::user(&self.user, crate::client_address::of(req))
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let origin_check = match (req.method() == Method::GET, &state) {
            (false, Some(state)) => csrf::check_origin(req, &state.settings.issuer),
            _ => Ok(()),
        };
        Box::pin(async move {
            origin_check?;
            let state = state.ok_or(AppError::MissingState)?;
            let token_hash =
                SecretHash::of(&cookie.ok_or(AppError::Unauthenticated)?).into_string();
            let now = state.now();
            let idle = state.settings.session_idle_timeout;
            let absolute = state.settings.session_absolute_timeout;
            crate::db::run(&state.pool, move |conn| {
                let (session, user) = admin_session::find_with_user(conn, &token_hash)?
                    .ok_or(AppError::Unauthenticated)?;
                let expired =
                    now - session.last_seen_at > idle || now - session.created_at > absolute;
                if expired || !user.can_sign_in_to_back_office() {
                    admin_session::delete(conn, session.id)?;
                    return Err(AppError::Unauthenticated);
                }
                if session.flash.is_some() {
                    admin_session::clear_flash(conn, session.id)?;
                }
                if now - session.last_seen_at > TOUCH_EVERY {
                    admin_session::touch(conn, session.id, now)?;
                }
                Ok(SignedIn {
                    session_id: session.id,
                    user,
                    csrf_token: session.csrf_token,
                    flash: session.flash,
                })
            })
            .await
        })
    }
}

/// Creates a session for `user_id` and returns the cookie that carries it. A fresh id at
/// every sign-in defeats session fixation; the caller removes any previous session.
pub async fn start_session(state: &AppState, user_id: i64) -> Result<Cookie<'static>, AppError> {
    let token = PlainSecret::generate("");
    let token_hash = token.hash().into_string();
    let csrf_token = random_hex(32);
    let now = state.now();
    crate::db::query(&state.pool, move |conn| {
        admin_session::create(
            conn,
            &NewAdminSession {
                token_hash: &token_hash,
                user_id,
                csrf_token: &csrf_token,
                created_at: now,
                last_seen_at: now,
            },
        )
    })
    .await?;
    Ok(session_cookie(
        token.expose().to_owned(),
        state.settings.secure_cookies(),
    ))
}

pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

/// Sets a one-time message and sends the browser on with 303.
pub async fn flash_and_redirect(
    state: &AppState,
    session: &SignedIn,
    message: String,
    location: &str,
) -> Result<actix_web::HttpResponse, AppError> {
    let session_id = session.session_id;
    crate::db::query(&state.pool, move |conn| {
        admin_session::set_flash(conn, session_id, &message)
    })
    .await?;
    Ok(crate::admin::see_other(location))
}
