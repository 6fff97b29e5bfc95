//! `AuthorizeError`: how the authorization endpoint and the dialogs behind it fail when the
//! application cannot be told (RFC 6749 §4.1.2.1). The person sees a styled page; the log
//! gets the cause of server errors.

use crate::db::DbFailure;
use crate::error::{AppError, error_chain_fmt};
use crate::oauth::error::OAuthError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use std::fmt;

#[derive(thiserror::Error)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted with an error redirect.
    #[error("bad authorization request: {0}")]
    BadRequest(&'static str),
    /// The pending request behind a dialog is gone (expired, or already answered).
    #[error("the authorization request has expired")]
    Expired,
    #[error("the form has expired or did not come from this site")]
    Csrf,
    #[error(transparent)]
    Database(#[from] DbFailure),
    #[error("{0}")]
    Internal(String),
}

impl fmt::Debug for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl From<diesel::result::Error> for AuthorizeError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(DbFailure::Query(e))
    }
}

impl From<askama::Error> for AuthorizeError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template rendering failed: {e}"))
    }
}

impl From<AppError> for AuthorizeError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Csrf => Self::Csrf,
            AppError::Database(e) => Self::Database(e),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<OAuthError> for AuthorizeError {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Database(e) => Self::Database(e),
            other => Self::Internal(format!("{other:?}")),
        }
    }
}

#[derive(Template)]
#[template(path = "account/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl ResponseError for AuthorizeError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::Expired => StatusCode::BAD_REQUEST,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            Self::BadRequest(why) => ("This request cannot be completed", *why),
            Self::Expired => (
                "This request has expired",
                "Go back to the application and start again.",
            ),
            Self::Csrf => (
                "Form expired",
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ),
            Self::Database(_) | Self::Internal(_) => {
                tracing::error!(error = ?self, "authorization request failed");
                (
                    "Something went wrong",
                    "The server could not complete this request. Try again in a moment.",
                )
            }
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(self.status_code())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type(ContentType::html())
            .body(body)
    }
}
