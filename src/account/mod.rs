//! The third face, for the people who use applications: the sign-in (SSO) and consent
//! dialogs of /oauth2-authorize, and /account, where a person sees and revokes the
//! applications they connected. Its own session cookie; never the back-office's.

mod consent;
pub mod flow;
mod form_token;
mod home;
pub mod session;
mod sign_in;

use crate::oauth::authorize::AuthorizeError;
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/account")
            // The dialogs and the account page are never kept by a browser or proxy.
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .route("", web::get().to(home::show))
            .route("/authorize", web::get().to(consent::dialog))
            .route("/sign-in", web::post().to(sign_in::submit))
            .route("/consent", web::post().to(consent::submit))
            .route("/switch", web::post().to(consent::switch_account))
            .route("/revoke", web::post().to(home::revoke))
            .route("/sign-out", web::post().to(home::sign_out)),
    );
}

/// Where the browser goes to continue a pending request.
pub fn dialog_url(handle: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("request", handle)
        .finish();
    format!("/account/authorize?{query}")
}

fn render(page: &impl Template) -> Result<HttpResponse, AuthorizeError> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(page.render()?))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn set_cookie(
    response: &mut HttpResponse,
    cookie: &actix_web::cookie::Cookie<'_>,
) -> Result<(), AuthorizeError> {
    response
        .add_cookie(cookie)
        .map_err(|e| AuthorizeError::Internal(format!("cannot set a cookie: {e}")))
}
