//! Client authentication at the token endpoint (RFC 6749 §2.3, §5.2).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use diesel::prelude::*;
use std::time::{Duration, Instant};
use tessera::audit::AuditAction;
use tessera::clock::Clock;
use tessera::db::models::client_secret::{self, NewClientSecret};
use tessera::domain::PlainSecret;

/// Gives the application a secret of our choosing, stored as the back-office stores one.
fn add_secret(app: &TestApp, client: &TestClient, secret: &str) {
    let hash = PlainSecret::presented(secret).hash();
    client_secret::create(
        &mut app.conn(),
        &NewClientSecret {
            client_id: client.id,
            secret_hash: hash.as_str(),
            prefix: "test",
            created_at: app.clock.now(),
        },
    )
    .unwrap();
}

async fn with_header(
    app: &TestApp,
    authorization: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/oauth2-token"))
        .header("authorization", authorization)
        .form(form)
        .send()
        .await
        .unwrap()
}

const CC: [(&str, &str); 1] = [("grant_type", "client_credentials")];

#[tokio::test]
async fn a_malformed_basic_header_is_invalid_request() {
    // RFC 6749 §5.2 invalid_request: "otherwise malformed".
    let app = spawn_app(Backend::Sqlite).await;
    for header in [
        "Basic".to_owned(),
        "Basic %%%".to_owned(),
        format!("Basic {}", STANDARD.encode("no-colon-here")),
        format!("Basic {}", STANDARD.encode(":secret-without-id")),
        format!("Basic {}", STANDARD.encode("id:bad%zzescape")),
        format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', b'x'])),
    ] {
        let (status, body) = error_of(with_header(&app, &header, &CC).await).await;
        assert_eq!(status, 400, "{header}");
        assert_eq!(body["error"], "invalid_request", "{header}");
    }
}

#[tokio::test]
async fn basic_and_body_credentials_together_are_invalid_request() {
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
    // request."
    let app = spawn_app(Backend::Sqlite).await;
    let header = basic("abc", "secret");
    assert_error(
        with_header(
            &app,
            &header,
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", "secret"),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_body_client_id_differing_from_basic_is_invalid_request() {
    // RFC 6749 §2.3 and §5.2.
    let app = spawn_app(Backend::Sqlite).await;
    assert_error(
        with_header(
            &app,
            &basic("abc", "secret"),
            &[("grant_type", "client_credentials"), ("client_id", "other")],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn credentials_in_the_query_string_are_refused() {
    // RFC 6749 §2.3.1: client credentials "MUST NOT be included in the request URI".
    let app = spawn_app(Backend::Sqlite).await;
    let response = reqwest::Client::new()
        .post(app.url("/oauth2-token?client_id=abc&client_secret=secret"))
        .form(&CC)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_request").await;
}

async fn basic_credentials_are_form_urldecoded_as_appendix_b_says(backend: Backend) {
    // RFC 6749 §2.3.1 and Appendix B: ids and secrets with ' %&+:' work.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let secret = "a b%c&d+e:f:g";
    add_secret(&app, &client, secret);
    let header = basic(&client.client_id, secret);
    assert!(header.len() > 6);
    let body = expect_tokens(with_header(&app, &header, &CC).await).await;
    assert_eq!(body["token_type"], "Bearer");
    // Unencoded, `+` would be a space and `%c&` an invalid escape: not the same secret.
    let raw = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{secret}", client.client_id))
    );
    assert_ne!(with_header(&app, &raw, &CC).await.status(), 200);
    // The same secret through client_secret_post.
    let post = post(
        &app,
        "/oauth2-token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(post.status(), 200);
}
both_backends!(basic_credentials_are_form_urldecoded_as_appendix_b_says);

async fn a_wrong_secret_via_basic_is_401_with_a_basic_challenge(backend: Backend) {
    // RFC 6749 §5.2 invalid_client.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let response = with_header(&app, &basic(&client.client_id, "tsk_wrong"), &CC).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        header(&response, "www-authenticate"),
        "Basic realm=\"tessera\""
    );
    assert_no_store(&response, "401");
    let (_, body) = error_of(response).await;
    assert_eq!(body["error"], "invalid_client");
}
both_backends!(a_wrong_secret_via_basic_is_401_with_a_basic_challenge);

async fn a_wrong_secret_in_the_body_is_401_invalid_client(backend: Backend) {
    // RFC 6749 §5.2.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    assert_error(
        post(
            &app,
            "/oauth2-token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client.client_id),
                ("client_secret", "tsk_wrong"),
            ],
        )
        .await,
        401,
        "invalid_client",
    )
    .await;
    let (status, _) = error_of(
        post(
            &app,
            "/oauth2-token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client.client_id),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401, "a client id alone authenticates nobody");
}
both_backends!(a_wrong_secret_in_the_body_is_401_invalid_client);

async fn an_unknown_client_and_a_wrong_secret_answer_identically_in_about_the_same_time(
    backend: Backend,
) {
    // ASVS 5.0 6.3.8.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let unknown_id = "0".repeat(32);
    let mut answers = Vec::new();
    let mut timings: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    // Nine rounds stay below the per-client lock (ten failures): every answer measured
    // here is a full authentication, not the throttle's short cut.
    for round in 0..9 {
        for (i, id) in [client.client_id.as_str(), unknown_id.as_str()]
            .into_iter()
            .enumerate()
        {
            let started = Instant::now();
            let response = with_header(&app, &basic(id, "tsk_wrong"), &CC).await;
            timings[i].push(started.elapsed());
            assert_eq!(response.status(), 401, "round {round}");
            if round == 0 {
                let challenge = header(&response, "www-authenticate").to_owned();
                let status = response.status();
                answers.push((status, challenge, response.text().await.unwrap()));
            }
        }
    }
    assert_eq!(answers[0], answers[1]);
    // The fastest of several runs is the work itself, without the noise of a shared machine.
    let fastest = |v: Vec<Duration>| v.into_iter().min().unwrap();
    let [known, unknown] = timings.map(fastest);
    let gap = known.abs_diff(unknown);
    assert!(
        gap < Duration::from_millis(10),
        "known {known:?} vs unknown {unknown:?}"
    );
}
both_backends!(an_unknown_client_and_a_wrong_secret_answer_identically_in_about_the_same_time);

async fn a_deactivated_or_deleted_client_is_refused_at_once(backend: Backend) {
    // ASVS 10.4.10: deactivation in the back-office takes effect on
    // the next request, and the tokens it already holds stop working.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let issued = client_credentials(&app, &client).await;
    let access = str_of(&issued, "access_token").to_owned();
    assert_eq!(me(&app, "/api/me", &access).await.status(), 200);

    app.deactivate_application(client.id);
    assert_error(
        token_request(&app, &client, &[("grant_type", "client_credentials")]).await,
        401,
        "invalid_client",
    )
    .await;
    let refused = me(&app, "/api/me", &access).await;
    assert_eq!(refused.status(), 401);
    assert!(header(&refused, "www-authenticate").contains("error=\"invalid_token\""));

    // Reactivated: new tokens work, the old one stays dead.
    app.clock.advance(TimeDelta::seconds(2));
    app.activate_application(client.id);
    let fresh = client_credentials(&app, &client).await;
    assert_eq!(
        me(&app, "/api/me", str_of(&fresh, "access_token"))
            .await
            .status(),
        200
    );
    assert_eq!(me(&app, "/api/me", &access).await.status(), 401);

    app.delete_application(client.id);
    let (status, _) =
        error_of(token_request(&app, &client, &[("grant_type", "client_credentials")]).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        me(&app, "/api/me", str_of(&fresh, "access_token"))
            .await
            .status(),
        401
    );
}
both_backends!(a_deactivated_or_deleted_client_is_refused_at_once);

async fn a_revoked_or_expired_secret_no_longer_authenticates(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    use tessera::db::schema::client_secrets;
    change_directly(&app, |conn| {
        diesel::update(client_secrets::table.filter(client_secrets::client_id.eq(client.id)))
            .set(client_secrets::expires_at.eq(app.clock.now() + TimeDelta::minutes(1)))
            .execute(conn)
    });
    client_credentials(&app, &client).await;
    app.clock.advance(TimeDelta::minutes(2));
    let (status, _) =
        error_of(token_request(&app, &client, &[("grant_type", "client_credentials")]).await).await;
    assert_eq!(status, 401);
}
both_backends!(a_revoked_or_expired_secret_no_longer_authenticates);

async fn repeated_failures_are_throttled_with_retry_after_and_a_success_resets(backend: Backend) {
    // RFC 6749 §2.3.1: the endpoint "MUST protect ... against brute force".
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let wrong = client.with_secret("tsk_wrong");
    for _ in 0..9 {
        assert_eq!(token_request(&app, &wrong, &CC).await.status(), 401);
    }
    client_credentials(&app, &client).await;
    for _ in 0..9 {
        assert_eq!(
            token_request(&app, &wrong, &CC).await.status(),
            401,
            "the success reset the count"
        );
    }
    assert_eq!(token_request(&app, &wrong, &CC).await.status(), 401);
    let locked = token_request(&app, &client, &CC).await;
    assert_eq!(locked.status(), 429, "locked, even with the right secret");
    let wait: i64 = header(&locked, "retry-after").parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert_no_store(&locked, "429");
    app.clock.advance(TimeDelta::seconds(wait + 1));
    client_credentials(&app, &client).await;
}
both_backends!(repeated_failures_are_throttled_with_retry_after_and_a_success_resets);

async fn client_authentication_failures_reach_the_audit_log(backend: Backend) {
    // RFC 6749 §2.3.1: failures reach the audit log.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    with_header(&app, &basic(&client.client_id, "tsk_wrong"), &CC).await;
    with_header(&app, &basic("no-such-client", "tsk_wrong"), &CC).await;
    let events =
        tessera::audit::with_action(&mut app.conn(), AuditAction::ClientAuthFailed).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].target_id, Some(client.id));
    assert_eq!(events[0].detail, "wrong secret");
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(events[1].actor, "no-such-client");
    assert_eq!(events[1].target_id, None);
    assert!(
        events.iter().all(|e| !e.detail.contains("tsk_wrong")),
        "no secret in the log"
    );
}
both_backends!(client_authentication_failures_reach_the_audit_log);
