//! Discovery: the RFC 8414 metadata document and the JWK Set its `jwks_uri` points to.

use crate::domain::GrantType;
use crate::oauth::error::OAuthError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// Confidential clients authenticate to every endpoint the same two ways (RFC 6749 §2.3.1).
const AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];
/// Public clients send their client_id alone at the token and revocation endpoints.
const PUBLIC_AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

/// `token` (implicit) is answered only for applications an administrator enabled it for.
const RESPONSE_TYPES: [&str; 2] = ["code", "token"];

/// Public keys change only at a restart, and verifiers refetch on an unknown `kid`.
const JWKS_MAX_AGE: &str = "public, max-age=300";

/// GET /.well-known/oauth-authorization-server. `issuer` is the configured issuer exactly
/// (§3.3), and every grant is listed explicitly rather than left to defaults (§2).
/// `scopes_supported` comes from memory (`crate::readmodel`), refreshed on every change.
pub async fn document(state: web::Data<AppState>) -> Result<HttpResponse, OAuthError> {
    let issuer = &state.settings.issuer;
    let scopes = supported_scopes(&state).await?;
    let grants: Vec<&str> = GrantType::ISSUED
        .iter()
        .filter(|g| **g != GrantType::RefreshToken || state.settings.refresh_tokens)
        .map(|g| g.as_str())
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2-authorize"),
        "token_endpoint": format!("{issuer}/oauth2-token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{issuer}/oauth2-revoke"),
        "introspection_endpoint": format!("{issuer}/oauth2-introspect"),
        "grant_types_supported": grants,
        "response_types_supported": RESPONSE_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "token_endpoint_auth_methods_supported": PUBLIC_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": PUBLIC_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": *scopes,
    })))
}

/// `scopes_supported`: every scope of the catalog, sorted by name, from the copy in memory
/// (refreshed on every change); from the database only while that copy is not confirmed.
async fn supported_scopes(state: &AppState) -> Result<Vec<String>, OAuthError> {
    if let Some(scopes) = state.read_model.scopes() {
        return Ok(scopes.iter().cloned().collect());
    }
    Ok(crate::db::query(&state.pool, crate::db::models::scope::names).await?)
}

/// GET /.well-known/jwks.json: every key's public half, current and previous.
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, OAuthError> {
    let keys = state.signing_keys()?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, JWKS_MAX_AGE))
        .json(keys.jwks()))
}
