//! The shape of POST /oauth2-token: methods, bodies, parameters, error codes and cache
//! headers (RFC 6749 §3.2, §5.1, §5.2).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use chrono::TimeDelta;
use tessera::clock::Clock;

#[tokio::test]
async fn the_token_endpoint_answers_other_methods_with_405_and_json() {
    // RFC 6749 §3.2: "The client MUST use the HTTP POST method".
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = http
            .request(method.clone(), app.url("/oauth2-token"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(header(&response, "allow"), "POST");
        assert_no_store(&response, "405");
        let (_, body) = error_of(response).await;
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn bodies_other_than_form_or_json_are_invalid_request() {
    // RFC 6749 §3.2 (form) and Oro's JSON form; nothing else.
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    for (content_type, body) in [
        ("text/plain", "grant_type=client_credentials"),
        ("multipart/form-data; boundary=x", "--x--"),
        ("application/xml", "<grant_type/>"),
    ] {
        let response = http
            .post(app.url("/oauth2-token"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(response).await;
        assert_eq!(status, 400, "{content_type}");
        assert_eq!(body["error"], "invalid_request", "{content_type}");
    }
    let none = http.post(app.url("/oauth2-token")).send().await.unwrap();
    assert_eq!(error_of(none).await.1["error"], "invalid_request");
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request_in_a_form_or_in_json() {
    // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let form = http
        .post(app.url("/oauth2-token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=password")
        .send()
        .await
        .unwrap();
    assert_error(form, 400, "invalid_request").await;
    let json = http
        .post(app.url("/oauth2-token"))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials","grant_type":"password"}"#)
        .send()
        .await
        .unwrap();
    assert_error(json, 400, "invalid_request").await;
}

#[tokio::test]
async fn a_missing_or_empty_grant_type_is_invalid_request() {
    // RFC 6749 §5.2 invalid_request: "missing a required parameter"; §3.1: parameters sent
    // without a value are treated as omitted.
    let app = spawn_app(Backend::Sqlite).await;
    for form in [&[("scope", "x")][..], &[("grant_type", "")][..]] {
        let (status, body) = error_of(post(&app, "/oauth2-token", form).await).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_request");
        assert!(str_of(&body, "error_description").contains("grant_type"));
    }
}

#[tokio::test]
async fn error_descriptions_are_ascii_without_quotes_backslashes_or_line_breaks() {
    // RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
    let app = spawn_app(Backend::Sqlite).await;
    let response = reqwest::Client::new()
        .post(app.url("/oauth2-token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a%22%5C%0D%0A%C3%A9=1&a%22%5C%0D%0A%C3%A9=2")
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(response).await;
    assert_eq!(status, 400);
    let description = str_of(&body, "error_description");
    assert!(description.contains("repeated"), "{description}");
    assert!(
        description
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
        "{description:?}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_in_json() {
    let app = spawn_app(Backend::Sqlite).await;
    let huge = "x".repeat(100 * 1024);
    let response = post(&app, "/oauth2-token", &[("grant_type", &huge)]).await;
    assert_no_store(&response, "413");
    let (status, body) = error_of(response).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn missing_signing_keys_give_a_clear_json_error_not_a_panic() {
    // DESIGN.md: without keys the back-office shows a banner and the endpoint says why.
    let app = TestApp::builder(Backend::Sqlite)
        .setting("TESSERA_GENERATE_KEYS", "false")
        .spawn()
        .await;
    let client = app.back_office_app();
    let response = token_request(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_no_store(&response, "503");
    let (status, body) = error_of(response).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"], "server_error");
    assert!(str_of(&body, "error_description").contains("signing keys"));
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.status(), 503);
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the server still runs"
    );
}

async fn every_answer_carries_no_store_and_pragma_no_cache(backend: Backend) {
    // RFC 6749 §5.1; OpenID conformance CheckTokenEndpointCacheHeaders.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let ok = token_request(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(ok.status(), 200);
    assert_no_store(&ok, "success");
    assert!(header(&ok, "content-type").starts_with("application/json"));
    let bad = post(
        &app,
        "/oauth2-token",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(bad.status(), 401);
    assert_no_store(&bad, "invalid_client");
    let grant = token_request(&app, &client, &[("grant_type", "implicit")]).await;
    assert_eq!(grant.status(), 400);
    assert_no_store(&grant, "unsupported_grant_type");
    for path in ["/oauth2-revoke", "/oauth2-introspect"] {
        let answer = post_as(&app, path, &client, &[("token", "nothing")]).await;
        assert_eq!(answer.status(), 200, "{path}");
        assert_no_store(&answer, path);
    }
}
both_backends!(every_answer_carries_no_store_and_pragma_no_cache);

async fn json_bodies_work_like_forms(backend: Backend) {
    // Oro documents `{"grant_type": ..., "client_id": ..., "client_secret": ...}`.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let response = reqwest::Client::new()
        .post(app.url("/oauth2-token"))
        .json(&serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": client.secret,
        }))
        .send()
        .await
        .unwrap();
    let body = expect_tokens(response).await;
    assert_eq!(body["token_type"], "Bearer");
}
both_backends!(json_bodies_work_like_forms);

async fn empty_values_count_as_absent_and_unknown_parameters_are_ignored(backend: Backend) {
    // RFC 6749 §3.1 and §3.2.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    set_scopes(&app, &client, "read write");
    let body = expect_tokens(
        token_request(
            &app,
            &client,
            &[
                ("grant_type", "client_credentials"),
                ("scope", ""),
                ("colour", "blue"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        body["scope"], "read write",
        "an empty scope is no scope: the default"
    );
}
both_backends!(empty_values_count_as_absent_and_unknown_parameters_are_ignored);

async fn an_unknown_grant_type_is_unsupported_grant_type(backend: Backend) {
    // RFC 6749 §5.2.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    for grant in ["implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"] {
        let (status, body) =
            error_of(token_request(&app, &client, &[("grant_type", grant)]).await).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "unsupported_grant_type", "{grant}");
    }
}
both_backends!(an_unknown_grant_type_is_unsupported_grant_type);

async fn a_grant_the_application_lacks_is_unauthorized_client(backend: Backend) {
    // RFC 6749 §5.2 unauthorized_client; refresh tokens come with the password grant.
    let app = spawn_app(backend).await;
    let machine = app
        .application("machine")
        .grants(&["client_credentials"])
        .register();
    app.user("ann", "backoffice");
    for form in [
        &[
            ("grant_type", "password"),
            ("username", "ann"),
            ("password", USER_PASSWORD),
        ][..],
        &[("grant_type", "refresh_token"), ("refresh_token", "trt_x")][..],
        &[("grant_type", "authorization_code"), ("code", "x")][..],
    ] {
        let (status, body) = error_of(token_request(&app, &machine, form).await).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "unauthorized_client", "{form:?}");
    }
    let people = app.application("people").grants(&["password"]).register();
    assert_error(
        token_request(&app, &people, &[("grant_type", "client_credentials")]).await,
        400,
        "unauthorized_client",
    )
    .await;
}
both_backends!(a_grant_the_application_lacks_is_unauthorized_client);

async fn a_scope_beyond_the_application_is_invalid_scope(backend: Backend) {
    // RFC 6749 §3.3 and §5.2: the default is every scope the application has; a subset is
    // granted as asked; anything else is invalid_scope.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let none = client_credentials(&app, &client).await;
    assert!(
        none.get("scope").is_none(),
        "no scopes, no scope member: {none}"
    );
    assert_error(
        token_request(
            &app,
            &client,
            &[("grant_type", "client_credentials"), ("scope", "read")],
        )
        .await,
        400,
        "invalid_scope",
    )
    .await;

    set_scopes(&app, &client, "read write");
    let all = client_credentials(&app, &client).await;
    assert_eq!(all["scope"], "read write");
    let narrow = expect_tokens(
        token_request(
            &app,
            &client,
            &[("grant_type", "client_credentials"), ("scope", "write")],
        )
        .await,
    )
    .await;
    assert_eq!(narrow["scope"], "write");
    assert_eq!(
        jwt_part(str_of(&narrow, "access_token"), 1)["scope"],
        "write"
    );
    for scope in ["read admin", "read\"", "write\\x"] {
        let (status, body) = error_of(
            token_request(
                &app,
                &client,
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{scope}"
        );
    }
}
both_backends!(a_scope_beyond_the_application_is_invalid_scope);

async fn the_application_last_used_at_is_updated_at_most_once_a_minute(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let last_used = || {
        app.application_row(client.id)
            .expect("the application")
            .last_used_at
    };
    assert_eq!(last_used(), None);
    client_credentials(&app, &client).await;
    let first = last_used().expect("set by the first token");
    assert_eq!(first, app.clock.now());
    app.clock.advance(TimeDelta::seconds(30));
    client_credentials(&app, &client).await;
    assert_eq!(last_used(), Some(first), "not rewritten within the minute");
    app.clock.advance(TimeDelta::seconds(31));
    client_credentials(&app, &client).await;
    assert_eq!(last_used(), Some(app.clock.now()));
}
both_backends!(the_application_last_used_at_is_updated_at_most_once_a_minute);
