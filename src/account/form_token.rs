//! The sign-in form is anonymous, so its CSRF token is a double-submit cookie of its own
//! (`SameSite=Strict`, path /account): a cross-site page cannot sign a victim in to the
//! attacker's account.

use crate::domain::secret::random_hex;
use crate::oauth::authorize::AuthorizeError;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};

const FORM_COOKIE: &str = "tessera_account_form";

/// The form token: the browser's, or a new one with the cookie that carries it.
pub fn issue(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(cookie) = req.cookie(FORM_COOKIE)
        && cookie.value().len() == 64
    {
        return (cookie.value().to_owned(), None);
    }
    let token = random_hex(32);
    let cookie = Cookie::build(FORM_COOKIE, token.clone())
        .path("/account")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

pub fn verify(req: &HttpRequest, issuer: &str, provided: &str) -> Result<(), AuthorizeError> {
    crate::csrf::check_origin(req, issuer)?;
    let cookie = req.cookie(FORM_COOKIE).ok_or(AuthorizeError::Csrf)?;
    crate::csrf::verify(cookie.value(), provided)?;
    Ok(())
}
