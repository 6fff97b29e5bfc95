//! Notices that administrators shape: templates edited in System › Emails reach the real
//! SMTP server, rules choose the recipients, the reader's locale picks the variant, and no
//! template can reach a secret (ASVS 6.5.2, RFC 5322 §2.2 for one-line subjects).

use crate::both_backends;
use crate::helpers::*;
use crate::smtp_sink::SmtpSink;
use std::time::Duration;
use tessera::access::Role;
use tessera::audit::Actor;
use tessera::clients::{self, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::client::Client;
use tessera::db::models::mail_outbox::{self, OutboxMail};
use tessera::db::models::{organization, user};
use tessera::domain::{ClientName, Grants, PlainSecret};

const OWNER_EMAIL: &str = "owner@example.com";
const TEMPLATE: &str = "/admin/emails/templates/application_deactivated";

/// A server whose mail goes to a real SMTP sink, with an administrator signed in; returns
/// the CSRF token of the session.
async fn app_with_sink(backend: Backend) -> (TestApp, SmtpSink, String) {
    let sink = SmtpSink::start();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .spawn()
        .await;
    let csrf = app.signed_in_admin().await;
    (app, sink, csrf)
}

/// The owner of the applications, reading notices in `locale`.
fn create_owner(app: &TestApp, locale: &str) -> i64 {
    let owner = app.create_user("owner", "the owner's long password", "backoffice", false);
    user::set_locale(&mut app.conn(), owner.id, locale).expect("set the locale");
    owner.id
}

fn register(app: &TestApp, owner: i64) -> (Client, PlainSecret) {
    let org = organization::find_by_name(&mut app.conn(), "Default")
        .expect("query")
        .expect("the default organization");
    let spec = ClientSpec::legacy(
        org.id,
        ClientName::parse("Billing sync").expect("a name"),
        Grants::parse(["client_credentials"]).expect("grants"),
        Some(owner),
        false,
    );
    let created = clients::register(
        &mut app.conn(),
        &spec,
        None,
        &Actor::CommandLine,
        app.clock.now(),
    )
    .expect("the application is created");
    app.state.mail_queued();
    (
        created.0,
        created.1.expect("a confidential application has a secret"),
    )
}

/// Deactivates the application as the command line would, and wakes the mail worker.
fn deactivate(app: &TestApp, client: &Client) {
    clients::deactivate(
        &mut app.conn(),
        client.id,
        &Actor::CommandLine,
        app.clock.now(),
    )
    .expect("deactivated");
    app.state.mail_queued();
}

fn outbox(app: &TestApp) -> Vec<OutboxMail> {
    let mut rows = mail_outbox::list_recent(&mut app.conn(), None, 100).expect("outbox");
    rows.reverse();
    rows
}

/// The Subject header of a message as the SMTP server received it (ASCII subjects only).
fn subject(data: &str) -> String {
    data.lines()
        .find_map(|line| line.strip_prefix("Subject: "))
        .expect("a Subject header")
        .trim()
        .to_owned()
}

/// Submits the template editor's form with `action` (`save`, `preview` or `send_test`), as
/// an administrator does.
async fn submit(
    app: &TestApp,
    csrf: &str,
    path: &str,
    texts: (&str, &str, &str),
    action: &str,
) -> reqwest::Response {
    app.post_form(
        path,
        &[
            ("csrf_token", csrf),
            ("subject", texts.0),
            ("body_text", texts.1),
            ("body_html", texts.2),
            ("action", action),
        ],
    )
    .await
}

/// Saves a template through the form.
async fn save(
    app: &TestApp,
    csrf: &str,
    path: &str,
    texts: (&str, &str, &str),
) -> reqwest::Response {
    submit(app, csrf, path, texts, "save").await
}

const RULES: &str = "/admin/emails/rules";

/// Saves the notification rules with the boxes and fields `ticked` (any event not named is
/// off), as an administrator does.
async fn save_rules(app: &TestApp, csrf: &str, ticked: &[(&str, &str)]) {
    let mut form = vec![("csrf_token", csrf)];
    form.extend_from_slice(ticked);
    let response = app.post_form(RULES, &form).await;
    assert_eq!(response.status(), 303, "the rules are saved");
}

/// With a rule sending "application added" to the owner and to security@example.com, an
/// owner reading English registers an application.
async fn register_under_owner_and_fixed_address_rule(app: &TestApp, csrf: &str) {
    let owner = create_owner(app, "en");
    save_rules(
        app,
        csrf,
        &[
            ("application_added.enabled", "on"),
            ("application_added.owner", "on"),
            ("application_added.recipients", "security@example.com"),
        ],
    )
    .await;
    register(app, owner);
}

/// Waits until the mail worker has handled every queued row.
async fn all_handled(app: &TestApp) -> Vec<OutboxMail> {
    for _ in 0..150 {
        let rows = outbox(app);
        if rows.iter().all(|r| r.status != "pending") {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox never emptied: {:#?}", outbox(app));
}

async fn an_edited_subject_reaches_the_owner_over_smtp_rfc_5321(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let owner = create_owner(&app, "en");
    let (client, _) = register(&app, owner);
    sink.wait_for(1).await;

    let saved = save(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        (
            "{{ application }} was switched off",
            "Hi {{ owner_name }}, {{ changed_by }} switched {{ client_id }} off.",
            "<p>{{ application }}</p>",
        ),
    )
    .await;
    assert_eq!(saved.status(), 303, "a valid template is saved");
    deactivate(&app, &client);

    let received = sink.wait_for(2).await;
    assert_eq!(received[1].rcpt_to, [OWNER_EMAIL]);
    assert_eq!(subject(&received[1].data), "Billing sync was switched off");
    let row = outbox(&app).pop().expect("the notice");
    assert_eq!(
        row.body_text,
        format!("Hi owner, command line switched {} off.", client.client_id)
    );
    let history = tessera::mail::templates::history(
        &mut app.conn(),
        tessera::mail::templates::Event::ApplicationDeactivated,
        &tessera::domain::Locale::english(),
        10,
    )
    .expect("history");
    assert_eq!(history.len(), 1, "the replaced version is kept");
    assert_eq!(
        history[0].subject,
        "OAuth application on your account deactivated"
    );
    assert_eq!(history[0].replaced_by, ADMIN_USERNAME);
}
both_backends!(an_edited_subject_reaches_the_owner_over_smtp_rfc_5321);

async fn a_rule_with_a_fixed_address_sends_to_the_owner_and_to_it(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    register_under_owner_and_fixed_address_rule(&app, &csrf).await;
    app.state.mail_queued();

    let received = sink.wait_for(2).await;
    let mut recipients: Vec<&str> = received.iter().map(|m| m.rcpt_to[0].as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(recipients, [OWNER_EMAIL, "security@example.com"]);
}
both_backends!(a_rule_with_a_fixed_address_sends_to_the_owner_and_to_it);

async fn a_disabled_rule_sends_nothing(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let owner = create_owner(&app, "en");
    // Every box left unticked: every event is off.
    save_rules(&app, &csrf, &[]).await;
    let (client, _) = register(&app, owner);
    deactivate(&app, &client);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(outbox(&app).is_empty(), "nothing was queued");
    assert!(sink.messages().is_empty(), "nothing was sent");
}
both_backends!(a_disabled_rule_sends_nothing);

async fn a_german_reader_gets_the_german_variant_and_an_italian_one_the_english(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let page = app
        .get("/admin/emails/templates/add-locale?event=application_deactivated&locale=DE")
        .await;
    assert_eq!(
        location(&page),
        format!("{TEMPLATE}/de"),
        "a language is added from the list"
    );
    let saved = save(
        &app,
        &csrf,
        &format!("{TEMPLATE}/de"),
        (
            "Anwendung {{ application }} deaktiviert",
            "Hallo {{ owner_name }}",
            "<p>Hallo {{ owner_name }}</p>",
        ),
    )
    .await;
    assert_eq!(saved.status(), 303);
    let owner = create_owner(&app, "de");
    let (client, _) = register(&app, owner);
    deactivate(&app, &client);
    let received = sink.wait_for(2).await;
    let subjects: Vec<String> = received.iter().map(|m| subject(&m.data)).collect();
    assert!(
        subjects.contains(&"Anwendung Billing sync deaktiviert".to_owned()),
        "the German reader got the German version: {subjects:?}"
    );

    user::set_locale(&mut app.conn(), owner, "it").expect("set the locale");
    clients::activate(
        &mut app.conn(),
        client.id,
        &Actor::CommandLine,
        app.clock.now(),
    )
    .expect("activated");
    deactivate(&app, &client);
    let received = sink.wait_for(4).await;
    let subjects: Vec<String> = received.iter().map(|m| subject(&m.data)).collect();
    assert!(
        subjects.contains(&"OAuth application on your account deactivated".to_owned()),
        "the Italian reader got the English version: {subjects:?}"
    );
}
both_backends!(a_german_reader_gets_the_german_variant_and_an_italian_one_the_english);

async fn no_template_can_render_a_secret_or_a_hash_asvs_6_5_2(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let owner = create_owner(&app, "en");
    let (client, secret) = register(&app, owner);
    sink.wait_for(1).await;

    let names = [
        "secret",
        "client_secret",
        "secret_hash",
        "hash",
        "password",
        "password_hash",
        "token",
        "refresh_token",
        "client",
        "owner",
        "user",
        "self",
        "env",
        "config",
        "settings",
        "state",
        "request",
        "__builtins__",
        "globals",
        "context",
    ];
    for name in names {
        let refused = save(
            &app,
            &csrf,
            &format!("{TEMPLATE}/en"),
            ("Subject", &format!("{{{{ {name} }}}}"), "<p>x</p>"),
        )
        .await;
        assert_eq!(refused.status(), 200, "{name} is refused, not saved");
        let page = refused.text().await.expect("body");
        assert!(
            page.contains("data-testid=\"error-body_text\""),
            "{name}: {page}"
        );
    }
    let attributes = [
        "secret",
        "secret_hash",
        "hash",
        "password_hash",
        "__class__",
        "__dict__",
        "owner",
        "client",
        "items",
        "keys",
        "values",
    ];
    for attribute in attributes {
        let refused = save(
            &app,
            &csrf,
            &format!("{TEMPLATE}/en"),
            (
                "Subject",
                &format!("{{{{ application.{attribute} }}}}"),
                "<p>x</p>",
            ),
        )
        .await;
        assert_eq!(refused.status(), 200, "application.{attribute} is refused");
        let page = refused.text().await.expect("body");
        assert!(
            page.contains("data-testid=\"error-body_text\""),
            "{attribute}: {page}"
        );
    }
    // Everything a template may reach, with every filter that could show more of it.
    let everything = "{% for v in [application, client_id, organization, owner_name, change, \
                      changed_by, changed_at, application_url] %}{{ v }}|{{ v|list }}|\
                      {{ v|pprint }}|{% endfor %}";
    let saved = save(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        ("Everything", everything, everything),
    )
    .await;
    assert_eq!(saved.status(), 303, "the allowed variables are accepted");
    deactivate(&app, &client);
    sink.wait_for(2).await;

    let password_hash = user::get(&mut app.conn(), owner)
        .expect("query")
        .expect("owner")
        .password_hash;
    let row = outbox(&app).pop().expect("the notice");
    assert!(
        row.body_text.contains(&client.client_id),
        "the template rendered"
    );
    for rendered in [&row.subject, &row.body_text, &row.body_html] {
        assert!(!rendered.contains(secret.expose()), "the secret leaked");
        assert!(
            !rendered.contains(secret.hash().as_str()),
            "its hash leaked"
        );
        assert!(!rendered.contains(&password_hash), "a password hash leaked");
    }
}
both_backends!(no_template_can_render_a_secret_or_a_hash_asvs_6_5_2);

async fn a_syntax_error_is_refused_inline_with_its_line(backend: Backend) {
    let (app, _sink, csrf) = app_with_sink(backend).await;
    let refused = save(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        ("Subject", "Hello\n\nline three {{ application", "<p>x</p>"),
    )
    .await;
    assert_eq!(refused.status(), 200);
    let page = refused.text().await.expect("body");
    assert!(
        page.contains("data-testid=\"error-body_text\""),
        "shown beside its field"
    );
    assert!(page.contains("Line 3:"), "{page}");
    assert!(
        page.contains("line three {{ application"),
        "the typed text is kept"
    );
    let broken_subject = save(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        ("Two\r\nlines", "ok", "<p>x</p>"),
    )
    .await
    .text()
    .await
    .expect("body");
    assert!(broken_subject.contains("data-testid=\"error-subject\""));
    let stored = tessera::db::models::notice_template::list(&mut app.conn()).expect("query");
    assert!(stored.is_empty(), "nothing was saved");
}
both_backends!(a_syntax_error_is_refused_inline_with_its_line);

async fn preview_renders_sample_values_and_send_test_reaches_the_administrator(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let page = app
        .get(&format!("{TEMPLATE}/en"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains(
        "data-testid=\"preview-subject\">OAuth application on your account deactivated<"
    ));
    let previewed = submit(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        (
            "Preview of {{ application }}",
            "Owner {{ owner_name }}",
            "<b>{{ organization }}</b>",
        ),
        "preview",
    )
    .await;
    assert_eq!(previewed.status(), 200);
    let page = previewed.text().await.expect("body");
    assert!(page.contains("data-testid=\"preview-subject\">Preview of Sample application<"));
    assert!(page.contains("Owner Ada Owner"));
    assert!(
        tessera::db::models::notice_template::list(&mut app.conn())
            .expect("query")
            .is_empty(),
        "a preview saves nothing"
    );

    let sent = submit(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        (
            "Test of {{ application }}",
            "Owner {{ owner_name }}",
            "<b>{{ organization }}</b>",
        ),
        "send_test",
    )
    .await;
    assert_eq!(sent.status(), 303);
    let received = sink.wait_for(1).await;
    assert_eq!(
        received[0].rcpt_to,
        [format!("{ADMIN_USERNAME}@example.com")]
    );
    assert_eq!(subject(&received[0].data), "Test of Sample application");
    all_handled(&app).await;
}
both_backends!(preview_renders_sample_values_and_send_test_reaches_the_administrator);

async fn reset_restores_the_shipped_default(backend: Backend) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let owner = create_owner(&app, "en");
    let (client, _) = register(&app, owner);
    sink.wait_for(1).await;
    let saved = save(
        &app,
        &csrf,
        &format!("{TEMPLATE}/en"),
        ("Edited", "Edited", "<p>Edited</p>"),
    )
    .await;
    assert_eq!(saved.status(), 303);
    let reset = app
        .post_form(
            &format!("{TEMPLATE}/en/reset"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(reset.status(), 303);
    deactivate(&app, &client);
    let received = sink.wait_for(2).await;
    assert_eq!(
        subject(&received[1].data),
        "OAuth application on your account deactivated"
    );
    let history = tessera::mail::templates::history(
        &mut app.conn(),
        tessera::mail::templates::Event::ApplicationDeactivated,
        &tessera::domain::Locale::english(),
        10,
    )
    .expect("history");
    assert_eq!(history[0].subject, "Edited", "the reset version is kept");
}
both_backends!(reset_restores_the_shipped_default);

async fn a_user_chooses_the_language_of_their_notices_on_the_user_form(backend: Backend) {
    let (app, _sink, csrf) = app_with_sink(backend).await;
    let form = |username: &'static str, locale: &'static str| {
        [
            ("csrf_token", csrf.clone()),
            ("username", username.to_owned()),
            ("email", format!("{username}@example.com")),
            ("kind", "customer".to_owned()),
            ("password", "a long enough password".to_owned()),
            ("password_confirm", "a long enough password".to_owned()),
            ("locale", locale.to_owned()),
        ]
    };
    let refused = app
        .http
        .post(app.url("/admin/users/new"))
        .form(&form("dora", "deutsch"))
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 200);
    let page = refused.text().await.expect("body");
    assert!(
        page.contains("data-testid=\"error-locale\""),
        "refused inline: {page}"
    );
    let created = app
        .http
        .post(app.url("/admin/users/new"))
        .form(&form("dora", "de_at"))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 303);
    let dora = user::find_by_username(&mut app.conn(), "dora")
        .expect("query")
        .expect("created");
    assert_eq!(dora.locale, "de-AT");
    let plain = app
        .http
        .post(app.url("/admin/users/new"))
        .form(&form("emil", ""))
        .send()
        .await
        .expect("POST");
    assert_eq!(plain.status(), 303);
    let emil = user::find_by_username(&mut app.conn(), "emil")
        .expect("query")
        .expect("created");
    assert_eq!(emil.locale, "en", "English unless chosen");
}
both_backends!(a_user_chooses_the_language_of_their_notices_on_the_user_form);

/// A back-office user of the default organization holding `role` there (ASVS 4.1.3: roles
/// are per organization), reading notices in English.
fn role_holder(app: &TestApp, username: &str, organization: i64, role: Role) -> i64 {
    let holder = app.create_user(username, "a holder's long password", "backoffice", false);
    tessera::roles::grant(
        &mut app.conn(),
        holder.id,
        organization,
        role,
        &Actor::CommandLine,
        app.clock.now(),
    )
    .expect("the role is granted");
    holder.id
}

async fn a_rule_naming_a_role_reaches_its_enabled_holders_in_the_applications_organization(
    backend: Backend,
) {
    let (app, sink, csrf) = app_with_sink(backend).await;
    let owner = create_owner(&app, "en");
    let default = organization::find_by_name(&mut app.conn(), "Default")
        .expect("query")
        .expect("the default organization");
    let elsewhere = organization::create(&mut app.conn(), "Elsewhere", app.clock.now())
        .expect("another organization");
    role_holder(&app, "manager", default.id, Role::AppManager);
    role_holder(&app, "viewer", default.id, Role::Viewer);
    role_holder(&app, "outsider", elsewhere.id, Role::AppManager);
    let away = role_holder(&app, "away", default.id, Role::AppManager);
    user::set_enabled(&mut app.conn(), away, false, app.clock.now()).expect("disabled");

    save_rules(
        &app,
        &csrf,
        &[
            ("application_added.enabled", "on"),
            ("application_added.owner", "on"),
            ("application_added.role.app-manager", "on"),
        ],
    )
    .await;
    let page = app.get(RULES).await.text().await.unwrap();
    assert!(
        page.contains(r#"name="application_added.role.app-manager" checked"#),
        "the saved rule shows its role ticked"
    );
    assert!(!page.contains(r#"name="application_added.role.viewer" checked"#));

    register(&app, owner);
    let received = sink.wait_for(2).await;
    all_handled(&app).await;
    let mut recipients: Vec<&str> = received.iter().map(|m| m.rcpt_to[0].as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(
        recipients,
        ["manager@example.com", OWNER_EMAIL],
        "neither another role, another organization's holder nor a disabled one hears of it"
    );
    assert_eq!(outbox(&app).len(), 2, "one message each");
}
both_backends!(a_rule_naming_a_role_reaches_its_enabled_holders_in_the_applications_organization);

async fn a_stored_template_that_fails_when_sent_falls_back_to_the_shipped_text(backend: Backend) {
    let (app, sink, _) = app_with_sink(backend).await;
    let owner = create_owner(&app, "en");
    let (client, _) = register(&app, owner);
    sink.wait_for(1).await;
    // Saved before today's checks, say: it parses, but fails on the values it meets.
    tessera::db::models::notice_template::save(
        &mut app.conn(),
        "application_deactivated",
        "en",
        &tessera::db::models::notice_template::TemplateTexts {
            subject: "{{ application | int }}",
            body_text: "{{ application.missing.attribute }}",
            body_html: "<p>{{ application }}</p>",
        },
        "an earlier release",
        app.clock.now(),
    )
    .expect("stored");

    deactivate(&app, &client);
    let received = sink.wait_for(2).await;
    assert_eq!(
        subject(&received[1].data),
        "OAuth application on your account deactivated",
        "the shipped default is sent rather than nothing"
    );
    let row = outbox(&app).pop().expect("the notice");
    assert!(
        row.body_text.contains(&client.client_id),
        "{}",
        row.body_text
    );
}
both_backends!(a_stored_template_that_fails_when_sent_falls_back_to_the_shipped_text);

async fn the_override_address_also_takes_what_the_rules_address_elsewhere(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .setting("TESSERA_MAIL_NOTIFY_OVERRIDE", "staging@example.org")
        .spawn()
        .await;
    let csrf = app.signed_in_admin().await;
    register_under_owner_and_fixed_address_rule(&app, &csrf).await;

    let received = sink.wait_for(2).await;
    let rows = all_handled(&app).await;
    assert!(
        received
            .iter()
            .all(|m| m.rcpt_to == ["staging@example.org"]),
        "the override wins over the rule's recipients: {received:?}"
    );
    let mut about: Vec<&str> = rows.iter().map(|r| r.recipient.as_str()).collect();
    about.sort_unstable();
    assert_eq!(about, [OWNER_EMAIL, "security@example.com"]);
}
both_backends!(the_override_address_also_takes_what_the_rules_address_elsewhere);
