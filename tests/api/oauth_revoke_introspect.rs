//! Revocation (RFC 7009) and introspection (RFC 7662).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use chrono::TimeDelta;
use serde_json::{Value, json};

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let response = post_as(app, "/oauth2-introspect", client, &[("token", token)]).await;
    assert_eq!(response.status(), 200);
    assert_no_store(&response, "introspection");
    response.json().await.unwrap()
}

async fn revoke(app: &TestApp, client: &TestClient, token: &str) -> reqwest::Response {
    post_as(app, "/oauth2-revoke", client, &[("token", token)]).await
}

async fn revocation_and_introspection_need_client_authentication(backend: Backend) {
    // RFC 7009 §2.1 and RFC 7662 §2.1.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    let wrong = client.with_secret("tsk_wrong");
    for path in ["/oauth2-revoke", "/oauth2-introspect"] {
        let (status, body) = error_of(post(&app, path, &[("token", &token)]).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{path}"
        );
        let (status, _) = error_of(post_as(&app, path, &wrong, &[("token", &token)]).await).await;
        assert_eq!(status, 401, "{path}");
        let (status, body) = error_of(post_as(&app, path, &client, &[]).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}"
        );
    }
    assert_eq!(
        me(&app, "/api/me", &token).await.status(),
        200,
        "nothing was revoked"
    );
}
both_backends!(revocation_and_introspection_need_client_authentication);

async fn an_active_token_introspects_with_its_claims(backend: Backend) {
    // RFC 7662 §2.2.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let grant = password_grant(&app, &client, "ann").await;
    let access = introspect(&app, &client, str_of(&grant, "access_token")).await;
    assert_eq!(access["active"], true);
    assert_eq!(access["client_id"], client.client_id.as_str());
    assert_eq!(access["username"], "ann");
    assert_eq!(access["token_type"], "Bearer");
    let claims = jwt_part(str_of(&grant, "access_token"), 1);
    for claim in ["sub", "exp", "iat", "jti", "iss", "aud", "scope"] {
        assert_eq!(access[claim], claims[claim], "{claim}");
    }
    let refresh = introspect(&app, &client, str_of(&grant, "refresh_token")).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");
    assert_eq!(refresh["username"], "ann");
}
both_backends!(an_active_token_introspects_with_its_claims);

async fn expired_revoked_unknown_foreign_or_garbage_tokens_are_exactly_inactive(backend: Backend) {
    // RFC 7662 §2.2: nothing but {"active": false}.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let other = app
        .application("other")
        .grants(&["client_credentials", "password"])
        .register();
    app.user("ann", "backoffice");
    let inactive = json!({"active": false});

    let foreign = password_grant(&app, &other, "ann").await;
    assert_eq!(
        introspect(&app, &client, str_of(&foreign, "access_token")).await,
        inactive
    );
    assert_eq!(
        introspect(&app, &client, str_of(&foreign, "refresh_token")).await,
        inactive
    );

    for garbage in [
        "garbage",
        "a.b.c",
        "trt_nothing",
        "eyJhbGciOiJub25lIn0.e30.",
    ] {
        assert_eq!(
            introspect(&app, &client, garbage).await,
            inactive,
            "{garbage}"
        );
    }

    let revoked = password_grant(&app, &client, "ann").await;
    for token in ["access_token", "refresh_token"] {
        assert_eq!(
            revoke(&app, &client, str_of(&revoked, token))
                .await
                .status(),
            200
        );
        assert_eq!(
            introspect(&app, &client, str_of(&revoked, token)).await,
            inactive,
            "{token}"
        );
    }

    let spent = password_grant(&app, &client, "ann").await;
    expect_tokens(refresh(&app, &client, str_of(&spent, "refresh_token")).await).await;
    assert_eq!(
        introspect(&app, &client, str_of(&spent, "refresh_token")).await,
        inactive
    );

    let expiring = client_credentials(&app, &client).await;
    app.clock.advance(TimeDelta::seconds(3601));
    assert_eq!(
        introspect(&app, &client, str_of(&expiring, "access_token")).await,
        inactive
    );
}
both_backends!(expired_revoked_unknown_foreign_or_garbage_tokens_are_exactly_inactive);

async fn revocation_answers_200_for_unknown_tokens(backend: Backend) {
    // RFC 7009 §2.2: "invalid tokens do not cause an error response".
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    for token in ["unknown", "trt_unknown", "a.b.c"] {
        let response = revoke(&app, &client, token).await;
        assert_eq!(response.status(), 200, "{token}");
        assert_no_store(&response, "revocation");
    }
    let hinted = post_as(
        &app,
        "/oauth2-revoke",
        &client,
        &[("token", "unknown"), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(hinted.status(), 200);
}
both_backends!(revocation_answers_200_for_unknown_tokens);

async fn a_client_cannot_revoke_another_clients_tokens(backend: Backend) {
    // RFC 7009 §2.1: the token must have been issued to the caller.
    let app = spawn_app(backend).await;
    let owner = app.back_office_app();
    let thief = app
        .application("thief")
        .grants(&["client_credentials", "password"])
        .register();
    app.user("ann", "backoffice");
    let grant = password_grant(&app, &owner, "ann").await;
    for token in ["access_token", "refresh_token"] {
        assert_eq!(
            revoke(&app, &thief, str_of(&grant, token)).await.status(),
            200
        );
    }
    assert_eq!(
        me(&app, "/api/me", str_of(&grant, "access_token"))
            .await
            .status(),
        200
    );
    expect_tokens(refresh(&app, &owner, str_of(&grant, "refresh_token")).await).await;
}
both_backends!(a_client_cannot_revoke_another_clients_tokens);

async fn revoking_a_refresh_token_revokes_its_family(backend: Backend) {
    // RFC 7009 §2.1; RFC 9700 §4.14.2.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let first = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
    let second = rotate(&app, &client, &first).await;
    assert_eq!(revoke(&app, &client, &first).await.status(), 200);
    assert_error(refresh(&app, &client, &second).await, 400, "invalid_grant").await;
}
both_backends!(revoking_a_refresh_token_revokes_its_family);

async fn a_revoked_access_token_is_refused_by_the_api(backend: Backend) {
    // RFC 7009 §2: the jti goes on the deny-list.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    let other = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    assert_eq!(revoke(&app, &client, &token).await.status(), 200);
    assert_eq!(
        revoke(&app, &client, &token).await.status(),
        200,
        "twice is fine"
    );
    assert_eq!(me(&app, "/api/me", &token).await.status(), 401);
    assert_eq!(
        me(&app, "/api/me", &other).await.status(),
        200,
        "only that token"
    );
}
both_backends!(a_revoked_access_token_is_refused_by_the_api);
