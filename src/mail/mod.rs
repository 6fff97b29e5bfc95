//! Mail: messages composed elsewhere (the owners' notices live beside the changes they
//! report) from the templates and rules kept here, queued to an outbox in the same
//! transaction as their cause, and delivered by a worker.

pub mod health;
pub mod message;
pub mod rules;
pub mod templates;
pub mod transport;
pub mod worker;

pub use message::Addressing;
pub use transport::Mailer;
pub use worker::MailWorker;

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::mail_outbox::{self, NewMail};
use crate::domain::secret::random_hex;
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// A rendered message, ready for the outbox.
pub struct Outgoing<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

/// Queues a message in the caller's transaction: it is sent after the commit, or never if
/// the change rolls back.
pub fn queue(conn: &mut DbConn, mail: &Outgoing<'_>, now: NaiveDateTime) -> QueryResult<()> {
    mail_outbox::enqueue(
        conn,
        &NewMail {
            recipient: mail.recipient,
            subject: mail.subject,
            body_text: mail.body_text,
            body_html: mail.body_html,
            message_id: &random_hex(16),
        },
        now,
    )
    .map(drop)
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("There is no such notification.")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Makes a failed or waiting message due now: one more attempt, audited. `false` when it was
/// sent, or is being sent right now.
pub fn retry(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<bool, RetryError> {
    crate::db::transaction(conn, |conn| {
        let mail = mail_outbox::get(conn, id)?.ok_or(RetryError::NotFound)?;
        if !mail_outbox::retry_now(conn, id, now)? {
            return Ok(false);
        }
        let action = AuditAction::MailRetried;
        audit::record(conn, actor, action, Some(id), &mail.subject, now)?;
        Ok(true)
    })
}

/// A mail setting that stops the start, named like the others in `config`.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {reason}")]
pub struct MailSetupError {
    pub setting: &'static str,
    pub reason: String,
}

/// Why one attempt to deliver a message failed. The text goes to the outbox row and the
/// log, so it never holds the SMTP URL (which may carry a password).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("invalid recipient address: {0}")]
    Recipient(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("{0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the mail server did not finish within {0} seconds")]
    Timeout(u64),
    #[error("cannot write to the outbox folder: {0}")]
    Outbox(#[from] std::io::Error),
}

impl SendError {
    /// Retrying cannot help: the address or message is wrong, or the server refused for good
    /// (5xx). Such a row is marked failed at once; an administrator can retry it by hand.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Recipient(_) | Self::Build(_) => true,
            Self::Smtp(e) => e.is_permanent(),
            Self::Timeout(_) | Self::Outbox(_) => false,
        }
    }
}
