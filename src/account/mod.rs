//! The third face, for the people who use applications: the sign-in (SSO) and consent
//! dialogs of /oauth2-authorize, and /account, where a person sees and revokes the
//! applications they connected. Its own session cookie; never the back-office's.

pub mod authorize;
mod consent;
pub mod flow;
mod form_token;
mod home;
mod pages;
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
            .route("/sign-in", web::get().to(sign_in::form))
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

/// A dialog page whose form may end in a redirect to the application: browsers apply the
/// page's `form-action` to every redirect after the submission, so the redirect URI's
/// origin joins `'self'` there. Everything else stays as strict as on every other page.
fn render_dialog(page: &impl Template, redirect_uri: &str) -> Result<HttpResponse, AuthorizeError> {
    let mut form_action = "'self'".to_owned();
    if let Some(source) = csp_source(redirect_uri) {
        form_action.push(' ');
        form_action.push_str(&source);
    }
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'self'; object-src 'none'; base-uri 'none'; \
                 frame-ancestors 'none'; form-action {form_action}"
            ),
        ))
        .body(page.render()?))
}

/// The CSP source naming a redirect URI's origin (`https://app.example:8443`), or its
/// scheme for a private-use URI (`com.example.app:`); `None` for anything that could not
/// be written safely in the header.
fn csp_source(uri: &str) -> Option<String> {
    let source = match uri.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => format!("{}:", uri.split(':').next().unwrap_or_default()),
    };
    let safe = source.len() > 1
        && source
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+:/[]".contains(&b));
    safe.then_some(source)
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

#[cfg(test)]
mod tests {
    use super::csp_source;

    #[test]
    fn the_form_action_names_the_redirect_origin_only() {
        assert_eq!(
            csp_source("https://app.example:8443/cb?x=1").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            csp_source("com.example.app:/callback").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(csp_source("https://a.example;script-src/cb"), None);
    }
}
