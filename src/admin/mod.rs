//! The back-office: server-rendered pages behind a database session.

pub mod auth;
pub mod clients;
pub mod confirm;
mod dashboard;
pub mod form;
mod layout;
mod notifications;
mod organization_consent;
mod organizations;
mod scopes;
mod users;

pub use layout::Layout;

use crate::error::AppError;
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            // Signed-in pages must not be kept by the browser or a proxy (ASVS 3.4).
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .route("", web::get().to(dashboard::show))
            .route("/", web::get().to(dashboard::show))
            .configure(auth::routes)
            .configure(clients::routes)
            .configure(users::routes)
            .configure(organizations::routes)
            .configure(organization_consent::routes)
            .configure(scopes::routes)
            .configure(notifications::routes)
            .default_service(web::to(not_found)),
    );
}

/// Unknown back-office addresses answer 404 only to signed-in users; others go to sign-in.
async fn not_found(_: auth::SignedIn) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A lifecycle error is either a broken rule, shown on the page, or a database failure,
/// which becomes a 500.
pub trait RuleError: Sized {
    fn into_rule(self) -> Result<Self, diesel::result::Error>;
}

impl RuleError for crate::clients::ClientError {
    fn into_rule(self) -> Result<Self, diesel::result::Error> {
        match self {
            Self::Database(e) => Err(e),
            rule => Ok(rule),
        }
    }
}

impl RuleError for crate::clients::secrets::SecretError {
    fn into_rule(self) -> Result<Self, diesel::result::Error> {
        match self {
            Self::Database(e) => Err(e),
            rule => Ok(rule),
        }
    }
}

impl RuleError for crate::scopes::ScopeError {
    fn into_rule(self) -> Result<Self, diesel::result::Error> {
        match self {
            Self::Database(e) => Err(e),
            rule => Ok(rule),
        }
    }
}

impl RuleError for crate::users::UserError {
    fn into_rule(self) -> Result<Self, diesel::result::Error> {
        match self {
            Self::Database(e) => Err(e),
            rule => Ok(rule),
        }
    }
}

/// Separates what a page should show from a failure of the server.
pub fn outcome<T, E: RuleError>(result: Result<T, E>) -> Result<Result<T, E>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(e) => e.into_rule().map(Err).map_err(AppError::from),
    }
}

pub fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(page.render()?))
}

pub fn set_cookie(
    response: &mut HttpResponse,
    cookie: &actix_web::cookie::Cookie<'_>,
) -> Result<(), AppError> {
    response
        .add_cookie(cookie)
        .map_err(|e| AppError::Internal(format!("cannot set a cookie: {e}")))
}

/// After a POST the browser is sent on with 303, so a reload never repeats the action.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
