//! System > Emails > Templates: every notice event, the locales it has a version in, and a
//! way to add one.

use super::template_url;
use crate::access::{Permission, Record};
use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render, see_other};
use crate::db::models::notice_template;
use crate::domain::Locale;
use crate::error::AppError;
use crate::mail::templates::Event;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

struct LocaleLink {
    locale: String,
    url: String,
    /// A saved version rather than the shipped (or English) one.
    saved: bool,
}

struct Row {
    event: &'static str,
    label: &'static str,
    locales: Vec<LocaleLink>,
}

#[derive(Template)]
#[template(path = "admin/emails/templates.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    error: Option<String>,
}

async fn page(
    session: &SignedIn,
    state: &AppState,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let saved = crate::db::query(&state.pool, notice_template::list).await?;
    let rows = Event::ALL
        .into_iter()
        .map(|event| {
            let mut locales = vec![LocaleLink {
                locale: Locale::ENGLISH.to_owned(),
                url: template_url(event, &Locale::english()),
                saved: false,
            }];
            for template in saved.iter().filter(|t| t.event == event.as_str()) {
                let Ok(locale) = Locale::parse(&template.locale) else {
                    continue;
                };
                match locales.iter_mut().find(|l| l.locale == locale.as_str()) {
                    Some(english) => english.saved = true,
                    None => locales.push(LocaleLink {
                        url: template_url(event, &locale),
                        locale: locale.as_str().to_owned(),
                        saved: true,
                    }),
                }
            }
            Row {
                event: event.as_str(),
                label: event.label(),
                locales,
            }
        })
        .collect();
    render(&ListPage {
        layout: Layout::signed_in(session, state, "Email templates", "emails"),
        rows,
        error,
    })
}

pub async fn show(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ViewCatalog)?;
    page(&session, &state, None).await
}

#[derive(Deserialize)]
pub struct AddLocale {
    event: String,
    locale: String,
}

/// Opens the editor of `event` in a new locale, filled with the English text to translate.
pub async fn add_locale(
    session: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<AddLocale>,
) -> Result<HttpResponse, AppError> {
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let event = Event::parse(&query.event).ok_or(AppError::NotFound)?;
    match Locale::parse(&query.locale) {
        Ok(locale) => Ok(see_other(&template_url(event, &locale))),
        Err(invalid) => page(&session, &state, Some(invalid.0)).await,
    }
}
