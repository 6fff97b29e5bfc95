//! CSRF defence: a token in every state-changing form, compared in constant time, plus a
//! refusal of any cross-site `Origin` (ASVS 3.5).
//!
//! Signed-in forms carry the session's token. Anonymous forms (sign-in, setup) use a
//! double-submit cookie, so a cross-site page cannot sign a victim in to its own account.

pub use crate::csrf::{check_origin, verify};
use crate::domain::secret::random_hex;
use crate::error::AppError;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};

const FORM_COOKIE: &str = "tessera_form";

/// The anonymous form token: the existing cookie's, or a new one with the cookie to set.
fn anonymous_token(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(cookie) = req.cookie(FORM_COOKIE)
        && cookie.value().len() == 64
    {
        return (cookie.value().to_owned(), None);
    }
    let token = random_hex(32);
    let cookie = Cookie::build(FORM_COOKIE, token.clone())
        .path("/admin")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

/// Renders a page with an anonymous form, setting the form cookie when the browser has none.
pub fn anonymous_page(
    req: &HttpRequest,
    secure: bool,
    page: impl FnOnce(String) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    let (token, cookie) = anonymous_token(req, secure);
    let mut response = page(token)?;
    if let Some(cookie) = cookie {
        crate::admin::set_cookie(&mut response, &cookie)?;
    }
    Ok(response)
}

pub fn verify_anonymous(req: &HttpRequest, provided: &str) -> Result<(), AppError> {
    let cookie = req.cookie(FORM_COOKIE).ok_or(AppError::Csrf)?;
    verify(cookie.value(), provided)
}
