//! The authorization request (RFC 6749 §3.1, §4.1.1, §4.2.1): read and validated in RFC
//! 6749 §4.1.2.1's order, kept server-side while the person is asked (`pending`), and
//! answered with a code or, where enabled, an implicit token (`response`). The endpoint's
//! HTTP entry lives with the dialog it opens, in `crate::account::authorize`.

mod error;
pub mod pending;
pub mod request;
pub mod response;

pub use error::AuthorizeError;
pub use request::{AuthorizationRequest, Refusal};

pub use request::RawParams;

use crate::db::models::client;
use crate::state::AppState;
use actix_web::HttpResponse;

/// Validates an authorization request. `Ok(Err(response))` is the error redirect to the
/// application's registered URI; an `AuthorizeError` is shown as a page and never redirects
/// (an unknown client or a bad redirect URI, RFC 6749 §4.1.2.1).
pub async fn validate(
    state: &AppState,
    params: RawParams,
) -> Result<Result<AuthorizationRequest, HttpResponse>, AuthorizeError> {
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
    match request::validate(&params, found, state.settings.pkce_required_for_all) {
        Ok(request) => Ok(Ok(request)),
        Err(Refusal::Page(why)) => Err(AuthorizeError::BadRequest(why)),
        Err(Refusal::Redirect(refusal)) => Ok(Err(response::error(state, &refusal))),
    }
}
