//! Where messages go: an SMTP server, or `.eml` files in a folder so the embedded default
//! needs no mail server at all.

use crate::config::Settings;
use crate::db::models::mail_outbox::OutboxMail;
use crate::mail::{MailSetupError, SendError};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Each SMTP command must answer within this, so a hung server cannot stall the worker.
const SMTP_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// And a whole message (connect, greet, authenticate, send) within this.
pub const SMTP_MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

impl Mailer {
    /// `TESSERA_SMTP_URL` follows lettre's URL form: `smtp://host:port` is plain SMTP,
    /// `?tls=required` adds mandatory STARTTLS and `?tls=opportunistic` STARTTLS when
    /// offered, `smtps://` is implicit TLS; `user:password@` authenticates. TLS is rustls
    /// with the webpki roots. Without a URL, messages become files in `TESSERA_OUTBOX_DIR`.
    pub fn from_settings(settings: &Settings) -> Result<Self, MailSetupError> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailSetupError {
                        setting: "TESSERA_SMTP_URL",
                        reason: format!("expected smtp://host:port or smtps://host:port ({e})"),
                    })?
                    .timeout(Some(SMTP_COMMAND_TIMEOUT))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                let dir = settings.outbox_dir.clone();
                crate::files::create_private_dir_all(&dir).map_err(|e| MailSetupError {
                    setting: "TESSERA_OUTBOX_DIR",
                    reason: format!("cannot create {}: {e}", dir.display()),
                })?;
                Ok(Self::Outbox(dir))
            }
        }
    }

    /// Where mail goes, for the start-up log; never the SMTP URL, which may hold a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(_) => "the SMTP server of TESSERA_SMTP_URL".to_owned(),
            Self::Outbox(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, mail: &OutboxMail, message: &Message) -> Result<(), SendError> {
        let bytes = message.formatted();
        match self {
            Self::Smtp(transport) => {
                let sending = transport.send_raw(message.envelope(), &bytes);
                tokio::time::timeout(SMTP_MESSAGE_TIMEOUT, sending)
                    .await
                    .map_err(|_| SendError::Timeout(SMTP_MESSAGE_TIMEOUT.as_secs()))??;
                Ok(())
            }
            Self::Outbox(dir) => {
                let path = dir.join(file_name(mail));
                tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                    .await
                    .map_err(|e| SendError::Outbox(std::io::Error::other(e)))??;
                Ok(())
            }
        }
    }
}

/// Sorts by creation time, and is the same on every attempt, so a resend replaces the file
/// instead of adding a second copy.
fn file_name(mail: &OutboxMail) -> String {
    format!(
        "{}-{}.eml",
        mail.created_at.format("%Y%m%dT%H%M%S"),
        mail.message_id
    )
}

/// Written beside its final name and renamed, so a reader never sees half a message.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("eml.partial");
    crate::files::write_private(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(smtp_url: &str) -> Settings {
        let values = HashMap::from([("TESSERA_SMTP_URL".to_owned(), smtp_url.to_owned())]);
        Settings::from_values(&values).unwrap()
    }

    // The transport spawns its connection pool's housekeeping, so it needs a runtime.
    #[tokio::test]
    async fn plain_starttls_and_implicit_tls_urls_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.com:587?tls=required",
            "smtp://user:secret@mail.example.com?tls=opportunistic",
            "smtps://user:p%40ss@mail.example.com",
        ] {
            assert!(
                matches!(Mailer::from_settings(&settings(url)), Ok(Mailer::Smtp(_))),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn a_wrong_url_names_its_setting_and_not_its_password() {
        let error = Mailer::from_settings(&settings("ftp://user:hunter2@mail.example.com"))
            .err()
            .unwrap();
        assert_eq!(error.setting, "TESSERA_SMTP_URL");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
