//! The outbox as the mail tests watch it: its rows, oldest first, and waiting for the worker.

use super::{Backend, TestApp, free_port};
use std::time::Duration;
use tessera::db::models::mail_outbox::{self, OutboxMail};

/// The address of the user `mail_owner` creates.
pub const OWNER_EMAIL: &str = "owner@example.com";
/// The subject of the notice a new application sends its owner.
pub const ADDED: &str = "OAuth application added to your account";

/// The owner whose notices the mail tests read, at `OWNER_EMAIL`.
pub fn mail_owner(app: &TestApp) -> i64 {
    app.create_user("owner", super::OWNER_PASSWORD, "backoffice", false)
        .id
}

/// A Tessera whose mail server is down: nothing listens on the returned port until the test
/// starts an `SmtpSink` there.
pub async fn spawn_with_mail_server_down(backend: Backend) -> (TestApp, u16) {
    let port = free_port();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .spawn()
        .await;
    (app, port)
}

/// The outbox, oldest row first.
pub fn outbox(app: &TestApp) -> Vec<OutboxMail> {
    let mut rows = mail_outbox::list_recent(&mut app.conn(), None, 100).expect("query");
    rows.reverse();
    rows
}

/// Polls the outbox, up to 15 seconds, until `done` holds; the worker runs meanwhile.
pub async fn wait_until(
    app: &TestApp,
    what: &str,
    done: impl Fn(&[OutboxMail]) -> bool,
) -> Vec<OutboxMail> {
    for _ in 0..150 {
        let rows = outbox(app);
        if done(&rows) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("outbox never reached: {what}; it holds {:#?}", outbox(app));
}

pub fn all_sent(rows: &[OutboxMail]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.status == "sent")
}

pub fn waiting_after_error(rows: &[OutboxMail]) -> bool {
    rows.len() == 1 && rows[0].status == "pending" && rows[0].last_error.is_some()
}
