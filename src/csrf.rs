//! CSRF checks every face shares: a token compared in constant time, and a refusal of any
//! cross-site `Origin` (ASVS 3.5). Each face keeps its own tokens and cookies.

use crate::domain::secret::constant_time_eq;
use crate::error::AppError;
use actix_web::HttpRequest;
use actix_web::http::header;

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
