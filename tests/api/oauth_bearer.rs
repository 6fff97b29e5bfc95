//! The bearer guard of Tessera's own API: `/api/me` and `/api/frontend/me` (RFC 6750;
//! ASVS 10.4.9).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use chrono::TimeDelta;
use serde_json::Value;

async fn api_me_says_who_a_back_office_token_acts_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let ann = app.user("ann", "backoffice");
    let token = str_of(&password_grant(&app, &client, "ann").await, "access_token").to_owned();
    let response = me(&app, "/api/me", &token).await;
    assert_eq!(response.status(), 200);
    assert_no_store(&response, "/api/me");
    let who: Value = response.json().await.unwrap();
    assert_eq!(who["user"]["id"], ann.id);
    assert_eq!(who["user"]["username"], "ann");
    assert_eq!(who["user"]["kind"], "backoffice");
    assert_eq!(who["client_id"], client.client_id.as_str());
    assert_eq!(who["sub"], ann.id.to_string());
}
both_backends!(api_me_says_who_a_back_office_token_acts_for);

async fn each_api_takes_only_its_own_kind_of_token(backend: Backend) {
    // /api/... is for back-office tokens, /api/frontend/... for customer tokens.
    let app = spawn_app(backend).await;
    let back_office = app.back_office_app();
    let shop = app
        .application("shop")
        .grants(&["client_credentials", "password"])
        .frontend()
        .register();
    app.user("ann", "backoffice");
    app.user("carl", "customer");
    let staff = str_of(
        &password_grant(&app, &back_office, "ann").await,
        "access_token",
    )
    .to_owned();
    let customer = str_of(&password_grant(&app, &shop, "carl").await, "access_token").to_owned();
    let machine = str_of(&client_credentials(&app, &shop).await, "access_token").to_owned();
    assert_eq!(jwt_part(&customer, 1)["tessera_kind"], "customer");

    assert_eq!(me(&app, "/api/me", &staff).await.status(), 200);
    assert_eq!(me(&app, "/api/frontend/me", &customer).await.status(), 200);
    assert_eq!(me(&app, "/api/frontend/me", &machine).await.status(), 200);
    for (path, token) in [
        ("/api/me", &customer),
        ("/api/me", &machine),
        ("/api/frontend/me", &staff),
    ] {
        let refused = me(&app, path, token).await;
        assert_eq!(refused.status(), 401, "{path}");
        assert!(header(&refused, "www-authenticate").contains("error=\"invalid_token\""));
    }
}
both_backends!(each_api_takes_only_its_own_kind_of_token);

async fn a_token_of_a_disabled_user_is_refused(backend: Backend) {
    // ASVS 10.4.9.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let ann = app.user("ann", "backoffice");
    let token = str_of(&password_grant(&app, &client, "ann").await, "access_token").to_owned();
    app.disable_user(ann.id);
    let refused = me(&app, "/api/me", &token).await;
    assert_eq!(refused.status(), 401);
    assert!(
        header(&refused, "www-authenticate")
            .starts_with("Bearer realm=\"tessera\", error=\"invalid_token\"")
    );
    app.enable_user(ann.id);
    assert_eq!(
        me(&app, "/api/me", &token).await.status(),
        401,
        "re-enabling revives nothing"
    );
}
both_backends!(a_token_of_a_disabled_user_is_refused);

async fn an_expired_token_is_refused(backend: Backend) {
    // RFC 9068 §4: exp is checked.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    app.clock.advance(TimeDelta::seconds(3599));
    assert_eq!(me(&app, "/api/me", &token).await.status(), 200);
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(me(&app, "/api/me", &token).await.status(), 401);
}
both_backends!(an_expired_token_is_refused);

async fn a_per_application_lifetime_overrides_the_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    {
        use diesel::prelude::*;
        use tessera::db::schema::clients;
        change_directly(&app, |conn| {
            diesel::update(clients::table.find(client.id))
                .set(clients::access_token_ttl.eq(Some(60)))
                .execute(conn)
        });
    }
    let body = client_credentials(&app, &client).await;
    assert_eq!(body["expires_in"], 60);
    app.clock.advance(TimeDelta::seconds(60));
    assert_eq!(
        me(&app, "/api/me", str_of(&body, "access_token"))
            .await
            .status(),
        401
    );
}
both_backends!(a_per_application_lifetime_overrides_the_default);

#[tokio::test]
async fn a_request_without_a_token_gets_a_bare_bearer_challenge() {
    // RFC 6750 §3.1: no error code when the request carried no authentication.
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/api/me").await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        header(&response, "www-authenticate"),
        "Bearer realm=\"tessera\""
    );
    let garbage = me(&app, "/api/frontend/me", "not-a-token").await;
    assert_eq!(garbage.status(), 401);
    assert!(header(&garbage, "www-authenticate").contains("error=\"invalid_token\""));
}
