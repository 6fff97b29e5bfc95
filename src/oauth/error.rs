//! `OAuthError`: every way the authorization server and the bearer guard refuse, and the one
//! place each becomes an answer — RFC 6749 §5.2 JSON for the endpoints, RFC 6750 §3 for
//! bearer tokens. Callers see a fixed code and a short description; the causes of server
//! errors go to the log only.

use crate::db::DbFailure;
use crate::error::error_chain_fmt;
use crate::oauth::keys::KeyError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use std::fmt;

/// The realm named in `WWW-Authenticate` challenges.
pub const REALM: &str = "tessera";

/// Longest `error_description` sent; anything longer is cut.
const MAX_DESCRIPTION: usize = 200;

#[derive(thiserror::Error)]
pub enum OAuthError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("client authentication failed")]
    InvalidClient,
    #[error("invalid grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unauthorized client: {0}")]
    UnauthorizedClient(&'static str),
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    #[error("invalid scope: {0}")]
    InvalidScope(&'static str),
    /// Too many failures for a client, user or address; a documented addition to RFC 6749.
    #[error("too many failed attempts")]
    Throttled { retry_after_seconds: i64 },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("signing keys unavailable")]
    KeysUnavailable,
    #[error("no bearer token")]
    MissingToken,
    #[error("invalid bearer token: {0}")]
    InvalidToken(&'static str),
    #[error(transparent)]
    Database(#[from] DbFailure),
    #[error(transparent)]
    Signing(#[from] KeyError),
    #[error("{0}")]
    Internal(&'static str),
}

impl fmt::Debug for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl From<diesel::result::Error> for OAuthError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(DbFailure::Query(e))
    }
}

impl OAuthError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::InvalidRequest(description.into())
    }

    /// The RFC 6749 §5.2 (or RFC 6750 §3.1) error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::PayloadTooLarge | Self::MethodNotAllowed => {
                "invalid_request"
            }
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::Throttled { .. } => "temporarily_unavailable",
            Self::MissingToken | Self::InvalidToken(_) => "invalid_token",
            Self::KeysUnavailable | Self::Database(_) | Self::Signing(_) | Self::Internal(_) => {
                "server_error"
            }
        }
    }

    fn description(&self) -> &str {
        match self {
            Self::InvalidRequest(text) => text,
            Self::InvalidGrant(text)
            | Self::UnauthorizedClient(text)
            | Self::InvalidScope(text)
            | Self::InvalidToken(text) => text,
            Self::InvalidClient => "Client authentication failed.",
            Self::UnsupportedGrantType => "The grant type is not supported.",
            Self::Throttled { .. } => "Too many failed attempts. Retry later.",
            Self::PayloadTooLarge => "The request body is too large.",
            Self::MethodNotAllowed => "Use POST.",
            Self::KeysUnavailable => {
                "Tokens cannot be issued: the signing keys are not configured."
            }
            Self::MissingToken => "A bearer token is required.",
            Self::Database(_) | Self::Signing(_) | Self::Internal(_) => {
                "The server could not complete the request."
            }
        }
    }
}

/// RFC 6749 §5.1: token answers, and errors too, must never be stored by a cache.
pub fn no_store(builder: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
}

/// RFC 6749 §5.2: `error_description` is limited to %x20-21 / %x23-5B / %x5D-7E, so a
/// description that echoes what the caller sent can never break the JSON or a header.
pub fn safe_description(text: &str) -> String {
    text.chars()
        .take(MAX_DESCRIPTION)
        .map(|c| match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '?',
        })
        .collect()
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_)
            | Self::InvalidGrant(_)
            | Self::UnauthorizedClient(_)
            | Self::UnsupportedGrantType
            | Self::InvalidScope(_) => StatusCode::BAD_REQUEST,
            Self::InvalidClient | Self::MissingToken | Self::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Signing(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let description = safe_description(self.description());
        match self {
            Self::Database(_) | Self::Signing(_) | Self::Internal(_) => {
                tracing::error!(error = ?self, "OAuth request failed");
            }
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        no_store(&mut builder);
        match self {
            // RFC 9110 §11.6.1: every 401 names the scheme to use.
            Self::InvalidClient => {
                builder
                    .insert_header((header::WWW_AUTHENTICATE, format!("Basic realm=\"{REALM}\"")));
            }
            Self::MissingToken => {
                builder.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\""),
                ));
            }
            Self::InvalidToken(_) => {
                builder.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"{REALM}\", error=\"invalid_token\", \
                         error_description=\"{description}\""
                    ),
                ));
            }
            Self::Throttled {
                retry_after_seconds,
            } => {
                builder
                    .insert_header((header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds)));
            }
            Self::MethodNotAllowed => {
                builder.insert_header((header::ALLOW, "POST"));
            }
            _ => {}
        }
        builder.json(serde_json::json!({
            "error": self.code(),
            "error_description": description,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_to_the_rfc_6749_character_set() {
        let cleaned = safe_description("bad \"param\"\\\r\nnamé\u{7f}\t");
        assert_eq!(cleaned, "bad ?param????nam???");
        assert!(
            cleaned
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
        );
    }

    #[test]
    fn long_descriptions_are_cut() {
        assert_eq!(safe_description(&"x".repeat(1000)).len(), MAX_DESCRIPTION);
    }
}
