//! The back-office: server-rendered pages behind a database session.

pub mod auth;
mod dashboard;
pub mod form;
mod layout;

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
            .default_service(web::to(not_found)),
    );
}

/// Unknown back-office addresses answer 404 only to signed-in users; others go to sign-in.
async fn not_found(_: auth::SignedIn) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

pub fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(page.render()?))
}

/// After a POST the browser is sent on with 303, so a reload never repeats the action.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
