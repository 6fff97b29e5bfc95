//! The back-office: server-rendered pages behind a database session.

pub mod auth;
pub mod charts;
pub mod clients;
pub mod confirm;
mod dashboard;
mod emails;
pub mod form;
mod layout;
mod notifications;
mod organization_consent;
mod organizations;
mod scopes;
mod usage;
mod users;

pub use layout::Layout;

use crate::admin::auth::SignedIn;
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
            .wrap(actix_web::middleware::from_fn(
                crate::metrics::time_back_office,
            ))
            .route("", web::get().to(dashboard::show))
            .route("/", web::get().to(dashboard::show))
            .configure(auth::routes)
            .configure(clients::routes)
            .configure(users::routes)
            .configure(organizations::routes)
            .configure(organization_consent::routes)
            .configure(scopes::routes)
            .configure(notifications::routes)
            .configure(emails::routes)
            .default_service(web::to(not_found)),
    );
}

/// Unknown back-office addresses, and known ones asked with another method, answer 404
/// only to signed-in users; others go to sign-in. Nested scopes name it as their default
/// too, since actix does not hand their misses to the enclosing scope.
async fn not_found(_: SignedIn) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A service error is either a refusal, shown on the page, or a database failure, which
/// becomes a 500.
pub trait Refusal: Sized {
    fn into_refusal(self) -> Result<Self, diesel::result::Error>;
}

macro_rules! refusal_unless_database {
    ($($error:ty),*) => {$(
        impl Refusal for $error {
            fn into_refusal(self) -> Result<Self, diesel::result::Error> {
                match self {
                    Self::Database(e) => Err(e),
                    refusal => Ok(refusal),
                }
            }
        }
    )*};
}

refusal_unless_database!(
    crate::clients::ClientError,
    crate::clients::secrets::SecretError,
    crate::clients::delivery::DeliveryError,
    crate::scopes::ScopeError,
    crate::users::UserError,
    crate::organizations::OrganizationError,
    crate::mail::RetryError,
    crate::roles::RoleError,
    crate::mail::templates::TemplateError
);

/// Keeps a refusal for the page to show; a database failure becomes the `AppError`.
pub fn keep_refusals<T, E: Refusal>(result: Result<T, E>) -> Result<Result<T, E>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(e) => e.into_refusal().map(Err).map_err(AppError::from),
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
    response.add_cookie(cookie).map_err(AppError::Cookie)
}

/// After a POST the browser is sent on with 303, so a reload never repeats the action.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
