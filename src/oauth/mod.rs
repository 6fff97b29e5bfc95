//! The authorization server: the authorization, token, revocation and introspection
//! endpoints, discovery, and the bearer guard of Tessera's own API.

pub mod authorize;
pub mod bearer;
pub mod client_auth;
pub mod cors;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod jwt;
pub mod keys;
pub mod me;
pub mod metadata;
pub mod params;
pub mod pkce;
pub mod refresh_tokens;
pub mod revoke;
pub mod throttles;
pub mod token;

use actix_web::dev::HttpServiceFactory;
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{FromRequest, Handler, Resource, Responder, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(with_cors(post_only("/oauth2-token", token::issue)))
        .service(with_cors(post_only("/oauth2-revoke", revoke::revoke)))
        .service(post_only("/oauth2-introspect", introspect::introspect).wrap(no_store()))
        .service(public_document(
            "/.well-known/oauth-authorization-server",
            metadata::document,
        ))
        .service(public_document("/.well-known/jwks.json", metadata::jwks))
        .route("/api/me", web::get().to(me::back_office))
        .route("/api/frontend/me", web::get().to(me::customer));
}

/// RFC 6749 §3.2 and §5.1: POST only, and whatever answers — the handler, a 405, an error
/// from deeper down — is never cached.
fn post_only<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(token::method_not_allowed))
}

/// An endpoint browser applications call from their registered origins: a preflight
/// route, and the answer's CORS headers.
fn with_cors(resource: Resource) -> impl HttpServiceFactory {
    resource
        .route(web::method(Method::OPTIONS).to(cors::preflight))
        .wrap(no_store())
        .wrap(from_fn(cors::answer))
}

fn no_store() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::PRAGMA, "no-cache"))
}

/// A discovery document: public, so any origin may read it.
fn public_document<F, Args>(path: &str, handler: F) -> impl HttpServiceFactory
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler))
        .wrap(DefaultHeaders::new().add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")))
}
