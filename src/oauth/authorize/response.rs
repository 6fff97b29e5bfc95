//! The answers that go back to the application through the browser: a code (RFC 6749
//! §4.1.2), an access token in the fragment (§4.2.2), or an error (§4.1.2.1, §4.2.2.1).
//! Each carries `state` and `iss` (RFC 9207), and goes out with 303 so a POSTed dialog is
//! not re-posted (RFC 9700 §4.12).

use super::request::{AuthorizationRequest, ErrorRedirect, ResponseType};
use crate::db::models::authorization_code::{self as code_model, NewAuthorizationCode};
use crate::db::models::user::User;
use crate::domain::PlainSecret;
use crate::metrics::AuthorizationOutcome;
use crate::oauth::error::safe_description;
use crate::oauth::grants;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{NaiveDateTime, TimeDelta};

/// Expired codes are kept a while, so a late replay is still recognised as one.
const KEEP_EXPIRED_CODES: TimeDelta = TimeDelta::hours(1);

/// `uri` with `params` added to its query, or as its fragment.
fn with_params(uri: &str, params: &[(&str, &str)], fragment: bool) -> String {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        encoded.append_pair(name, value);
    }
    let encoded = encoded.finish();
    let separator = if fragment {
        '#'
    } else if uri.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{uri}{separator}{encoded}")
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub fn error(state: &AppState, refusal: &ErrorRedirect) -> HttpResponse {
    state.metrics.authorization_request(match refusal.error {
        "access_denied" => AuthorizationOutcome::Denied,
        _ => AuthorizationOutcome::Error,
    });
    let description = safe_description(&refusal.description);
    let mut params = vec![
        ("error", refusal.error),
        ("error_description", description.as_str()),
    ];
    if let Some(s) = &refusal.state {
        params.push(("state", s));
    }
    params.push(("iss", &state.settings.issuer));
    see_other(&with_params(
        &refusal.redirect_uri,
        &params,
        refusal.fragment,
    ))
}

/// An error for this request, sent back to its application.
pub fn refuse(
    state: &AppState,
    request: &AuthorizationRequest,
    error: &'static str,
    description: &str,
) -> HttpResponse {
    self::error(
        state,
        &ErrorRedirect {
            redirect_uri: request.redirect_uri.clone(),
            fragment: request.response_type == ResponseType::Token,
            error,
            description: description.to_owned(),
            state: request.state.clone(),
        },
    )
}

/// Answers an authorized request: a new code, or (implicit) an access token.
pub async fn grant(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &User,
    auth_time: NaiveDateTime,
) -> Result<HttpResponse, super::AuthorizeError> {
    let now = state.now();
    let mut params: Vec<(&str, String)> = Vec::new();
    state
        .metrics
        .authorization_request(match request.response_type {
            ResponseType::Code => AuthorizationOutcome::Code,
            ResponseType::Token => AuthorizationOutcome::Token,
        });
    match request.response_type {
        ResponseType::Code => {
            let code = PlainSecret::generate("");
            let code_hash = code.hash().into_string();
            let request = request.clone();
            let user_id = user.id;
            let expires_at = now + state.settings.authorization_code_ttl;
            crate::db::run(&state.pool, move |conn| {
                code_model::create(
                    conn,
                    &NewAuthorizationCode {
                        code_hash: &code_hash,
                        client_id: request.client.id,
                        user_id,
                        redirect_uri: &request.redirect_uri,
                        redirect_uri_given: request.redirect_uri_given,
                        scope: &request.scope.to_string(),
                        code_challenge: request.challenge.as_ref().map(|c| c.value.as_str()),
                        code_challenge_method: request
                            .challenge
                            .as_ref()
                            .map(|c| c.method.as_str()),
                        auth_time,
                        created_at: now,
                        expires_at,
                    },
                    now - KEEP_EXPIRED_CODES,
                )
                .map_err(super::AuthorizeError::from)
            })
            .await?;
            params.push(("code", code.expose().to_owned()));
        }
        ResponseType::Token => {
            // RFC 9700 §2.1.2: implicit tokens come without a refresh token, in the fragment.
            let (token, expires_in) = grants::access_token(
                state,
                &request.client,
                user.id.to_string(),
                user,
                &request.scope,
                now,
            )?;
            params.push(("access_token", token));
            params.push(("token_type", "Bearer".to_owned()));
            params.push(("expires_in", expires_in.to_string()));
            if !request.scope.is_empty() {
                params.push(("scope", request.scope.to_string()));
            }
        }
    }
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    params.push(("iss", state.settings.issuer.clone()));
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(see_other(&with_params(
        &request.redirect_uri,
        &params,
        request.response_type == ResponseType::Token,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_join_an_existing_query_or_form_the_fragment() {
        assert_eq!(
            with_params("https://a.example/cb", &[("code", "x y")], false),
            "https://a.example/cb?code=x+y"
        );
        assert_eq!(
            with_params("https://a.example/cb?v=1", &[("code", "x")], false),
            "https://a.example/cb?v=1&code=x"
        );
        assert_eq!(
            with_params("https://a.example/cb", &[("access_token", "t")], true),
            "https://a.example/cb#access_token=t"
        );
    }
}
