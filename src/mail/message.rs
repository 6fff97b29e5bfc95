//! Turns an outbox row into a MIME message. This happens at send time, not when the row is
//! queued, so the sender and the recipient override come from the running configuration:
//! switching a staging copy of production to an override address also catches the rows
//! that were still waiting.

use crate::config::Settings;
use crate::db::models::mail_outbox::OutboxMail;
use crate::mail::{MailSetupError, SendError};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use std::time::SystemTime;

/// RFC 3834: tells vacation responders and mailing lists not to answer a notice.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

/// Who notices come from, and where all of them go when the override is set.
#[derive(Debug, Clone)]
pub struct Addressing {
    from: Mailbox,
    override_to: Option<Mailbox>,
}

impl Addressing {
    pub fn from_settings(settings: &Settings) -> Result<Self, MailSetupError> {
        let from = settings.mail_from.parse().map_err(|e| MailSetupError {
            setting: "TESSERA_MAIL_FROM",
            reason: format!("not a mail address: {e}"),
        })?;
        let override_to = settings
            .mail_notify_override
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| MailSetupError {
                setting: "TESSERA_MAIL_NOTIFY_OVERRIDE",
                reason: format!("not a mail address: {e}"),
            })?;
        Ok(Self { from, override_to })
    }

    /// The address every notice goes to instead of its owner, when set.
    pub fn override_to(&self) -> Option<&Mailbox> {
        self.override_to.as_ref()
    }

    /// The full `Message-ID` of a row: its stored unique part at the sender's domain, the
    /// same on every attempt.
    pub fn message_id(&self, mail: &OutboxMail) -> String {
        format!("<{}@{}>", mail.message_id, self.from.email.domain())
    }

    /// The message as sent: plain text and HTML alternatives, dated when the change
    /// happened, so a retry is the same message as the first attempt.
    pub fn compose(&self, mail: &OutboxMail) -> Result<Message, SendError> {
        let to = match &self.override_to {
            Some(to) => to.clone(),
            None => Mailbox::new(None, mail.recipient.parse()?),
        };
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .date(SystemTime::from(mail.created_at.and_utc()))
            .message_id(Some(self.message_id(mail)))
            .raw_header(HeaderValue::new(
                AUTO_SUBMITTED,
                "auto-generated".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                mail.body_text.clone(),
                mail.body_html.clone(),
            ))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_bad_override_address_stops_the_start_and_names_its_setting() {
        let values = HashMap::from([(
            "TESSERA_MAIL_NOTIFY_OVERRIDE".to_owned(),
            "not an address".to_owned(),
        )]);
        let error =
            Addressing::from_settings(&Settings::from_values(&values).unwrap()).unwrap_err();
        assert_eq!(error.setting, "TESSERA_MAIL_NOTIFY_OVERRIDE");
    }
}
