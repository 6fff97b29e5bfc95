//! GET and POST /oauth2-authorize (RFC 6749 §3.1, §4.1.1, §4.2.1): validate the request,
//! then hand it to the person's dialog (`crate::account::flow`), which signs them in, asks
//! their consent, and answers with a code or, where enabled, an implicit token.

mod error;
pub mod pending;
pub mod request;
pub mod response;

pub use error::AuthorizeError;
pub use request::{AuthorizationRequest, Refusal};

use crate::db::models::client;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};
use request::RawParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth2-authorize")
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .route(web::get().to(by_get))
            .route(web::post().to(by_post)),
    );
}

#[tracing::instrument(level = "debug", skip_all)]
async fn by_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AuthorizeError> {
    let params = RawParams::parse(req.query_string().as_bytes());
    start(&req, &state, params).await
}

/// RFC 6749 §3.1: the endpoint may also take its parameters as a form POST.
#[tracing::instrument(level = "debug", skip_all)]
async fn by_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AuthorizeError> {
    start(&req, &state, RawParams::parse(&body)).await
}

async fn start(
    req: &HttpRequest,
    state: &AppState,
    params: RawParams,
) -> Result<HttpResponse, AuthorizeError> {
    let client_id = match params.client_id() {
        Ok(Some(id)) => id.to_owned(),
        Ok(None) => {
            return Err(AuthorizeError::BadRequest(
                "The client_id parameter is required.",
            ));
        }
        Err(Refusal::Page(why)) => return Err(AuthorizeError::BadRequest(why)),
        Err(Refusal::Redirect(_)) => {
            return Err(AuthorizeError::BadRequest("The request is malformed."));
        }
    };
    let found = crate::db::run(&state.pool, move |conn| {
        client::find_for_authorize(conn, &client_id).map_err(AuthorizeError::from)
    })
    .await?;
    let request = match request::validate(&params, found, state.settings.pkce_required_for_all) {
        Ok(request) => request,
        Err(Refusal::Page(why)) => return Err(AuthorizeError::BadRequest(why)),
        Err(Refusal::Redirect(refusal)) => return Ok(response::error(state, &refusal)),
    };
    crate::account::flow::begin(req, state, request).await
}
