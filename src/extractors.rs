//! What a request answers when actix cannot extract what a handler asked for: a query
//! string, form, JSON body or path that does not fit. Never actix's plain-text default: a
//! person gets the styled error page, a client of `/oauth2-*` the RFC 6749 §5.2 JSON error
//! (`invalid_request`), and a back-office form that lacks its CSRF field is a 403 like any
//! other CSRF failure (ASVS 3.5.1).

use crate::error::AppError;
use crate::oauth::error::OAuthError;
use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::{HttpRequest, web};

/// The field every back-office form carries; see `admin::auth::csrf`.
const CSRF_FIELD: &str = "`csrf_token`";

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, req| bad_request(req, &e.to_string()))
}

pub fn path_config() -> web::PathConfig {
    // A path segment of the wrong type names nothing that exists.
    web::PathConfig::default().error_handler(|_, req| {
        if is_oauth(req) {
            OAuthError::invalid_request("The address is malformed.").into()
        } else {
            AppError::NotFound.into()
        }
    })
}

pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|e, req| match &e {
            UrlencodedError::Overflow { .. } => too_large(req),
            _ if e.to_string().contains(CSRF_FIELD) && !is_oauth(req) => AppError::Csrf.into(),
            _ => bad_request(req, &e.to_string()),
        })
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, req| match &e {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                too_large(req)
            }
            _ => bad_request(req, &e.to_string()),
        })
}

fn is_oauth(req: &HttpRequest) -> bool {
    req.path().starts_with("/oauth2-")
}

fn bad_request(req: &HttpRequest, why: &str) -> actix_web::Error {
    tracing::debug!(
        path = crate::logging::loggable_path(req.path()),
        error = why,
        "request refused: cannot read it"
    );
    if is_oauth(req) {
        OAuthError::invalid_request("The request is malformed.").into()
    } else {
        AppError::BadRequest.into()
    }
}

fn too_large(req: &HttpRequest) -> actix_web::Error {
    if is_oauth(req) {
        OAuthError::PayloadTooLarge.into()
    } else {
        AppError::TooLarge.into()
    }
}
