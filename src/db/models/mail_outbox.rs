//! The transactional outbox: a notice is a row written in the same transaction as the change
//! that causes it, so a committed change always has its mail and a rolled-back one never
//! does. The worker sends the rows afterwards.
//!
//! A row being sent is claimed by moving `next_attempt_at` past a lease with a conditional
//! update: whoever's update matched owns the attempt, so two workers (in one process or
//! several over one database) never send the same row at once. If the process dies mid-send,
//! the lease runs out and the row is tried again.

use crate::db::DbConn;
use crate::db::schema::mail_outbox;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    Pending,
    Sent,
    Failed,
}

impl MailStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Sent, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxMail {
    pub id: i64,
    /// The owner the notice is for; `TESSERA_MAIL_NOTIFY_OVERRIDE` redirects it at send time.
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// The unique left part of the `Message-ID`; the domain of the sender is added when the
    /// message is sent, so every attempt carries the same id and a duplicate can be spotted.
    pub message_id: String,
    pub status: String,
    /// Attempts started, the one in flight included.
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    /// Why the last attempt failed; cleared when an attempt starts.
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl OutboxMail {
    pub fn status(&self) -> MailStatus {
        MailStatus::parse(&self.status).unwrap_or(MailStatus::Pending)
    }

    /// Failed rows, and pending rows waiting out a backoff after an error. A row in flight
    /// has no error (it was cleared by the claim), so it is never offered twice.
    pub fn can_retry(&self) -> bool {
        match self.status() {
            MailStatus::Failed => true,
            MailStatus::Pending => self.last_error.is_some(),
            MailStatus::Sent => false,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = mail_outbox)]
struct NewRow<'a> {
    recipient: &'a str,
    subject: &'a str,
    body_text: &'a str,
    body_html: &'a str,
    message_id: &'a str,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// A rendered notice, ready to be queued.
pub struct NewMail<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub message_id: &'a str,
}

/// Queues a message, due at once. Call it inside the transaction of the change it reports.
pub fn enqueue(conn: &mut DbConn, mail: &NewMail<'_>, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(mail_outbox::table)
        .values(&NewRow {
            recipient: mail.recipient,
            subject: mail.subject,
            body_text: mail.body_text,
            body_html: mail.body_html,
            message_id: mail.message_id,
            status: MailStatus::Pending.as_str(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .execute(conn)
}

/// Claims up to `limit` due rows until `lease_until`, counting an attempt on each. A row
/// another worker claimed first is skipped: its update matched, this one does not.
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxMail>> {
    let due: Vec<i64> = mail_outbox::table
        .filter(mail_outbox::status.eq(MailStatus::Pending.as_str()))
        .filter(mail_outbox::next_attempt_at.le(now))
        .order((mail_outbox::next_attempt_at.asc(), mail_outbox::id.asc()))
        .limit(limit)
        .select(mail_outbox::id)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(due.len());
    for id in due {
        let won = diesel::update(
            mail_outbox::table
                .find(id)
                .filter(mail_outbox::status.eq(MailStatus::Pending.as_str()))
                .filter(mail_outbox::next_attempt_at.le(now)),
        )
        .set((
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::next_attempt_at.eq(lease_until),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
        if won == 1
            && let Some(row) = get(conn, id)?
        {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// When the longest-due pending row came due, if any row is due at `now`.
pub fn oldest_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    mail_outbox::table
        .filter(mail_outbox::status.eq(MailStatus::Pending.as_str()))
        .filter(mail_outbox::next_attempt_at.le(now))
        .select(diesel::dsl::min(mail_outbox::next_attempt_at))
        .first(conn)
}

pub fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        mail_outbox::table
            .find(id)
            .filter(mail_outbox::status.eq(MailStatus::Pending.as_str())),
    )
    .set((
        mail_outbox::status.eq(MailStatus::Sent.as_str()),
        mail_outbox::sent_at.eq(now),
    ))
    .execute(conn)
}

/// Records a failed attempt: the row waits until `retry_at`, or, with `None`, is given up
/// on and marked failed until someone retries it by hand.
pub fn mark_attempt_failed(
    conn: &mut DbConn,
    id: i64,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    let row = mail_outbox::table
        .find(id)
        .filter(mail_outbox::status.eq(MailStatus::Pending.as_str()));
    match retry_at {
        Some(at) => diesel::update(row)
            .set((
                mail_outbox::last_error.eq(error),
                mail_outbox::next_attempt_at.eq(at),
            ))
            .execute(conn),
        None => diesel::update(row)
            .set((
                mail_outbox::last_error.eq(error),
                mail_outbox::status.eq(MailStatus::Failed.as_str()),
            ))
            .execute(conn),
    }
}

/// Makes a failed row, or a pending one waiting after an error, due now. Returns whether
/// the row could be retried; one that was sent or is in flight cannot.
pub fn retry_now(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        mail_outbox::table.find(id).filter(
            mail_outbox::status
                .eq(MailStatus::Failed.as_str())
                .or(mail_outbox::status
                    .eq(MailStatus::Pending.as_str())
                    .and(mail_outbox::last_error.is_not_null())),
        ),
    )
    .set((
        mail_outbox::status.eq(MailStatus::Pending.as_str()),
        mail_outbox::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<OutboxMail>> {
    mail_outbox::table
        .find(id)
        .select(OutboxMail::as_select())
        .first(conn)
        .optional()
}

/// The newest rows first, optionally of one status.
pub fn list_recent(
    conn: &mut DbConn,
    status: Option<MailStatus>,
    limit: i64,
) -> QueryResult<Vec<OutboxMail>> {
    let mut query = mail_outbox::table
        .order((mail_outbox::created_at.desc(), mail_outbox::id.desc()))
        .limit(limit)
        .select(OutboxMail::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(mail_outbox::status.eq(status.as_str()));
    }
    query.load(conn)
}

pub fn count_with_status(conn: &mut DbConn, status: MailStatus) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::status.eq(status.as_str()))
        .count()
        .get_result(conn)
}

/// Rows waiting to be sent (first attempt or a retry) and when the oldest was queued.
pub fn waiting(conn: &mut DbConn) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let pending = mail_outbox::table.filter(mail_outbox::status.eq(MailStatus::Pending.as_str()));
    let count = pending.count().get_result(conn)?;
    let oldest = pending
        .select(diesel::dsl::min(mail_outbox::created_at))
        .first(conn)?;
    Ok((count, oldest))
}
