//! System > Emails: the notice templates administrators edit, and the rules that decide who
//! receives each notice. One file per job.

mod edit;
mod list;
mod rules;

use crate::domain::Locale;
use crate::error::AppError;
use crate::mail::templates::Event;
use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/emails/templates", web::get().to(list::show))
        .route(
            "/emails/templates/add-locale",
            web::get().to(list::add_locale),
        )
        .route(
            "/emails/templates/{event}/{locale}",
            web::get().to(edit::show),
        )
        .route(
            "/emails/templates/{event}/{locale}",
            web::post().to(edit::submit),
        )
        .route(
            "/emails/templates/{event}/{locale}/reset",
            web::post().to(edit::reset),
        )
        .route("/emails/rules", web::get().to(rules::show))
        .route("/emails/rules", web::post().to(rules::save));
}

pub const TEMPLATES_URL: &str = "/admin/emails/templates";

fn template_url(event: Event, locale: &Locale) -> String {
    format!("{TEMPLATES_URL}/{}/{}", event.as_str(), locale.as_str())
}

/// The event and locale a template address names; anything else is not a page.
fn parse_path(event: &str, locale: &str) -> Result<(Event, Locale), AppError> {
    let event = Event::parse(event).ok_or(AppError::NotFound)?;
    let locale = Locale::parse(locale).map_err(|_| AppError::NotFound)?;
    Ok((event, locale))
}
