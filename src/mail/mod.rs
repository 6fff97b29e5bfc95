//! Mail: notices to application owners, written to an outbox in the same transaction as
//! their cause and delivered by a worker.

pub mod health;
pub mod message;
pub mod notices;
pub mod transport;
pub mod worker;

pub use message::Addressing;
pub use transport::Mailer;
pub use worker::MailWorker;

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
