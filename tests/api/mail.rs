//! Notices to owners through the outbox: delivered to a real SMTP server, kept through an
//! outage and a restart, written as `.eml` files without SMTP, never carrying the secret
//! (SECURITY.md 13, 39).

use crate::both_backends;
use crate::helpers::*;
use crate::smtp_sink::{SmtpSink, free_port};
use chrono::TimeDelta;
use std::time::Duration;
use tessera::clients::{self, Actor, ClientError, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::client::Client;
use tessera::db::models::mail_outbox::{self, NewMail, OutboxMail};
use tessera::db::models::organization;
use tessera::domain::{ClientName, Grants, PlainSecret};

const OWNER_EMAIL: &str = "owner@example.com";
const ACTOR: &str = "Ada Admin";
const ADDED: &str = "OAuth application added to your account";

fn create_owner(app: &TestApp) -> i64 {
    app.create_user("owner", "the owner's long password", "backoffice", false)
        .id
}

fn spec(app: &TestApp, name: &str, grants: &[&str], owner: Option<i64>) -> ClientSpec {
    let org = organization::find_by_name(&mut app.conn(), "Default")
        .unwrap()
        .unwrap();
    ClientSpec::legacy(
        org.id,
        ClientName::parse(name).unwrap(),
        Grants::parse(grants.iter().copied()).unwrap(),
        owner,
        false,
    )
}

fn actor() -> Actor<'static> {
    Actor {
        user_id: None,
        name: ACTOR,
        ip: None,
    }
}

/// Registers an application the way the back-office does: commit, then wake the worker.
fn register(app: &TestApp, name: &str, owner: i64) -> (Client, PlainSecret) {
    let spec = spec(app, name, &["client_credentials"], Some(owner));
    let (created, secret) = clients::register(
        &mut app.conn(),
        &spec,
        true,
        None,
        &actor(),
        app.clock.now(),
    )
    .expect("the application is created");
    app.state.mail_queued();
    (created, secret.expect("a service account has a secret"))
}

fn outbox(app: &TestApp) -> Vec<OutboxMail> {
    let mut rows = mail_outbox::list_recent(&mut app.conn(), None, 100).unwrap();
    rows.reverse();
    rows
}

/// Polls the outbox, up to 15 seconds, until `done` holds; the worker runs meanwhile.
async fn wait_until(
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

fn all_sent(rows: &[OutboxMail]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.status == "sent")
}

fn waiting_after_error(rows: &[OutboxMail]) -> bool {
    rows.len() == 1 && rows[0].status == "pending" && rows[0].last_error.is_some()
}

/// A message cut into its headers and body, as much of RFC 5322 and 2045 as the tests need.
struct Mime {
    headers: Vec<(String, String)>,
    body: String,
}

impl Mime {
    fn parse(raw: &str) -> Self {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw
            .split_once("\n\n")
            .expect("headers end with a blank line");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("a folded line follows a header");
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                let (name, value) = line.split_once(':').expect("a header line");
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    fn parts(&self) -> Vec<Mime> {
        let content_type = self.header("content-type");
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .expect("a multipart boundary")
            .split(';')
            .next()
            .unwrap()
            .trim_matches('"');
        let delimiter = format!("--{boundary}");
        self.body
            .split(&delimiter)
            .skip(1)
            .take_while(|part| !part.starts_with("--"))
            .map(|part| Mime::parse(part.trim_start_matches('\n')))
            .collect()
    }

    fn text(&self) -> String {
        let encoding = self
            .headers
            .iter()
            .find(|(n, _)| n == "content-transfer-encoding")
            .map_or("7bit", |(_, v)| v.as_str())
            .to_ascii_lowercase();
        match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(&self.body),
            "base64" => {
                use base64::Engine;
                let compact: String = self.body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap();
                String::from_utf8(bytes).unwrap()
            }
            _ => self.body.clone(),
        }
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The plain and HTML parts of a multipart/alternative notice, decoded.
fn text_and_html(message: &Mime) -> (String, String) {
    assert!(
        message
            .header("content-type")
            .starts_with("multipart/alternative"),
        "{}",
        message.header("content-type")
    );
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "a plain and an HTML part");
    let find = |kind: &str| {
        parts
            .iter()
            .find(|p| p.header("content-type").starts_with(kind))
            .unwrap_or_else(|| panic!("a {kind} part"))
            .text()
    };
    (find("text/plain"), find("text/html"))
}

both_backends! {
    async fn a_new_application_notifies_its_owner_through_smtp(backend: Backend) {
        let sink = SmtpSink::start();
        let app = TestApp::builder(backend)
            .setting("TESSERA_SMTP_URL", sink.url())
            .setting("TESSERA_MAIL_FROM", "Tessera <noreply@tessera.test>")
            .spawn()
            .await;
        let owner = create_owner(&app);
        let (client, secret) = register(&app, "Billing <Sync> & Co", owner);

        let received = sink.wait_for(1).await;
        assert_eq!(received[0].mail_from, "noreply@tessera.test");
        assert_eq!(received[0].rcpt_to, vec![OWNER_EMAIL.to_owned()]);
        let message = Mime::parse(&received[0].data);
        assert_eq!(message.header("subject"), ADDED);
        assert_eq!(message.header("from"), "Tessera <noreply@tessera.test>");
        assert_eq!(message.header("to"), OWNER_EMAIL);
        assert_eq!(message.header("mime-version"), "1.0");
        let date = chrono::DateTime::parse_from_rfc2822(message.header("date")).expect("an RFC 5322 date");
        let created = client.created_at.and_utc().timestamp();
        assert!((date.timestamp() - created).abs() <= 1, "dated when the change happened");

        let (text, html) = text_and_html(&message);
        for part in [&text, &html] {
            assert!(part.contains(&client.client_id), "the Client ID is named");
            assert!(part.contains("Default"), "the organization is named");
            assert!(part.contains(ACTOR), "who made the change is named");
            assert!(part.contains("contact your administrator"));
            assert!(part.contains(&client.created_at.format("%Y-%m-%d %H:%M UTC").to_string()));
        }
        assert!(text.contains("Billing <Sync> & Co"), "the plain part is not escaped");
        assert!(!html.contains("<Sync>"), "the HTML part escapes the name");
        assert!(html.contains("Billing &#60;Sync&#62; &#38; Co") || html.contains("Billing &lt;Sync&gt; &amp; Co"));
        assert!(!received[0].data.contains(secret.expose()), "the secret is never mailed");

        let rows = wait_until(&app, "sent", all_sent).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].attempts, 1);
        assert!(rows[0].sent_at.is_some());
        assert_eq!(message.header("message-id"), format!("<{}@tessera.test>", rows[0].message_id));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(sink.messages().len(), 1, "sent once, not again at the next poll");
    }

    async fn each_lifecycle_change_notifies_the_owner_and_no_notice_holds_the_secret(backend: Backend) {
        let sink = SmtpSink::start();
        let app = TestApp::builder(backend).setting("TESSERA_SMTP_URL", sink.url()).spawn().await;
        let owner = create_owner(&app);
        let (client, secret) = register(&app, "Reporting", owner);
        let now = app.clock.now();
        let mut conn = app.conn();
        clients::set_active(&mut conn, client.id, false, &actor(), now).unwrap();
        clients::set_active(&mut conn, client.id, true, &actor(), now).unwrap();
        clients::update(&mut conn, client.id, &spec(&app, "Reporting v2", &["client_credentials"], Some(owner)), &actor(), now).unwrap();
        clients::delete(&mut conn, client.id, &actor(), now).unwrap();
        let recreated = clients::register(&mut conn, &spec(&app, "Reporting", &["client_credentials"], Some(owner)), true, None, &actor(), now);
        assert!(recreated.is_ok(), "the name is free again after the delete");
        let again = clients::register(&mut conn, &spec(&app, "Reporting", &["client_credentials"], Some(owner)), true, None, &actor(), now);
        assert!(matches!(again, Err(ClientError::NameTaken)));
        clients::register(&mut conn, &spec(&app, "Ownerless", &["password"], None), true, None, &actor(), now).unwrap();
        drop(conn);
        app.state.mail_queued();

        let received = sink.wait_for(5).await;
        let subjects: Vec<String> = received.iter().map(|m| Mime::parse(&m.data).header("subject").to_owned()).collect();
        assert_eq!(subjects, [
            ADDED,
            "OAuth application on your account deactivated",
            "OAuth application on your account activated",
            "OAuth application removed from your account",
            ADDED,
        ], "an edit, a refused change and an application without owner send nothing");
        for message in &received {
            assert_eq!(message.rcpt_to, vec![OWNER_EMAIL.to_owned()]);
            assert!(!message.data.contains(secret.expose()), "no notice holds the secret");
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

    async fn an_smtp_outage_neither_fails_the_change_nor_loses_the_notice(backend: Backend) {
        let port = free_port();
        let app = TestApp::builder(backend)
            .setting("TESSERA_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
            .spawn()
            .await;
        let owner = create_owner(&app);
        let (client, _) = register(&app, "Warehouse", owner);
        assert!(tessera::db::models::client::get(&mut app.conn(), client.id).unwrap().is_some());

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

    async fn a_notice_left_pending_is_sent_after_a_restart(backend: Backend) {
        let port = free_port();
        let app = TestApp::builder(backend)
            .setting("TESSERA_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
            .spawn()
            .await;
        let owner = create_owner(&app);
        let (client, _) = register(&app, "Nightly export", owner);
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

    async fn without_smtp_each_notice_is_written_as_an_eml_file(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = create_owner(&app);
        let (client, secret) = register(&app, "Shop", owner);
        let rows = wait_until(&app, "sent", all_sent).await;

        let dir = app.dir.path().join("outbox");
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].extension().unwrap(), "eml");
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        assert!(raw.contains("\r\n"), "lines end in CRLF, as on the wire");
        assert!(!raw.contains(secret.expose()));
        let message = Mime::parse(&raw);
        assert_eq!(message.header("from"), "Tessera <tessera@localhost>");
        assert_eq!(message.header("to"), OWNER_EMAIL);
        assert_eq!(message.header("subject"), ADDED);
        assert_eq!(message.header("message-id"), format!("<{}@localhost>", rows[0].message_id));
        assert_eq!(message.header("auto-submitted"), "auto-generated");
        chrono::DateTime::parse_from_rfc2822(message.header("date")).expect("an RFC 5322 date");
        let (text, html) = text_and_html(&message);
        assert!(text.contains(&client.client_id));
        assert!(html.contains(&client.client_id));
    }

    async fn the_override_address_receives_every_notice(backend: Backend) {
        let sink = SmtpSink::start();
        let app = TestApp::builder(backend)
            .setting("TESSERA_SMTP_URL", sink.url())
            .setting("TESSERA_MAIL_NOTIFY_OVERRIDE", "Staging inbox <staging@example.org>")
            .spawn()
            .await;
        let owner = create_owner(&app);
        let (client, _) = register(&app, "Staging app", owner);
        clients::set_active(&mut app.conn(), client.id, false, &actor(), app.clock.now()).unwrap();
        app.state.mail_queued();

        let received = sink.wait_for(2).await;
        for message in &received {
            assert_eq!(message.rcpt_to, vec!["staging@example.org".to_owned()]);
            assert!(Mime::parse(&message.data).header("to").ends_with("<staging@example.org>"));
        }
        let rows = wait_until(&app, "sent", all_sent).await;
        assert!(rows.iter().all(|r| r.recipient == OWNER_EMAIL), "the row keeps whom the notice is about");

        app.signed_in_admin().await;
        let page = app.get("/admin/notifications").await.text().await.unwrap();
        assert!(page.contains("data-testid=\"override-notice\""));
        assert!(page.contains("staging@example.org"));
    }

    async fn the_notifications_page_lists_the_outbox_and_retries_a_failed_notice(backend: Backend) {
        let sink = SmtpSink::start();
        sink.reject_recipients(true);
        let app = TestApp::builder(backend).setting("TESSERA_SMTP_URL", sink.url()).spawn().await;
        let csrf = app.signed_in_admin().await;
        let owner = create_owner(&app);
        register(&app, "Payroll", owner);

        let rows = wait_until(&app, "failed", |r| r.len() == 1 && r[0].status == "failed").await;
        assert_eq!(rows[0].attempts, 1, "a permanent refusal is not retried on its own");
        let id = rows[0].id;
        let page = app.get("/admin/notifications").await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("aria-current=\"page\">Notifications</a>"));
        assert!(page.contains(ADDED) && page.contains(OWNER_EMAIL));
        assert!(page.contains("data-status=\"failed\""));
        assert!(page.contains("No such mailbox here"), "the last error is shown");
        assert!(page.contains(&format!("/admin/notifications/{id}/retry")));
        let sent_only = app.get("/admin/notifications?status=sent").await.text().await.unwrap();
        assert!(sent_only.contains("data-testid=\"notifications-empty\""));

        let forged = app.post_form(&format!("/admin/notifications/{id}/retry"), &[("csrf_token", "forged")]).await;
        assert_eq!(forged.status(), 403);
        assert_eq!(outbox(&app)[0].status, "failed");

        sink.reject_recipients(false);
        let retried = app.post_form(&format!("/admin/notifications/{id}/retry"), &[("csrf_token", &csrf)]).await;
        assert_eq!(retried.status(), 303);
        assert_eq!(location(&retried), "/admin/notifications");
        sink.wait_for(1).await;
        let rows = wait_until(&app, "sent", all_sent).await;
        assert_eq!(rows[0].attempts, 2);

        let page = app.get("/admin/notifications").await.text().await.unwrap();
        assert!(page.contains("will be sent again"), "the flash confirms the retry");
        assert!(page.contains("data-status=\"sent\""));
        assert!(!page.contains("data-testid=\"retry-now\""), "a sent notice has nothing to retry");
        let again = app.post_form(&format!("/admin/notifications/{id}/retry"), &[("csrf_token", &csrf)]).await;
        assert_eq!(again.status(), 303);
        let page = app.get("/admin/notifications").await.text().await.unwrap();
        assert!(page.contains("cannot be retried"));
        let missing = app.post_form("/admin/notifications/999999/retry", &[("csrf_token", &csrf)]).await;
        assert_eq!(missing.status(), 404);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(sink.messages().len(), 1, "a sent notice is not sent again");
        assert_eq!(app.get("/admin/notifications").await.status(), 200);
    }

    async fn a_notice_waiting_after_an_outage_can_be_retried_at_once(backend: Backend) {
        let port = free_port();
        let app = TestApp::builder(backend)
            .setting("TESSERA_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
            .spawn()
            .await;
        let csrf = app.signed_in_admin().await;
        let owner = create_owner(&app);
        register(&app, "Ledger", owner);
        let rows = wait_until(&app, "a failed attempt", waiting_after_error).await;
        let page = app.get("/admin/notifications").await.text().await.unwrap();
        assert!(page.contains("data-status=\"pending\"") && page.contains("data-testid=\"retry-now\""));

        let sink = SmtpSink::start_on(port);
        let retried = app.post_form(&format!("/admin/notifications/{}/retry", rows[0].id), &[("csrf_token", &csrf)]).await;
        assert_eq!(retried.status(), 303);
        sink.wait_for(1).await;
        wait_until(&app, "sent", all_sent).await;
    }

    async fn the_notifications_page_needs_a_signed_in_administrator(backend: Backend) {
        let app = spawn_app(backend).await;
        let page = app.get("/admin/notifications").await;
        assert_eq!(page.status(), 303);
        assert_eq!(location(&page), "/admin/login");
        let retry = app.post_form("/admin/notifications/1/retry", &[("csrf_token", "x")]).await;
        assert_eq!(retry.status(), 303);
    }

    async fn claims_are_exclusive_so_no_notice_is_sent_twice(backend: Backend) {
        let app = spawn_app(backend).await;
        // Due tomorrow: the app's own worker, on today's clock, leaves these rows alone.
        let due = app.clock.now() + TimeDelta::days(1);
        let lease = due + TimeDelta::minutes(5);
        for i in 0..12 {
            mail_outbox::enqueue(&mut app.conn(), &NewMail {
                recipient: OWNER_EMAIL,
                subject: "s",
                body_text: "t",
                body_html: "h",
                message_id: &format!("claim-{i}"),
            }, due).unwrap();
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
            workers.into_iter().flat_map(|w| w.join().unwrap()).map(|m| m.id).collect()
        });
        claimed.sort_unstable();
        let before = claimed.len();
        claimed.dedup();
        assert_eq!(before, 12, "every due row is claimed once");
        assert_eq!(claimed.len(), 12, "and by one claimer only");

        let mut conn = app.conn();
        assert!(mail_outbox::claim_due(&mut conn, due, lease, 20).unwrap().is_empty(), "leased rows are not due");
        let id = claimed[0];
        assert!(!mail_outbox::retry_now(&mut conn, id, due).unwrap(), "a row in flight cannot be retried");
        mail_outbox::mark_attempt_failed(&mut conn, id, "421 try later", Some(due + TimeDelta::minutes(1))).unwrap();
        assert!(mail_outbox::retry_now(&mut conn, id, due).unwrap(), "a row waiting after an error can");
        let again = mail_outbox::claim_due(&mut conn, due, lease, 20).unwrap();
        assert_eq!(again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(), [(id, 2)]);
        mail_outbox::mark_sent(&mut conn, id, due).unwrap();
        assert!(!mail_outbox::retry_now(&mut conn, id, due).unwrap(), "a sent row cannot");
        mail_outbox::mark_attempt_failed(&mut conn, claimed[1], "550 no", None).unwrap();
        let failed = mail_outbox::get(&mut conn, claimed[1]).unwrap().unwrap();
        assert_eq!(failed.status, "failed");
        assert!(failed.can_retry());
    }
}
