//! GET and POST /oauth2-authorize: the request is validated by `crate::oauth::authorize`,
//! then handed to the person's dialog (`flow`), which signs them in, asks their consent,
//! and answers the application.

use super::flow;
use crate::oauth::authorize::{self, AuthorizeError, RawParams};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};

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
    let validated = authorize::validate(state, params).await;
    if let Err(AuthorizeError::BadRequest(_)) = &validated {
        // Shown as a page, never redirected (RFC 6749 §4.1.2.1).
        let refused = crate::metrics::AuthorizationOutcome::Refused;
        state.metrics.authorization_request(refused);
    }
    match validated? {
        Ok(request) => flow::begin(req, state, request).await,
        Err(redirect) => Ok(redirect),
    }
}
