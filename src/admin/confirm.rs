//! The page that asks before a destructive action: a plain form, so it works without script.

use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "admin/confirm.html")]
struct ConfirmPage<'a> {
    layout: Layout,
    heading: String,
    message: &'a str,
    action: String,
    button: &'a str,
    cancel_url: String,
}

/// What to ask, and where the confirming POST goes.
pub struct Question<'a> {
    pub section: &'static str,
    /// "Deactivate", "Delete"...: the button, and with `subject` the title.
    pub verb: &'a str,
    pub subject: &'a str,
    pub message: &'a str,
    pub action: String,
    pub cancel_url: String,
}

pub fn ask(
    session: &SignedIn,
    state: &AppState,
    q: Question<'_>,
) -> Result<HttpResponse, AppError> {
    render(&ConfirmPage {
        layout: Layout::signed_in(
            session,
            state,
            format!("{} {}", q.verb, q.subject),
            q.section,
        ),
        heading: format!("{} {}?", q.verb, q.subject),
        message: q.message,
        action: q.action,
        button: q.verb,
        cancel_url: q.cancel_url,
    })
}
