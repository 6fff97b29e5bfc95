//! One template in one locale: edit its subject and bodies with a preview beside the form,
//! save (checked, audited, the old version kept), send a test to oneself, or reset it to
//! the shipped default.

use super::{TEMPLATES_URL, parse_path, template_url};
use crate::access::{Permission, Record};
use crate::admin::auth::CheckedPost;
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::{Layout, keep_refusals, render};
use crate::domain::Locale;
use crate::error::AppError;
use crate::mail::templates::{self, Event, NoticeContext, Origin, Texts, VARIABLES};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// How many replaced versions the page lists.
const HISTORY_SHOWN: i64 = 20;

struct Preview {
    subject: String,
    body_text: String,
    body_html: String,
}

struct HistoryRow {
    by: String,
    at: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "admin/emails/edit.html")]
struct EditPage {
    layout: Layout,
    action: String,
    event_label: &'static str,
    locale: String,
    origin: String,
    /// A saved version exists, so resetting changes something.
    saved: bool,
    values: Texts,
    errors: FieldErrors,
    preview: Option<Preview>,
    variables: &'static [(&'static str, &'static str)],
    history: Vec<HistoryRow>,
}

fn origin_note(origin: &Origin, locale: &Locale) -> String {
    match origin {
        Origin::Saved { by, at } => {
            format!("Saved by {by} on {}.", at.format("%Y-%m-%d %H:%M:%S UTC"))
        }
        Origin::English => format!(
            "There is no {} version yet: notices to readers of {} use the English one, shown \
             here to translate.",
            locale.as_str(),
            locale.as_str()
        ),
        Origin::Shipped => "The shipped default.".to_owned(),
    }
}

/// The texts rendered with sample values, or nothing when they do not render (the errors
/// beside the fields say why).
fn preview(texts: &Texts, event: Event, session: &SignedIn, state: &AppState) -> Option<Preview> {
    let sample = NoticeContext::sample(event, &session.user.username, state.now());
    templates::render(texts, &sample).ok().map(|r| Preview {
        subject: r.subject,
        body_text: r.body_text,
        body_html: r.body_html,
    })
}

async fn page(
    session: &SignedIn,
    state: &AppState,
    (event, locale): (Event, Locale),
    values: Option<Texts>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let lookup = locale.clone();
    let (current, origin, history) = crate::db::query(&state.pool, move |conn| {
        let (texts, origin) = templates::current(conn, event, &lookup)?;
        let history = templates::history(conn, event, &lookup, HISTORY_SHOWN)?;
        Ok((texts, origin, history))
    })
    .await?;
    let values = values.unwrap_or(current);
    let title = format!("{} ({})", event.label(), locale.as_str());
    render(&EditPage {
        layout: Layout::signed_in(session, state, title, "emails"),
        action: template_url(event, &locale),
        event_label: event.label(),
        saved: matches!(origin, Origin::Saved { .. }),
        origin: origin_note(&origin, &locale),
        locale: locale.as_str().to_owned(),
        preview: preview(&values, event, session, state),
        values,
        errors,
        variables: &VARIABLES,
        history: history
            .into_iter()
            .map(|v| HistoryRow {
                by: v.replaced_by,
                at: v.replaced_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                subject: v.subject,
            })
            .collect(),
    })
}

pub async fn show(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ViewCatalog)?;
    let (event, locale) = path.into_inner();
    let target = parse_path(&event, &locale)?;
    page(&session, &state, target, None, FieldErrors::default()).await
}

fn errors_of(error: templates::TemplateError) -> Result<FieldErrors, AppError> {
    match error {
        templates::TemplateError::Invalid(parts) => {
            let mut errors = FieldErrors::default();
            for part in parts {
                errors.add(part.part.field(), part.message);
            }
            Ok(errors)
        }
        templates::TemplateError::Database(e) => Err(e.into()),
    }
}

/// The form's three buttons: preview (changes nothing), save, and send a test.
pub async fn submit(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let (event, locale) = path.into_inner();
    let (event, locale) = parse_path(&event, &locale)?;
    let texts = Texts {
        subject: form.get("subject").to_owned(),
        body_text: form.get("body_text").to_owned(),
        body_html: form.get("body_html").to_owned(),
    };
    let (actor, now) = (session.actor(&req), state.now());
    let url = template_url(event, &locale);
    match form.get("action") {
        "save" => {
            let (saved_texts, saved_locale) = (texts.clone(), locale.clone());
            let result = crate::db::run(&state.pool, move |conn| {
                keep_refusals(templates::save(
                    conn,
                    event,
                    &saved_locale,
                    &saved_texts,
                    &actor,
                    now,
                ))
            })
            .await?;
            match result {
                Ok(()) => {
                    let message = format!(
                        "Saved the {} template ({}).",
                        event.label(),
                        locale.as_str()
                    );
                    flash_and_redirect(&state, &session, message, &url).await
                }
                Err(error) => {
                    let errors = errors_of(error)?;
                    page(&session, &state, (event, locale), Some(texts), errors).await
                }
            }
        }
        "send_test" => {
            let recipient = session.user.email.trim().to_owned();
            if recipient.is_empty() {
                let mut errors = FieldErrors::default();
                errors.add(
                    "send_test",
                    "Your account has no email address to send a test to.",
                );
                return page(&session, &state, (event, locale), Some(texts), errors).await;
            }
            let (sent_texts, to) = (texts.clone(), recipient.clone());
            let result = crate::db::run(&state.pool, move |conn| {
                keep_refusals(templates::send_test(
                    conn,
                    event,
                    &sent_texts,
                    &to,
                    &actor,
                    now,
                ))
            })
            .await?;
            match result {
                Ok(()) => {
                    state.mail_queued();
                    let message = format!("A test message is on its way to {recipient}.");
                    flash_and_redirect(&state, &session, message, &url).await
                }
                Err(error) => {
                    let errors = errors_of(error)?;
                    page(&session, &state, (event, locale), Some(texts), errors).await
                }
            }
        }
        _ => {
            let errors = match templates::check(&texts) {
                parts if parts.is_empty() => FieldErrors::default(),
                parts => errors_of(templates::TemplateError::Invalid(parts))?,
            };
            page(&session, &state, (event, locale), Some(texts), errors).await
        }
    }
}

/// Deletes the saved version, so the shipped default (or the English one) applies again.
pub async fn reset(
    post: CheckedPost,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    post.session
        .require(Permission::ManageCatalog, Record::Installation)?;
    let (event, locale) = path.into_inner();
    let (event, locale) = parse_path(&event, &locale)?;
    let target = locale.clone();
    let reset = post
        .perform(move |conn, actor, now| templates::reset(conn, event, &target, actor, now))
        .await?;
    let message = match reset {
        Ok(true) => format!(
            "The {} template ({}) is back to its default.",
            event.label(),
            locale.as_str()
        ),
        Ok(false) => "This template already was the default.".to_owned(),
        Err(refusal) => refusal.to_string(),
    };
    let location = if locale.is_english() {
        template_url(event, &locale)
    } else {
        TEMPLATES_URL.to_owned()
    };
    post.flash(message, &location).await
}
