//! Notices to owners delivered to a real SMTP server: their headers and parts, kept through
//! an outage and a restart, redirected to a staging address, never carrying the secret.

use crate::both_backends;
use crate::helpers::mail::*;
use crate::helpers::mime::{Mime, text_and_html};
use crate::helpers::*;
use crate::smtp_sink::SmtpSink;
use chrono::TimeDelta;
use std::time::Duration;
use tessera::clock::Clock;

async fn a_new_application_notifies_its_owner_through_smtp(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .setting("TESSERA_MAIL_FROM", "Tessera <noreply@tessera.test>")
        .spawn()
        .await;
    let owner = mail_owner(&app);
    let client = app
        .application("Billing <Sync> & Co")
        .owner(owner)
        .register();

    let received = sink.wait_for(1).await;
    assert_eq!(received[0].mail_from, "noreply@tessera.test");
    assert_eq!(received[0].rcpt_to, vec![OWNER_EMAIL.to_owned()]);
    let message = Mime::parse(&received[0].data);
    assert_eq!(message.header("subject"), ADDED);
    assert_eq!(message.header("from"), "Tessera <noreply@tessera.test>");
    assert_eq!(message.header("to"), OWNER_EMAIL);
    assert_eq!(message.header("mime-version"), "1.0");
    let date =
        chrono::DateTime::parse_from_rfc2822(message.header("date")).expect("an RFC 5322 date");
    let created = client.created_at.and_utc().timestamp();
    assert!(
        (date.timestamp() - created).abs() <= 1,
        "dated when the change happened"
    );

    let (text, html) = text_and_html(&message);
    for part in [&text, &html] {
        assert!(part.contains(&client.client_id), "the Client ID is named");
        assert!(
            part.contains(DEFAULT_ORGANIZATION),
            "the organization is named"
        );
        assert!(part.contains(ACTOR), "who made the change is named");
        assert!(part.contains("contact your administrator"));
        assert!(part.contains(&client.created_at.format("%Y-%m-%d %H:%M UTC").to_string()));
    }
    assert!(
        text.contains("Billing <Sync> & Co"),
        "the plain part is not escaped"
    );
    assert!(!html.contains("<Sync>"), "the HTML part escapes the name");
    assert!(
        html.contains("Billing &#60;Sync&#62; &#38; Co")
            || html.contains("Billing &lt;Sync&gt; &amp; Co")
    );
    assert!(
        !received[0].data.contains(&client.secret),
        "the secret is never mailed"
    );

    let rows = wait_until(&app, "sent", all_sent).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].sent_at.is_some());
    assert_eq!(
        message.header("message-id"),
        format!("<{}@tessera.test>", rows[0].message_id)
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "sent once, not again at the next poll"
    );
}
both_backends!(a_new_application_notifies_its_owner_through_smtp);

async fn each_lifecycle_change_notifies_the_owner_and_no_notice_holds_the_secret(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .spawn()
        .await;
    let owner = mail_owner(&app);
    let client = app.application("Reporting").owner(owner).register();
    app.deactivate_application(client.id);
    app.activate_application(client.id);
    app.application("Reporting v2")
        .owner(owner)
        .update(client.id);
    app.delete_application(client.id);
    let recreated = app.application("Reporting").owner(owner).try_register();
    assert!(recreated.is_ok(), "the name is free again after the delete");
    let again = app.application("Reporting").owner(owner).try_register();
    assert!(matches!(again, Err(ClientError::NameTaken)));
    app.application("Ownerless")
        .grants(&["password"])
        .without_owner()
        .register();

    let received = sink.wait_for(5).await;
    let subjects: Vec<String> = received
        .iter()
        .map(|m| Mime::parse(&m.data).header("subject").to_owned())
        .collect();
    assert_eq!(
        subjects,
        [
            ADDED,
            "OAuth application on your account deactivated",
            "OAuth application on your account activated",
            "OAuth application removed from your account",
            ADDED,
        ],
        "an edit, a refused change and an application without owner send nothing"
    );
    for message in &received {
        assert_eq!(message.rcpt_to, vec![OWNER_EMAIL.to_owned()]);
        assert!(
            !message.data.contains(&client.secret),
            "no notice holds the secret"
        );
        assert!(!message.data.contains("tsk_"), "nor any client secret");
    }
    let deleted = Mime::parse(&received[3].data);
    assert!(text_and_html(&deleted).0.contains(&client.client_id));
    let rows = wait_until(&app, "all sent", all_sent).await;
    assert_eq!(rows.len(), 5);
    for row in rows {
        assert!(!row.body_text.contains("tsk_") && !row.body_html.contains("tsk_"));
    }
}
both_backends!(each_lifecycle_change_notifies_the_owner_and_no_notice_holds_the_secret);

async fn an_smtp_outage_neither_fails_the_change_nor_loses_the_notice(backend: Backend) {
    let (app, port) = spawn_with_mail_server_down(backend).await;
    let owner = mail_owner(&app);
    let client = app.application("Warehouse").owner(owner).register();
    assert!(app.application_row(client.id).is_some());

    let rows = wait_until(&app, "a failed attempt", waiting_after_error).await;
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].next_attempt_at > app.clock.now(), "the retry waits");
    assert!(rows[0].next_attempt_at <= app.clock.now() + TimeDelta::seconds(30));
    let error = rows[0].last_error.clone().unwrap();
    assert!(error.to_lowercase().contains("connection"), "{error}");

    let sink = SmtpSink::start_on(port);
    app.clock.advance(TimeDelta::seconds(31));
    let received = sink.wait_for(1).await;
    assert_eq!(Mime::parse(&received[0].data).header("subject"), ADDED);
    let rows = wait_until(&app, "sent", all_sent).await;
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].last_error, None);
}
both_backends!(an_smtp_outage_neither_fails_the_change_nor_loses_the_notice);

async fn a_notice_left_pending_is_sent_after_a_restart(backend: Backend) {
    let (app, port) = spawn_with_mail_server_down(backend).await;
    let owner = mail_owner(&app);
    let client = app.application("Nightly export").owner(owner).register();
    wait_until(&app, "a failed attempt", waiting_after_error).await;

    let sink = SmtpSink::start_on(port);
    let app = app.restart().await;
    app.clock.advance(TimeDelta::minutes(10));
    let received = sink.wait_for(1).await;
    let (text, _) = text_and_html(&Mime::parse(&received[0].data));
    assert!(text.contains(&client.client_id));
    let rows = wait_until(&app, "sent", all_sent).await;
    assert_eq!(rows.len(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 1, "sent once");
}
both_backends!(a_notice_left_pending_is_sent_after_a_restart);

async fn the_override_address_receives_every_notice(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .setting(
            "TESSERA_MAIL_NOTIFY_OVERRIDE",
            "Staging inbox <staging@example.org>",
        )
        .spawn()
        .await;
    let owner = mail_owner(&app);
    let client = app.application("Staging app").owner(owner).register();
    app.deactivate_application(client.id);

    let received = sink.wait_for(2).await;
    for message in &received {
        assert_eq!(message.rcpt_to, vec!["staging@example.org".to_owned()]);
        assert!(
            Mime::parse(&message.data)
                .header("to")
                .ends_with("<staging@example.org>")
        );
    }
    let rows = wait_until(&app, "sent", all_sent).await;
    assert!(
        rows.iter().all(|r| r.recipient == OWNER_EMAIL),
        "the row keeps whom the notice is about"
    );

    app.signed_in_admin().await;
    let page = app.get(NOTIFICATIONS).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"override-notice\""));
    assert!(page.contains("staging@example.org"));
}
both_backends!(the_override_address_receives_every_notice);
