//! Several Tessera servers over one database, as behind a load balancer: what one server
//! changes, the others follow; they sign with keys all of them publish; sessions, notices and
//! refresh tokens hold across them. And the command line, a process of its own, is followed
//! within a second. (RFC 9700 §4.14.2 for refresh tokens, ASVS 10.4.9/10.4.10 for revocation,
//! RFC 7517 for the key set.)

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use crate::smtp_sink::SmtpSink;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long another server may keep answering from its older copy.
const PROPAGATION: Duration = Duration::from_secs(1);

/// Waits, up to 5 s, until `app` serves this application's tokens from memory, so a test
/// of invalidation starts from a warm copy.
async fn until_cached(app: &TestApp, client: &TestClient) {
    for _ in 0..500 {
        if app.state.read_model.client(&client.client_id).is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the application never reached the server's copy in memory");
}

/// Asks `app` for a token every 20 ms until it answers 401; returns how long that took.
async fn until_refused(app: &TestApp, client: &TestClient, started: Instant) -> Duration {
    loop {
        let status = token_request(app, client, &CC).await.status();
        if status == 401 {
            return started.elapsed();
        }
        assert_eq!(status, 200, "a token or a refusal, nothing else");
        assert!(started.elapsed() < Duration::from_secs(5), "never refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const CC: [(&str, &str); 1] = [("grant_type", "client_credentials")];

async fn a_deactivation_through_one_server_is_refused_by_the_others_within_a_second(
    backend: Backend,
) {
    // ASVS 10.4.10: a deactivated client is refused; with three servers, by all of them.
    let a = spawn_app(backend).await;
    let b = a.another_instance().await;
    let c = a.another_instance().await;
    let client = a.back_office_app();
    for server in [&a, &b, &c] {
        until_cached(server, &client).await;
        client_credentials(server, &client).await;
    }

    a.deactivate_application(client.id);
    let started = Instant::now();
    let (status, _) = error_of(token_request(&a, &client, &CC).await).await;
    assert_eq!(
        status, 401,
        "the server that made the change refuses at once"
    );
    let on_b = until_refused(&b, &client, started).await;
    let on_c = until_refused(&c, &client, started).await;
    assert!(
        on_b < PROPAGATION && on_c < PROPAGATION,
        "B after {on_b:?}, C after {on_c:?}"
    );
}
both_backends!(a_deactivation_through_one_server_is_refused_by_the_others_within_a_second);

async fn keys_generated_by_one_server_are_published_and_verified_by_the_others(backend: Backend) {
    // RFC 7517 §5: every server's key set lists the key every other one signs with.
    let a = spawn_app(backend).await;
    let b = a.another_instance().await;
    let client = a.back_office_app();
    let token = str_of(&client_credentials(&a, &client).await, "access_token").to_owned();
    let kid = jwt_part(&token, 0)["kid"].as_str().unwrap().to_owned();
    let jwks: Value = b.get("/.well-known/jwks.json").await.json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(kids, [kid.as_str()], "one key, the same on both");
    assert_eq!(
        me(&b, "/api/me", &token).await.status(),
        200,
        "B verifies A's token"
    );
    let from_b = str_of(&client_credentials(&b, &client).await, "access_token").to_owned();
    assert_eq!(jwt_part(&from_b, 0)["kid"], kid.as_str());
}
both_backends!(keys_generated_by_one_server_are_published_and_verified_by_the_others);

async fn a_back_office_session_from_one_server_works_on_another(backend: Backend) {
    // ASVS V7: sessions live server-side, in the database every server reads.
    let a = spawn_app(backend).await;
    let b = a.another_instance().await;
    a.signed_in_admin().await;
    // The cookie jar of A's client holds the session for 127.0.0.1, whatever the port.
    let on_b = a.http.get(b.url("/admin")).send().await.unwrap();
    assert_eq!(on_b.status(), 200, "signed in on B too");
    let unsigned = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(
        unsigned.get(b.url("/admin")).send().await.unwrap().status(),
        303
    );
}
both_backends!(a_back_office_session_from_one_server_works_on_another);

async fn notices_queued_through_one_server_are_sent_once_with_workers_on_all_three(
    backend: Backend,
) {
    // A notice claimed by one worker is not sent by another (the outbox lease).
    let sink = SmtpSink::start();
    let a = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .spawn()
        .await;
    let b = a.another_instance().await;
    let c = a.another_instance().await;
    for name in ["one", "two", "three", "four", "five", "six"] {
        a.application(name)
            .grants(&["client_credentials"])
            .register();
        for server in [&a, &b, &c] {
            server.state.mail_queued();
        }
    }
    sink.wait_for(6).await;
    // Every worker polls each second: give them time to send anything twice.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 6, "each notice exactly once");
    let mut ids: Vec<String> = messages
        .iter()
        .map(|m| {
            m.data
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "six different notices");
}
both_backends!(notices_queued_through_one_server_are_sent_once_with_workers_on_all_three);

async fn a_refresh_token_raced_on_two_servers_succeeds_exactly_once(backend: Backend) {
    // RFC 9700 §4.14.2: a refresh token is spent once; the other use is a replay.
    let a = spawn_app(backend).await;
    let b = a.another_instance().await;
    let client = a.back_office_app();
    a.user("ann", "backoffice");
    let first = password_grant(&a, &client, "ann").await;
    let token = str_of(&first, "refresh_token");
    let (on_a, on_b) = tokio::join!(refresh(&a, &client, token), refresh(&b, &client, token));
    let statuses = [on_a.status().as_u16(), on_b.status().as_u16()];
    assert!(
        statuses.contains(&200) && statuses.contains(&400),
        "{statuses:?}"
    );
}
both_backends!(a_refresh_token_raced_on_two_servers_succeeds_exactly_once);

#[tokio::test]
async fn a_deactivation_by_the_command_line_is_refused_by_a_running_server_within_a_second() {
    // ASVS 10.4.10 with SQLite: another process changes the file under the running server.
    let app = spawn_app(Backend::Sqlite).await;
    let client = app.back_office_app();
    until_cached(&app, &client).await;
    client_credentials(&app, &client).await;

    let database = app.dir.path().join("tessera.db");
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["clients", "deactivate", &client.client_id])
        .env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}", database.display()),
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = started.elapsed();
    let refused = until_refused(&app, &client, started).await;
    assert!(
        refused < done + PROPAGATION,
        "refused {refused:?} after the start, the command took {done:?}"
    );
}
