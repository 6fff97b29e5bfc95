//! The back-office and the token endpoint agree at once: what an administrator switches
//! off stops working at the next request (ASVS 10.4.9).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::{assert_error, client_credentials, me, str_of, token_request};

async fn issue(app: &TestApp, client: &TestClient) -> String {
    str_of(&client_credentials(app, client).await, "access_token").to_owned()
}

/// RFC 6749 §5.2: the application no longer authenticates, so it gets no token.
async fn assert_token_refused(app: &TestApp, client: &TestClient) {
    let form = [("grant_type", "client_credentials")];
    assert_error(
        token_request(app, client, &form).await,
        401,
        "invalid_client",
    )
    .await;
}

async fn deactivating_in_the_back_office_refuses_the_next_token_request_and_existing_tokens(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = app.application("Switch").create_in_back_office().await;
    let token = issue(&app, &client).await;
    assert_eq!(me(&app, "/api/me", &token).await.status(), 200);

    app.post_form(
        &application_action(client.id, "deactivate"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_token_refused(&app, &client).await;
    assert_eq!(
        me(&app, "/api/me", &token).await.status(),
        401,
        "the token it held is refused"
    );

    // JWT times are whole seconds: a token from the very second of the cut-off counts
    // as issued before it.
    app.clock.advance(chrono::TimeDelta::seconds(2));
    app.post_form(
        &application_action(client.id, "activate"),
        &[("csrf_token", &csrf)],
    )
    .await;
    let fresh = issue(&app, &client).await;
    assert_eq!(me(&app, "/api/me", &fresh).await.status(), 200);
}
both_backends!(deactivating_in_the_back_office_refuses_the_next_token_request_and_existing_tokens);

async fn deleting_in_the_back_office_refuses_the_application_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = app.application("Gone").create_in_back_office().await;
    let token = issue(&app, &client).await;
    app.post_form(
        &application_action(client.id, "delete"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_token_refused(&app, &client).await;
    assert_eq!(me(&app, "/api/me", &token).await.status(), 401);
}
both_backends!(deleting_in_the_back_office_refuses_the_application_everywhere);

async fn disabling_the_owner_in_the_back_office_refuses_tokens_acting_as_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = app.application("Acting").create_in_back_office().await;
    let token = issue(&app, &client).await;
    app.post_form(
        &user_action(client.owner_user_id.unwrap(), "disable"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(me(&app, "/api/me", &token).await.status(), 401);
}
both_backends!(disabling_the_owner_in_the_back_office_refuses_tokens_acting_as_them);
