//! CORS for the JavaScript origins browser applications register, on `/oauth2-token` and
//! `/oauth2-revoke` (the Fetch standard's CORS protocol).
//!
//! A preflight is answered with `Access-Control-Allow-Origin` only when some active
//! application registered the origin; the actual answer carries it only when the origin is
//! one of the application that authenticated. Any other origin gets no CORS header at all,
//! and `*` is never sent here: these answers carry tokens. Every answer says
//! `Vary: Origin`. Discovery documents are public and may be read from anywhere.

use crate::db::models::client::{self, Client};
use crate::domain::Origins;
use crate::oauth::error::OAuthError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

/// How long a browser may reuse a preflight answer, in seconds.
const MAX_AGE: &str = "600";
const METHODS: &str = "POST, OPTIONS";
const HEADERS: &str = "Authorization, Content-Type";

/// The origins of the application that authenticated on this request, put there by client
/// authentication for the answer's CORS headers.
#[derive(Clone)]
pub struct ClientOrigins(pub Origins);

/// The `Origin` header, when the request has exactly one that is readable.
fn origin(req: &HttpRequest) -> Option<String> {
    let mut values = req.headers().get_all(header::ORIGIN);
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok().map(str::to_owned)
}

fn vary(response: &mut HttpResponse) {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
}

/// OPTIONS on a CORS endpoint.
pub async fn preflight(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let mut response = HttpResponse::NoContent();
    response.insert_header((header::ALLOW, METHODS));
    let registered = match origin(&req) {
        Some(origin) => {
            let asked = origin.clone();
            crate::db::run(&state.pool, move |conn| {
                client::origin_registered(conn, &asked).map_err(OAuthError::from)
            })
            .await?
            .then_some(origin)
        }
        None => None,
    };
    if let Some(origin) = registered {
        response
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE));
    }
    let mut response = response.finish();
    vary(&mut response);
    Ok(response)
}

/// Middleware for the actual answer: the origin is allowed when it belongs to the
/// application that authenticated.
pub async fn answer(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let allowed = origin(res.request()).filter(|origin| {
        res.request()
            .extensions()
            .get::<ClientOrigins>()
            .is_some_and(|origins| origins.0.contains(origin))
    });
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    Ok(res)
}

/// Records the authenticated application's origins on a request that came with an `Origin`
/// (a request without one gets no CORS header, whatever they are).
pub fn remember(req: &HttpRequest, client: &Client) {
    if req.headers().contains_key(header::ORIGIN) {
        req.extensions_mut().insert(ClientOrigins(client.origins()));
    }
}
