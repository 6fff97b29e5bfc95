//! The authorization server: the authorization, token, revocation and introspection
//! endpoints, discovery, and the bearer guard of Tessera's own API.

pub mod authorize;
pub mod bearer;
pub mod client_auth;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod jwt;
pub mod keys;
pub mod me;
pub mod metadata;
pub mod params;
pub mod pkce;
pub mod revoke;
pub mod throttles;
pub mod token;

use actix_web::dev::HttpServiceFactory;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{FromRequest, Handler, Responder, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(post_only("/oauth2-token", token::handle))
        .service(post_only("/oauth2-revoke", revoke::handle))
        .service(post_only("/oauth2-introspect", introspect::handle))
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(metadata::document),
        )
        .route("/.well-known/jwks.json", web::get().to(metadata::jwks))
        .route("/api/me", web::get().to(me::back_office))
        .route("/api/frontend/me", web::get().to(me::customer));
}

/// RFC 6749 §3.2 and §5.1: POST only, and whatever answers — the handler, a 405, an error
/// from deeper down — is never cached.
fn post_only<F, Args>(path: &str, handler: F) -> impl HttpServiceFactory
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .wrap(
            DefaultHeaders::new()
                .add((header::CACHE_CONTROL, "no-store"))
                .add((header::PRAGMA, "no-cache")),
        )
        .route(web::post().to(handler))
        .default_service(web::to(token::method_not_allowed))
}
