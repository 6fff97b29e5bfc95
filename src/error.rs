//! `AppError` is what a back-office handler can fail with; this is the one place it becomes
//! a response. People see a short page; the log gets the cause chain.

use crate::db::DbFailure;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use std::fmt;

#[derive(thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("the form has expired or did not come from this site")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("the request cannot be read")]
    BadRequest,
    #[error("the request body is too large")]
    TooLarge,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Database(#[from] DbFailure),
    #[error("the application state is missing")]
    MissingState,
    /// askama's error is not `Send`, and an `AppError` crosses to the blocking pool: the
    /// message is kept instead.
    #[error("template rendering failed: {0}")]
    Template(String),
    #[error("password hashing failed")]
    PasswordHash(#[from] crate::passwords::HashError),
    #[error("the blocking task was cancelled")]
    Cancelled(#[from] actix_web::error::BlockingError),
    #[error("cannot set a cookie")]
    Cookie(#[source] actix_web::error::HttpError),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(DbFailure::Query(e))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Template(e.to_string())
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// Writes an error with every `source()` beneath it, for the log.
pub fn error_chain_fmt(e: &impl std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{e}")?;
    let mut cause = e.source();
    while let Some(c) = cause {
        write!(f, "\n  caused by: {c}")?;
        cause = c.source();
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::SEE_OTHER,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Database(_)
            | Self::MissingState
            | Self::Template(_)
            | Self::PasswordHash(_)
            | Self::Cancelled(_)
            | Self::Cookie(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            Self::Unauthenticated => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/admin/login"))
                    .finish();
            }
            Self::Csrf => (
                "Form expired",
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ),
            Self::Forbidden(why) => ("Not allowed", *why),
            Self::NotFound => ("Page not found", "There is nothing at this address."),
            Self::BadRequest => (
                "Bad request",
                "This address or form holds something Tessera cannot read. Go back, reload the page and try again.",
            ),
            Self::TooLarge => (
                "Too large",
                "What was sent is larger than Tessera accepts. Shorten it and try again.",
            ),
            Self::Database(_)
            | Self::MissingState
            | Self::Template(_)
            | Self::PasswordHash(_)
            | Self::Cancelled(_)
            | Self::Cookie(_) => {
                tracing::error!(error = ?self, "request failed");
                (
                    "Something went wrong",
                    "The server could not complete this request. Nothing secret was shown; try again in a moment.",
                )
            }
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(self.status_code())
            .content_type(ContentType::html())
            .body(body)
    }
}
