//! Credentials that reach their owner: instead of an administrator copying a client secret
//! to its owner, Tessera mails the owner a one-time link through the real SMTP server; the
//! owner signs in and collects the secret, once. The link is an out-of-band, single-use,
//! time-limited token stored as a hash (ASVS 5.0 V2.7, 6.3.x); the secret it hands over
//! then authenticates the client at the token endpoint (RFC 6749 §2.3.1).

use crate::both_backends;
use crate::helpers::mail::OWNER_EMAIL;
use crate::helpers::mime::{Mime, text_and_html};
use crate::helpers::*;
use crate::oauth_support::{assert_error, client_credentials, header, token_request};
use crate::smtp_sink::SmtpSink;
use chrono::TimeDelta;
use tessera::audit::AuditAction;
use tessera::clock::Clock;
use tessera::db::models::client_secret;

/// Where the links in notices start: the test server's issuer.
const LINK_PREFIX: &str = "http://tessera.test/credentials/";
/// What a dead link says, whatever killed it.
const DEAD: &str =
    "This link does not work any more. Ask your administrator to send you a new one.";

/// A Tessera mailing through a real SMTP server, with an administrator signed in.
pub async fn mailing_app(backend: Backend) -> (TestApp, SmtpSink) {
    mailing_app_with(backend, &[]).await
}

async fn mailing_app_with(backend: Backend, settings: &[(&str, &str)]) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let mut builder = TestApp::builder(backend).setting("TESSERA_SMTP_URL", sink.url());
    for (key, value) in settings {
        builder = builder.setting(key, *value);
    }
    let app = builder.spawn().await;
    app.signed_in_admin().await;
    (app, sink)
}

/// The back-office user `owner` (at `OWNER_EMAIL`) who owns the applications sent here.
fn owner(app: &TestApp) -> tessera::db::models::user::User {
    app.create_user("owner", OWNER_PASSWORD, "backoffice", false)
}

/// Creates a service account for `owner_id` through the back-office form, choosing "Send
/// it to the owner"; returns its id.
async fn create_sent(app: &TestApp, name: &str, owner_id: i64) -> i64 {
    let owner = owner_id.to_string();
    let fields = [
        ("name", name),
        ("active", "on"),
        ("grants", "client_credentials"),
        ("owner_user_id", owner.as_str()),
        ("deliver", "owner"),
    ];
    let response = create_via_form(app, &fields).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    location(&response)
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the application's page")
}

/// The link in the `n`-th message the SMTP server received (from 1), as a path of the test
/// server, with the whole message as it went over the wire.
pub async fn link_in_message(sink: &SmtpSink, n: usize) -> (String, String) {
    let received = sink.wait_for(n).await;
    let raw = received[n - 1].data.clone();
    assert_eq!(received[n - 1].rcpt_to, vec![OWNER_EMAIL.to_owned()]);
    let (text, html) = text_and_html(&Mime::parse(&raw));
    let token = token_after(&text);
    assert!(html.contains(&token), "the HTML part carries the link too");
    (format!("/credentials/{token}"), raw)
}

fn token_after(text: &str) -> String {
    let start = text
        .find(LINK_PREFIX)
        .unwrap_or_else(|| panic!("no link in {text}"))
        + LINK_PREFIX.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Another browser: cookies of its own, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn get(http: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    http.get(app.url(path)).send().await.unwrap()
}

async fn post(
    http: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    http.post(app.url(path)).form(form).send().await.unwrap()
}

/// The collection page every link leads to.
const COLLECT: &str = "/credentials";

/// Opens `link` as a browser would: the link moves its token into a cookie and goes on to
/// the collection page, whose answer this is. The address with the token sends no referrer;
/// neither is ever stored.
async fn open_link(http: &reqwest::Client, app: &TestApp, link: &str) -> reqwest::Response {
    let opened = get(http, app, link).await;
    assert_redirects_to(&opened, COLLECT);
    assert_eq!(header(&opened, "referrer-policy"), "no-referrer");
    assert_eq!(header(&opened, "cache-control"), "no-store");
    let page = get(http, app, COLLECT).await;
    assert_eq!(header(&page, "cache-control"), "no-store");
    page
}

/// Opens `link` signed out, follows it to the sign-in it names, and signs in there; returns
/// where the sign-in sends the browser.
async fn sign_in_through(
    http: &reqwest::Client,
    app: &TestApp,
    link: &str,
    (username, password): (&str, &str),
) -> String {
    let opened = open_link(http, app, link).await;
    assert_eq!(opened.status(), 303, "the link asks to sign in first");
    let sign_in = location(&opened);
    let page = get(http, app, &sign_in).await.text().await.unwrap();
    assert_eq!(hidden_field(&page, "next").as_deref(), Some(COLLECT));
    let form_path = if sign_in.starts_with("/admin/") {
        "/admin/login"
    } else {
        "/account/sign-in"
    };
    let csrf = csrf_token(&page);
    let form = [
        ("csrf_token", csrf.as_str()),
        ("username", username),
        ("password", password),
        ("next", COLLECT),
    ];
    let signed_in = post(http, app, form_path, &form).await;
    assert_eq!(signed_in.status(), 303);
    location(&signed_in)
}

/// Opens `link` and presses "Collect credentials", signed in already.
async fn press_collect(http: &reqwest::Client, app: &TestApp, link: &str) -> reqwest::Response {
    let page = open_link(http, app, link).await;
    assert_eq!(page.status(), 200, "the collection page");
    let page = page.text().await.unwrap();
    assert!(page.contains("Collect credentials"), "{page}");
    post(http, app, COLLECT, &[("csrf_token", &csrf_token(&page))]).await
}

/// The secret on the page a collection answers with.
async fn collected_secret(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let page = response.text().await.unwrap();
    let secret = input_value(&page, "client_secret");
    assert!(secret.starts_with("tsk_"), "{page}");
    secret
}

async fn assert_dead(response: reqwest::Response) {
    assert_eq!(response.status(), 410);
    let page = response.text().await.unwrap();
    assert!(page.contains(DEAD), "{page}");
    assert!(!page.contains("owner"), "the page names nobody: {page}");
}

/// The application as its owner knows it after collecting `secret`.
fn collected(app: &TestApp, id: i64, secret: &str) -> TestClient {
    let row = app.application_row(id).expect("the application");
    TestClient::new(row, secret.to_owned())
}

fn history_actions(app: &TestApp, id: i64) -> Vec<String> {
    let rows =
        tessera::audit::history(&mut app.conn(), AuditAction::CLIENT_CHANGES, id, 50).unwrap();
    rows.into_iter().map(|r| r.action).collect()
}

async fn the_owner_gets_a_link_not_a_secret_and_collects_it_once_asvs_2_7_rfc_6749_2_3_1(
    backend: Backend,
) {
    let (app, sink) = mailing_app(backend).await;
    let owner = owner(&app);
    let id = create_sent(&app, "Robot", owner.id).await;
    let client_id = app.application_row(id).unwrap().client_id;

    // No secret exists yet: the application cannot authenticate with anything.
    assert!(
        client_secret::list_for_client(&mut app.conn(), id)
            .unwrap()
            .is_empty()
    );
    let guess = collected(&app, id, "tsk_guess");
    assert_error(
        token_request(&app, &guess, &[("grant_type", "client_credentials")]).await,
        401,
        "invalid_client",
    )
    .await;

    // The notice: to the owner alone, with the link, never a secret.
    let (link, raw) = link_in_message(&sink, 1).await;
    let message = Mime::parse(&raw);
    assert_eq!(
        message.header("subject"),
        "Collect the credentials of an OAuth application"
    );
    assert!(raw.contains(&client_id));
    assert!(!raw.contains("tsk_"), "no secret in the notice");

    // The administrator's pages say it waits; they never hold the link.
    let page = app.get(&application_path(id)).await.text().await.unwrap();
    assert!(page.contains("Credentials not yet collected"), "{page}");
    assert!(page.contains("was sent a one-time link"), "the flash");
    assert!(!page.contains(&link["/credentials/".len()..]));

    // Opening the link, even twice, spends nothing (mail scanners open links too).
    let person = browser();
    for _ in 0..2 {
        let opened = open_link(&person, &app, &link).await;
        assert_eq!(opened.status(), 303, "to the sign-in");
    }
    let back = sign_in_through(&person, &app, &link, ("owner", OWNER_PASSWORD)).await;
    assert_eq!(back, COLLECT, "the sign-in returns to the collection page");
    let page = get(&person, &app, COLLECT).await.text().await.unwrap();
    assert!(page.contains("Collect credentials"));
    assert!(!page.contains(&link), "the page does not carry the link");

    let secret = collected_secret(press_collect(&person, &app, &link).await).await;
    let tokens = client_credentials(&app, &collected(&app, id, &secret)).await;
    assert!(tokens["access_token"].is_string());

    // Once: the link is spent, for GET and POST alike.
    assert_dead(open_link(&person, &app, &link).await).await;
    let page = app.get(&application_path(id)).await.text().await.unwrap();
    assert!(!page.contains("Credentials not yet collected"));
    assert_dead(post(&person, &app, COLLECT, &[("csrf_token", "x")]).await).await;

    let actions = history_actions(&app, id);
    assert!(actions.contains(&AuditAction::CredentialsSent.as_str().to_owned()));
    assert!(actions.contains(&AuditAction::CredentialsCollected.as_str().to_owned()));
    let collection =
        tessera::audit::with_action(&mut app.conn(), AuditAction::CredentialsCollected).unwrap();
    assert_eq!(collection[0].actor, "owner", "collected by the owner");

    // The administrator never sees the secret: not on the application's page with its
    // history, nor in the grid, nor in the outbox.
    for path in [
        application_path(id),
        APPLICATIONS.to_owned(),
        NOTIFICATIONS.to_owned(),
    ] {
        let page = app.get(&path).await.text().await.unwrap();
        assert!(!page.contains(&secret), "{path}");
        assert!(!page.contains(&link), "{path}");
    }
    let rows = crate::helpers::mail::outbox(&app);
    assert!(rows.iter().all(|r| !r.body_text.contains(&secret)));
}
both_backends!(the_owner_gets_a_link_not_a_secret_and_collects_it_once_asvs_2_7_rfc_6749_2_3_1);

async fn a_link_expires_after_its_lifetime_and_a_new_one_works_asvs_2_7_2(backend: Backend) {
    // Ten minutes here (48 hours by default), so the administrator's session outlives it.
    let lifetime = [("TESSERA_CREDENTIAL_LINK_TTL", "600")];
    let (app, sink) = mailing_app_with(backend, &lifetime).await;
    let owner = owner(&app);
    let id = create_sent(&app, "Late robot", owner.id).await;
    let (link, raw) = link_in_message(&sink, 1).await;
    let sent_at = app.clock.now();
    let until = (sent_at + TimeDelta::seconds(600)).format("%Y-%m-%d %H:%M UTC");
    assert!(
        raw.contains(&until.to_string()),
        "the notice says until when"
    );

    app.clock.advance(TimeDelta::seconds(599));
    let person = browser();
    assert_eq!(
        open_link(&person, &app, &link).await.status(),
        303,
        "still open"
    );
    app.clock.advance(TimeDelta::seconds(1));
    // An expired link does not even ask to sign in.
    assert_dead(open_link(&person, &app, &link).await).await;
    let page = app.get(&application_path(id)).await.text().await.unwrap();
    assert!(page.contains("it expired at"), "{page}");

    let csrf = app.csrf().await;
    let resent = app
        .post_form(
            &format!("{}/credentials-link", application_path(id)),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_redirects_to(&resent, &application_path(id));
    let (fresh, _) = link_in_message(&sink, 2).await;
    assert_ne!(fresh, link);
    sign_in_through(&person, &app, &fresh, ("owner", OWNER_PASSWORD)).await;
    let secret = collected_secret(press_collect(&person, &app, &fresh).await).await;
    client_credentials(&app, &collected(&app, id, &secret)).await;
    assert_dead(open_link(&person, &app, &link).await).await;
}
both_backends!(a_link_expires_after_its_lifetime_and_a_new_one_works_asvs_2_7_2);

async fn another_signed_in_user_cannot_use_the_owners_link(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let owner = owner(&app);
    let id = create_sent(&app, "Guarded robot", owner.id).await;
    let (link, _) = link_in_message(&sink, 1).await;

    let intruder = browser();
    app.user("mallory", "backoffice");
    sign_in_through(&intruder, &app, &link, ("mallory", USER_PASSWORD)).await;
    assert_dead(open_link(&intruder, &app, &link).await).await;
    // Not with a token of their own session either.
    let page = get(&intruder, &app, "/admin").await.text().await.unwrap();
    let csrf = csrf_token(&page);
    assert_dead(post(&intruder, &app, COLLECT, &[("csrf_token", &csrf)]).await).await;
    // The administrator, signed in, is someone else too.
    assert_dead(open_link(&app.http, &app, &link).await).await;
    assert!(
        client_secret::list_for_client(&mut app.conn(), id)
            .unwrap()
            .is_empty()
    );

    // The owner still can.
    let person = browser();
    sign_in_through(&person, &app, &link, ("owner", OWNER_PASSWORD)).await;
    collected_secret(press_collect(&person, &app, &link).await).await;
}
both_backends!(another_signed_in_user_cannot_use_the_owners_link);

async fn a_new_link_kills_the_old_one_at_once(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let owner = owner(&app);
    let id = create_sent(&app, "Resent robot", owner.id).await;
    let (old, _) = link_in_message(&sink, 1).await;
    let person = browser();
    sign_in_through(&person, &app, &old, ("owner", OWNER_PASSWORD)).await;
    let page = get(&person, &app, COLLECT).await.text().await.unwrap();

    let csrf = app.csrf().await;
    let path = format!("{}/credentials-link", application_path(id));
    app.post_form(&path, &[("csrf_token", &csrf)]).await;
    let (new, _) = link_in_message(&sink, 2).await;

    // The page opened before the new link was sent no longer collects anything.
    let form = [("csrf_token", csrf_token(&page))];
    assert_dead(
        person
            .post(app.url(COLLECT))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_dead(open_link(&person, &app, &old).await).await;
    let secret = collected_secret(press_collect(&person, &app, &new).await).await;
    client_credentials(&app, &collected(&app, id, &secret)).await;
    let actions = history_actions(&app, id);
    assert!(actions.contains(&AuditAction::CredentialsResent.as_str().to_owned()));
    let flash = app.get(&application_path(id)).await.text().await.unwrap();
    assert!(!flash.contains(&secret));
}
both_backends!(a_new_link_kills_the_old_one_at_once);

/// Hands application `id` to `owner_id` through the service, as the edit form does.
fn hand_over(app: &TestApp, id: i64, owner_id: i64) {
    let row = app.application_row(id).expect("the application");
    let spec = tessera::clients::ClientSpec {
        active: row.active,
        app_type: row.app_type(),
        ..tessera::clients::ClientSpec::legacy(
            row.organization_id,
            tessera::domain::ClientName::parse(&row.name).unwrap(),
            row.grants(),
            Some(owner_id),
            row.frontend,
        )
    };
    tessera::clients::update(&mut app.conn(), id, &spec, &actor(), app.clock.now()).unwrap();
}

/// A link is bound to the owner it was sent to: handing the application to someone else
/// ends it for good, and handing it back does not revive it (ASVS 2.7.1).
async fn a_new_owner_ends_the_link_sent_to_the_previous_one(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let first = owner(&app);
    let id = create_sent(&app, "Handed robot", first.id).await;
    let (link, _) = link_in_message(&sink, 1).await;
    let person = browser();
    sign_in_through(&person, &app, &link, ("owner", OWNER_PASSWORD)).await;

    let heir = app.create_user("heir", OWNER_PASSWORD, "backoffice", false);
    hand_over(&app, id, heir.id);
    hand_over(&app, id, first.id);
    assert_dead(open_link(&person, &app, &link).await).await;
    let page = app.get(&application_path(id)).await.text().await.unwrap();
    assert!(
        !page.contains("not yet collected"),
        "no link is open any more: {page}"
    );
}
both_backends!(a_new_owner_ends_the_link_sent_to_the_previous_one);

async fn two_collections_at_once_make_one_secret(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let owner = owner(&app);
    let id = create_sent(&app, "Raced robot", owner.id).await;
    let (link, _) = link_in_message(&sink, 1).await;
    let person = browser();
    sign_in_through(&person, &app, &link, ("owner", OWNER_PASSWORD)).await;
    let page = get(&person, &app, COLLECT).await.text().await.unwrap();
    let csrf = csrf_token(&page);
    let form = [("csrf_token", csrf.as_str())];
    let (a, b) = tokio::join!(
        post(&person, &app, COLLECT, &form),
        post(&person, &app, COLLECT, &form)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410]);
    assert_eq!(
        client_secret::list_for_client(&mut app.conn(), id)
            .unwrap()
            .len(),
        1
    );
}
both_backends!(two_collections_at_once_make_one_secret);

async fn a_customer_owner_collects_through_the_account_sign_in(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let customer = app.create_user("owner", OWNER_PASSWORD, "customer", false);
    let owner_id = customer.id.to_string();
    let fields = [
        ("name", "Storefront robot"),
        ("active", "on"),
        ("grants", "client_credentials"),
        ("frontend", "on"),
        ("owner_user_id", owner_id.as_str()),
        ("deliver", "owner"),
    ];
    let response = create_via_form(&app, &fields).await;
    assert_eq!(response.status(), 303);
    let (link, _) = link_in_message(&sink, 1).await;

    let person = browser();
    let opened = open_link(&person, &app, &link).await;
    assert_eq!(location(&opened), "/account/sign-in?next=%2Fcredentials");
    let back = sign_in_through(&person, &app, &link, ("owner", OWNER_PASSWORD)).await;
    assert_eq!(back, COLLECT);
    let secret = collected_secret(press_collect(&person, &app, &link).await).await;
    let row = tessera::db::models::client::list_all(&mut app.conn())
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Storefront robot")
        .expect("the application");
    client_credentials(&app, &TestClient::new(row, secret)).await;
}
both_backends!(a_customer_owner_collects_through_the_account_sign_in);

async fn a_secret_sent_to_the_owner_changes_nothing_until_it_is_collected(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let owner_id = owner(&app).id;
    let client = app.application("Rotated robot").owner(owner_id).register();
    let first_mail = sink.wait_for(1).await;
    assert_eq!(first_mail.len(), 1, "the usual notice of a new application");

    let page = app
        .get(&format!("{}/secrets/new", application_path(client.id)))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-testid=\"deliver-owner\" checked")
            || page.contains("value=\"owner\" checked")
    );
    let sent = app
        .post_form(
            &format!("{}/secrets", application_path(client.id)),
            &[
                ("csrf_token", &csrf_token(&page)),
                ("expire_old", "1d"),
                ("deliver", "owner"),
            ],
        )
        .await;
    assert_redirects_to(&sent, &application_path(client.id));
    let (link, raw) = link_in_message(&sink, 2).await;
    assert!(!raw.contains("tsk_"));
    // Nothing changed yet: one secret, without an expiry.
    let secrets = client_secret::list_for_client(&mut app.conn(), client.id).unwrap();
    assert_eq!(secrets.len(), 1);
    assert!(secrets[0].expires_at.is_none());
    client_credentials(&app, &client).await;

    let person = browser();
    sign_in_through(&person, &app, &link, ("owner", OWNER_PASSWORD)).await;
    let secret = collected_secret(press_collect(&person, &app, &link).await).await;
    client_credentials(&app, &client.with_secret(&secret)).await;
    // The old secret keeps working for the day chosen, counted from the collection.
    let secrets = client_secret::list_for_client(&mut app.conn(), client.id).unwrap();
    let old = secrets
        .iter()
        .find(|s| s.expires_at.is_some())
        .expect("the old secret");
    assert_eq!(old.expires_at, Some(app.clock.now() + TimeDelta::days(1)));
    client_credentials(&app, &client).await;
}
both_backends!(a_secret_sent_to_the_owner_changes_nothing_until_it_is_collected);

async fn sending_needs_an_owner_and_a_form_without_the_choice_still_shows_the_secret(
    backend: Backend,
) {
    let (app, _sink) = mailing_app(backend).await;
    let fields = [
        ("name", "Ownerless"),
        ("active", "on"),
        ("app_type", "web"),
        ("grants", "password"),
        ("deliver", "owner"),
    ];
    let refused = create_via_form(&app, &fields).await;
    assert_eq!(refused.status(), 200);
    let page = refused.text().await.unwrap();
    assert!(page.contains("data-testid=\"error-owner\""), "{page}");
    assert!(
        page.contains("credentials are sent to the application"),
        "{page}"
    );

    let odd = [
        ("name", "Odd"),
        ("grants", "client_credentials"),
        ("deliver", "carrier pigeon"),
    ];
    let refused = create_via_form(&app, &odd).await;
    assert_eq!(refused.status(), 200);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("data-testid=\"error-deliver\"")
    );

    let owner_id = owner(&app).id.to_string();
    let shown = create_via_form(
        &app,
        &[
            ("name", "Shown"),
            ("grants", "client_credentials"),
            ("owner_user_id", &owner_id),
        ],
    )
    .await;
    assert_eq!(shown.status(), 200);
    assert!(input_value(&shown.text().await.unwrap(), "client_secret").starts_with("tsk_"));
}
both_backends!(sending_needs_an_owner_and_a_form_without_the_choice_still_shows_the_secret);

async fn the_grid_filters_applications_whose_credentials_wait(backend: Backend) {
    let (app, sink) = mailing_app(backend).await;
    let owner = owner(&app);
    create_sent(&app, "Waiting robot", owner.id).await;
    app.application("Shown robot").owner(owner.id).register();
    sink.wait_for(1).await;
    let page = app
        .get(&format!("{APPLICATIONS}?credentials=uncollected"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Waiting robot"));
    assert!(!page.contains("Shown robot"));
}
both_backends!(the_grid_filters_applications_whose_credentials_wait);

#[test]
fn the_command_line_sends_credentials_to_the_owner_and_prints_no_secret() {
    use crate::cli::{tessera, text};
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = tessera(dir.path(), args, env);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    run(
        &[
            "users",
            "create",
            "--username",
            "robot-owner",
            "--email",
            "robot@example.com",
        ],
        &[("TESSERA_USER_PASSWORD", "the owner's long password")],
    );
    let created: serde_json::Value = serde_json::from_str(&run(
        &[
            "clients",
            "create",
            "--name",
            "Robot",
            "--type",
            "service",
            "--owner",
            "robot-owner",
            "--deliver",
            "owner",
            "--json",
        ],
        &[],
    ))
    .unwrap();
    assert!(created["client_secret"].is_null(), "{created}");
    assert_eq!(created["sent_to_owner"], true);
    let client_id = created["client_id"].as_str().unwrap();
    let plain = run(
        &["clients", "secrets", "add", client_id, "--deliver", "owner"],
        &[],
    );
    assert!(!plain.contains("tsk_"), "{plain}");
    assert!(plain.contains("one-time link"), "{plain}");
    let listed = run(&["clients", "secrets", "list", client_id, "--json"], &[]);
    assert_eq!(
        listed.trim(),
        "[]",
        "nothing is made before the owner collects it"
    );
    let bad = tessera(
        dir.path(),
        &[
            "clients",
            "create",
            "--name",
            "X",
            "--type",
            "service",
            "--deliver",
            "mail",
        ],
        &[],
    );
    assert!(!bad.status.success());
}
