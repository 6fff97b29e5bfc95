//! CSRF defence: a token in every state-changing form, compared in constant time, plus a
//! refusal of any cross-site `Origin` (ASVS 3.5).
//!
//! Signed-in forms carry the session's token. Anonymous forms (sign-in, setup) use a
//! double-submit cookie, so a cross-site page cannot sign a victim in to its own account.

use crate::domain::secret::{constant_time_eq, random_hex};
use crate::error::AppError;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

const FORM_COOKIE: &str = "tessera_form";

pub fn verify(expected: &str, provided: &str) -> Result<(), AppError> {
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// A browser names the page that sent a POST in `Origin`; one from another site is refused.
pub fn check_origin(req: &HttpRequest, issuer: &str) -> Result<(), AppError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| AppError::Csrf)?;
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    if origin == own || origin == issuer_origin(issuer) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// `https://host:port` of the issuer, without any path.
fn issuer_origin(issuer: &str) -> &str {
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    match issuer[after_scheme..].find('/') {
        Some(slash) => &issuer[..after_scheme + slash],
        None => issuer,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_origin_drops_the_path() {
        assert_eq!(
            issuer_origin("https://a.example:8443/auth"),
            "https://a.example:8443"
        );
        assert_eq!(
            issuer_origin("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn tokens_must_match_exactly_and_never_be_empty() {
        assert!(verify("abc", "abc").is_ok());
        assert!(verify("abc", "abd").is_err());
        assert!(verify("", "").is_err());
    }
}
