//! The mail outbox: `.eml` files without SMTP, exclusive claims, and the notifications page
//! that lists it and retries a notice.

use crate::both_backends;
use crate::helpers::mail::*;
use crate::helpers::mime::{Mime, text_and_html};
use crate::helpers::*;
use crate::smtp_sink::SmtpSink;
use chrono::TimeDelta;
use std::time::Duration;
use tessera::clock::Clock;
use tessera::db::models::mail_outbox::{self, NewMail};

async fn without_smtp_each_notice_is_written_as_an_eml_file(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = mail_owner(&app);
    let client = app.application("Shop").owner(owner).register();
    let rows = wait_until(&app, "sent", all_sent).await;

    let dir = app.dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("\r\n"), "lines end in CRLF, as on the wire");
    assert!(!raw.contains(&client.secret));
    let message = Mime::parse(&raw);
    assert_eq!(message.header("from"), "Tessera <tessera@localhost>");
    assert_eq!(message.header("to"), OWNER_EMAIL);
    assert_eq!(message.header("subject"), ADDED);
    assert_eq!(
        message.header("message-id"),
        format!("<{}@localhost>", rows[0].message_id)
    );
    assert_eq!(message.header("auto-submitted"), "auto-generated");
    chrono::DateTime::parse_from_rfc2822(message.header("date")).expect("an RFC 5322 date");
    let (text, html) = text_and_html(&message);
    assert!(text.contains(&client.client_id));
    assert!(html.contains(&client.client_id));
}
both_backends!(without_smtp_each_notice_is_written_as_an_eml_file);

async fn the_notifications_page_lists_the_outbox_and_retries_a_failed_notice(backend: Backend) {
    let sink = SmtpSink::start();
    sink.reject_recipients(true);
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .spawn()
        .await;
    let csrf = app.signed_in_admin().await;
    let owner = mail_owner(&app);
    app.application("Payroll").owner(owner).register();

    let rows = wait_until(&app, "failed", |r| r.len() == 1 && r[0].status == "failed").await;
    assert_eq!(
        rows[0].attempts, 1,
        "a permanent refusal is not retried on its own"
    );
    let id = rows[0].id;
    let page = app.get(NOTIFICATIONS).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("aria-current=\"page\">Notifications</a>"));
    assert!(page.contains(ADDED) && page.contains(OWNER_EMAIL));
    assert!(page.contains("data-status=\"failed\""));
    assert!(
        page.contains("No such mailbox here"),
        "the last error is shown"
    );
    assert!(page.contains(&notification_retry(id)));
    let sent_only = app
        .get(&format!("{NOTIFICATIONS}?status=sent"))
        .await
        .text()
        .await
        .unwrap();
    assert!(sent_only.contains("data-testid=\"notifications-empty\""));

    let forged = app
        .post_form(&notification_retry(id), &[("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(outbox(&app)[0].status, "failed");

    sink.reject_recipients(false);
    let retried = app
        .post_form(&notification_retry(id), &[("csrf_token", &csrf)])
        .await;
    assert_redirects_to(&retried, NOTIFICATIONS);
    sink.wait_for(1).await;
    let rows = wait_until(&app, "sent", all_sent).await;
    assert_eq!(rows[0].attempts, 2);

    let page = app.get(NOTIFICATIONS).await.text().await.unwrap();
    assert!(
        page.contains("will be sent again"),
        "the flash confirms the retry"
    );
    assert!(page.contains("data-status=\"sent\""));
    assert!(
        !page.contains("data-testid=\"retry-now\""),
        "a sent notice has nothing to retry"
    );
    let again = app
        .post_form(&notification_retry(id), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(again.status(), 303);
    let page = app.get(NOTIFICATIONS).await.text().await.unwrap();
    assert!(page.contains("cannot be retried"));
    let missing = app
        .post_form(&notification_retry(999999), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(missing.status(), 404);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 1, "a sent notice is not sent again");
    assert_eq!(app.get(NOTIFICATIONS).await.status(), 200);
}
both_backends!(the_notifications_page_lists_the_outbox_and_retries_a_failed_notice);

async fn a_notice_waiting_after_an_outage_can_be_retried_at_once(backend: Backend) {
    let (app, port) = spawn_with_mail_server_down(backend).await;
    let csrf = app.signed_in_admin().await;
    let owner = mail_owner(&app);
    app.application("Ledger").owner(owner).register();
    let rows = wait_until(&app, "a failed attempt", waiting_after_error).await;
    let page = app.get(NOTIFICATIONS).await.text().await.unwrap();
    assert!(page.contains("data-status=\"pending\"") && page.contains("data-testid=\"retry-now\""));

    let sink = SmtpSink::start_on(port);
    let retried = app
        .post_form(&notification_retry(rows[0].id), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(retried.status(), 303);
    sink.wait_for(1).await;
    wait_until(&app, "sent", all_sent).await;
}
both_backends!(a_notice_waiting_after_an_outage_can_be_retried_at_once);

async fn the_notifications_page_needs_a_signed_in_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get(NOTIFICATIONS).await;
    assert_redirects_to(&page, "/admin/login");
    let retry = app
        .post_form(&notification_retry(1), &[("csrf_token", "x")])
        .await;
    assert_eq!(retry.status(), 303);
}
both_backends!(the_notifications_page_needs_a_signed_in_administrator);

async fn claims_are_exclusive_so_no_notice_is_sent_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    // Due tomorrow: the app's own worker, on today's clock, leaves these rows alone.
    let due = app.clock.now() + TimeDelta::days(1);
    let lease = due + TimeDelta::minutes(5);
    for i in 0..12 {
        mail_outbox::enqueue(
            &mut app.conn(),
            &NewMail {
                recipient: OWNER_EMAIL,
                subject: "s",
                body_text: "t",
                body_html: "h",
                message_id: &format!("claim-{i}"),
            },
            due,
        )
        .unwrap();
    }
    let pool = app.state.pool.clone();
    let mut claimed: Vec<i64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                scope.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    mail_outbox::claim_due(&mut conn, due, lease, 20).unwrap()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .map(|m| m.id)
            .collect()
    });
    claimed.sort_unstable();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(before, 12, "every due row is claimed once");
    assert_eq!(claimed.len(), 12, "and by one claimer only");

    let mut conn = app.conn();
    assert!(
        mail_outbox::claim_due(&mut conn, due, lease, 20)
            .unwrap()
            .is_empty(),
        "leased rows are not due"
    );
    let id = claimed[0];
    assert!(
        !mail_outbox::retry_now(&mut conn, id, due).unwrap(),
        "a row in flight cannot be retried"
    );
    mail_outbox::mark_attempt_failed(
        &mut conn,
        id,
        "421 try later",
        Some(due + TimeDelta::minutes(1)),
    )
    .unwrap();
    assert!(
        mail_outbox::retry_now(&mut conn, id, due).unwrap(),
        "a row waiting after an error can"
    );
    let again = mail_outbox::claim_due(&mut conn, due, lease, 20).unwrap();
    assert_eq!(
        again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        [(id, 2)]
    );
    mail_outbox::mark_sent(&mut conn, id, due).unwrap();
    assert!(
        !mail_outbox::retry_now(&mut conn, id, due).unwrap(),
        "a sent row cannot"
    );
    mail_outbox::mark_attempt_failed(&mut conn, claimed[1], "550 no", None).unwrap();
    let failed = mail_outbox::get(&mut conn, claimed[1]).unwrap().unwrap();
    assert_eq!(failed.status, "failed");
    assert!(failed.can_retry());
}
both_backends!(claims_are_exclusive_so_no_notice_is_sent_twice);
