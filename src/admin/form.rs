//! Validation messages shown beside their fields, with the typed values kept.

use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::{Refusal, keep_refusals};
use crate::audit::Actor;
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

/// The body of a form whose only field is its CSRF token (sign-out, activate, delete...).
#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf_token: String,
}

/// A signed-in user's POST of a form whose only field is its CSRF token (activate,
/// deactivate, delete, sign out...), with the token already checked: taking it as a
/// handler argument is the whole guard.
pub struct CheckedPost {
    req: HttpRequest,
    pub session: SignedIn,
    pub state: web::Data<AppState>,
}

impl FromRequest for CheckedPost {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts =
            <(SignedIn, web::Data<AppState>, web::Form<CsrfForm>)>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let (session, state, form) = parts.await?;
            session.verify_csrf(&form.csrf_token)?;
            Ok(Self {
                req,
                session,
                state,
            })
        })
    }
}

impl CheckedPost {
    /// Runs `change` with the signed-in user as its actor on the blocking pool. A refusal
    /// comes back for the page to show; a database failure is the error.
    pub async fn perform<T, E, F>(&self, change: F) -> Result<Result<T, E>, AppError>
    where
        F: FnOnce(&mut DbConn, &Actor, NaiveDateTime) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Refusal + Send + 'static,
    {
        let (actor, now) = (self.session.actor(&self.req), self.state.now());
        crate::db::run(&self.state.pool, move |conn| {
            keep_refusals(change(conn, &actor, now))
        })
        .await
    }

    /// Sets a one-time message and sends the browser on with 303.
    pub async fn flash(&self, message: String, location: &str) -> Result<HttpResponse, AppError> {
        flash_and_redirect(&self.state, &self.session, message, location).await
    }
}

#[derive(Default, Debug)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Every message of one field, in the order they were added.
    pub fn all(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the parsed value, or records why it was refused.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.add(field, invalid.0);
                None
            }
        }
    }
}

/// A form body read as ordered pairs: checkbox groups send one field several times, which
/// a plain struct cannot hold.
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_all_kept() {
        let form = FormData::parse(b"grants=password&name=A+b&grants=client_credentials&active=on");
        assert_eq!(form.all("grants"), ["password", "client_credentials"]);
        assert_eq!(form.get("name"), "A b");
        assert!(form.checked("active"));
        assert!(!form.checked("frontend"));
        assert_eq!(form.get("missing"), "");
    }
}
