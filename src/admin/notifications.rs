//! System > Notifications: the mail outbox, so an administrator can see what was sent, what
//! waits and why, and send a failed notice again once the mail server is back.

use crate::access::Permission;
use crate::admin::auth::CheckedPost;
use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::db::models::mail_outbox::{self, MailStatus, OutboxMail};
use crate::error::AppError;
use crate::mail::RetryError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

const PAGE_URL: &str = "/admin/notifications";
/// The page shows the newest rows; older ones matter only through the counts.
const SHOWN: i64 = 200;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/{id}/retry", web::post().to(retry));
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

struct Row {
    id: i64,
    status: &'static str,
    recipient: String,
    subject: String,
    attempts: i32,
    last_error: Option<String>,
    created: String,
    sent: String,
    next_attempt: String,
    can_retry: bool,
}

impl Row {
    fn new(mail: OutboxMail) -> Self {
        let status = mail.status();
        Self {
            id: mail.id,
            status: status.as_str(),
            can_retry: mail.can_retry(),
            next_attempt: if status == MailStatus::Pending {
                show_time(mail.next_attempt_at)
            } else {
                String::new()
            },
            sent: mail.sent_at.map(show_time).unwrap_or_default(),
            created: show_time(mail.created_at),
            recipient: mail.recipient,
            subject: mail.subject,
            attempts: mail.attempts,
            last_error: mail.last_error,
        }
    }
}

struct StatusCount {
    status: &'static str,
    count: i64,
}

#[derive(Template)]
#[template(path = "admin/notifications.html")]
struct NotificationsPage {
    layout: Layout,
    rows: Vec<Row>,
    counts: Vec<StatusCount>,
    filter: &'static str,
    limited: bool,
    override_to: Option<String>,
}

fn show_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub async fn list(
    session: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ManageOutbox)?;
    let filter = query.status.as_deref().and_then(MailStatus::parse);
    let (mails, counts) = crate::db::query(&state.pool, move |conn| {
        let mails = mail_outbox::list_recent(conn, filter, SHOWN)?;
        let counts = MailStatus::ALL
            .into_iter()
            .map(|status| {
                Ok(StatusCount {
                    status: status.as_str(),
                    count: mail_outbox::count_with_status(conn, status)?,
                })
            })
            .collect::<diesel::QueryResult<Vec<_>>>()?;
        Ok((mails, counts))
    })
    .await?;
    render(&NotificationsPage {
        layout: Layout::signed_in(&session, &state, "Notifications", "notifications"),
        limited: mails.len() as i64 == SHOWN,
        rows: mails.into_iter().map(Row::new).collect(),
        counts,
        filter: filter.map_or("", MailStatus::as_str),
        override_to: state.settings.mail_notify_override.clone(),
    })
}

/// Makes the message due now and wakes the worker. Retrying a failed message is one more
/// attempt: if it fails again it is marked failed again.
pub async fn retry(post: CheckedPost, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    post.session
        .access
        .require_somewhere(Permission::ManageOutbox)?;
    let id = path.into_inner();
    let retried = match post
        .perform(move |conn, actor, now| crate::mail::retry(conn, id, actor, now))
        .await?
    {
        Ok(retried) => retried,
        Err(RetryError::NotFound) => return Err(AppError::NotFound),
        Err(RetryError::Database(e)) => return Err(e.into()),
    };
    let message = if retried {
        post.state.mail_queued();
        "The notification will be sent again now."
    } else {
        "This notification cannot be retried: it was sent, or is being sent right now."
    };
    post.flash(message.to_owned(), PAGE_URL).await
}
