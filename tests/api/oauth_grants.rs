//! The grants: client_credentials, password and refresh_token with rotation
//! (RFC 6749 §4.3, §4.4, §6; RFC 9700 §4.14.2).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use chrono::TimeDelta;
use std::time::{Duration, Instant};
use tessera::audit::AuditAction;
use tessera::clock::Clock;

fn password_form<'a>(username: &'a str, password: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ]
}

async fn client_credentials_returns_a_bearer_token_and_no_refresh_token(backend: Backend) {
    // RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let body = client_credentials(&app, &client).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(str_of(&body, "access_token").split('.').count(), 3);
}
both_backends!(client_credentials_returns_a_bearer_token_and_no_refresh_token);

async fn client_credentials_tokens_name_the_client_as_sub_and_act_for_the_owner(backend: Backend) {
    // RFC 9068 §2.2: with no resource owner, `sub` identifies the client.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let owner = app.existing_user("erp-owner");
    let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["sub"], client.client_id.as_str());
    assert_eq!(claims["client_id"], client.client_id.as_str());
    assert_eq!(claims["tessera_user"], owner.id.to_string());
    assert_eq!(claims["tessera_kind"], "backoffice");
    let who: serde_json::Value = me(&app, "/api/me", &token).await.json().await.unwrap();
    assert_eq!(who["user"]["username"], "erp-owner");
}
both_backends!(client_credentials_tokens_name_the_client_as_sub_and_act_for_the_owner);

async fn client_credentials_stops_when_the_owner_is_disabled(backend: Backend) {
    // disabling the owner revokes what was issued, and issues no more.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    let owner = app.existing_user("erp-owner");
    app.disable_user(owner.id);
    assert_error(
        token_request(&app, &client, &[("grant_type", "client_credentials")]).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(me(&app, "/api/me", &token).await.status(), 401);
}
both_backends!(client_credentials_stops_when_the_owner_is_disabled);

async fn the_password_grant_returns_an_access_and_a_refresh_token(backend: Backend) {
    // RFC 6749 §4.3.3; `sub` is the user (RFC 9068 §2.2).
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let ann = app.user("ann", "backoffice");
    let body = password_grant(&app, &client, "ANN ").await;
    assert_eq!(body["token_type"], "Bearer");
    assert!(str_of(&body, "refresh_token").starts_with("trt_"));
    let claims = jwt_part(str_of(&body, "access_token"), 1);
    assert_eq!(claims["sub"], ann.id.to_string());
    assert_eq!(claims["tessera_user"], ann.id.to_string());
    assert_eq!(claims["client_id"], client.client_id.as_str());
}
both_backends!(the_password_grant_returns_an_access_and_a_refresh_token);

async fn a_wrong_password_and_an_unknown_user_both_get_invalid_grant_in_the_same_time(
    backend: Backend,
) {
    // RFC 6749 §5.2 invalid_grant.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let mut bodies = Vec::new();
    let mut timings: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for round in 0..5 {
        for (i, username) in ["ann".to_owned(), format!("nobody{round}")]
            .iter()
            .enumerate()
        {
            let started = Instant::now();
            let response =
                token_request(&app, &client, &password_form(username, "wrong password")).await;
            timings[i].push(started.elapsed());
            if round == 0 {
                bodies.push(error_of(response).await);
            }
        }
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0].0, 400);
    assert_eq!(bodies[0].1["error"], "invalid_grant");
    // Both ran one argon2 verification, which is most of the time; skipping it for unknown
    // users would make them several times faster. The fastest of several runs is the work
    // itself, with as little as possible of the noise of a shared machine.
    let fastest = |v: Vec<Duration>| v.into_iter().min().unwrap();
    let [known, unknown] = timings.map(fastest);
    assert!(
        known.min(unknown) * 2 > known.max(unknown),
        "{known:?} vs {unknown:?}"
    );
    let failures =
        tessera::audit::with_action(&mut app.conn(), AuditAction::PasswordGrantFailed).unwrap();
    assert_eq!(failures.len(), 10);
    assert!(
        failures
            .iter()
            .all(|e| !e.detail.contains("wrong password"))
    );
}
both_backends!(a_wrong_password_and_an_unknown_user_both_get_invalid_grant_in_the_same_time);

async fn the_password_grant_refuses_users_of_another_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let outsider = app.user("outsider", "backoffice");
    let elsewhere = app.organization("Elsewhere");
    {
        use diesel::prelude::*;
        use tessera::db::schema::users;
        diesel::update(users::table.find(outsider.id))
            .set(users::organization_id.eq(elsewhere))
            .execute(&mut *app.conn())
            .unwrap();
    }
    assert_error(
        token_request(&app, &client, &password_form("outsider", USER_PASSWORD)).await,
        400,
        "invalid_grant",
    )
    .await;
    app.user("insider", "backoffice");
    password_grant(&app, &client, "insider").await;
}
both_backends!(the_password_grant_refuses_users_of_another_organization);

async fn the_secret_that_authenticated_records_when_it_was_last_used(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    client_credentials(&app, &client).await;
    let secrets = tessera::db::models::client_secret::valid_for_client(
        &mut app.conn(),
        client.id,
        app.clock.now(),
    )
    .unwrap();
    assert_eq!(secrets[0].last_used_at, Some(app.clock.now()));
}
both_backends!(the_secret_that_authenticated_records_when_it_was_last_used);

async fn the_password_grant_takes_only_enabled_users_of_the_application_kind(backend: Backend) {
    // A frontend application signs in customers, any other back-office users.
    let app = spawn_app(backend).await;
    let back_office = app.back_office_app();
    let shop = app
        .application("shop")
        .grants(&["password"])
        .frontend()
        .register();
    app.user("ann", "backoffice");
    app.user("carl", "customer");
    password_grant(&app, &back_office, "ann").await;
    password_grant(&app, &shop, "carl").await;
    for (client, username) in [(&back_office, "carl"), (&shop, "ann")] {
        let (status, body) =
            error_of(token_request(&app, client, &password_form(username, USER_PASSWORD)).await)
                .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{username}"
        );
    }
    let carl = app.existing_user("carl");
    app.disable_user(carl.id);
    assert_error(
        token_request(&app, &shop, &password_form("carl", USER_PASSWORD)).await,
        400,
        "invalid_grant",
    )
    .await;
}
both_backends!(the_password_grant_takes_only_enabled_users_of_the_application_kind);

async fn repeated_wrong_passwords_lock_the_username_before_any_hashing(backend: Backend) {
    // RFC 6749 §4.3.2: "protect the endpoint against brute force attacks".
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    for _ in 0..5 {
        let response = token_request(&app, &client, &password_form("ann", "wrong password")).await;
        assert_eq!(response.status(), 400);
    }
    let locked = token_request(&app, &client, &password_form("ann", USER_PASSWORD)).await;
    assert_eq!(locked.status(), 429);
    assert_no_store(&locked, "429");
    let wait: i64 = header(&locked, "retry-after").parse().unwrap();
    assert!((1..=900).contains(&wait));
    assert_eq!(
        tessera::audit::with_action(&mut app.conn(), AuditAction::PasswordGrantFailed)
            .unwrap()
            .len(),
        5,
        "refusals while locked cost nothing, not even a row"
    );
    app.clock.advance(TimeDelta::seconds(wait));
    password_grant(&app, &client, "ann").await;
    // The success cleared the count.
    for _ in 0..4 {
        token_request(&app, &client, &password_form("ann", "wrong password")).await;
    }
    password_grant(&app, &client, "ann").await;
}
both_backends!(repeated_wrong_passwords_lock_the_username_before_any_hashing);

async fn a_refresh_rotates_the_token_and_spends_the_old_one(backend: Backend) {
    // RFC 6749 §6; RFC 9700 §4.14.2.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let first = password_grant(&app, &client, "ann").await;
    let old = str_of(&first, "refresh_token").to_owned();
    let second = expect_tokens(refresh(&app, &client, &old).await).await;
    let new = str_of(&second, "refresh_token").to_owned();
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(
        jwt_part(str_of(&second, "access_token"), 1)["sub"],
        jwt_part(str_of(&first, "access_token"), 1)["sub"]
    );
    expect_tokens(refresh(&app, &client, &new).await).await;
}
both_backends!(a_refresh_rotates_the_token_and_spends_the_old_one);

async fn a_replayed_refresh_token_is_invalid_grant_and_revokes_the_family(backend: Backend) {
    // RFC 9700 §4.14.2; ASVS 10.4.5.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let first = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
    let second = rotate(&app, &client, &first).await;
    let third = rotate(&app, &client, &second).await;

    assert_error(refresh(&app, &client, &first).await, 400, "invalid_grant").await;
    let (status, body) = error_of(refresh(&app, &client, &third).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the family is dead"
    );
    assert_eq!(
        tessera::audit::with_action(&mut app.conn(), AuditAction::RefreshTokenReused)
            .unwrap()
            .len(),
        1
    );
    // Another sign-in starts a new, unrelated family.
    let fresh = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
    expect_tokens(refresh(&app, &client, &fresh).await).await;
}
both_backends!(a_replayed_refresh_token_is_invalid_grant_and_revokes_the_family);

async fn concurrent_refreshes_of_one_token_give_exactly_one_success(backend: Backend) {
    // the spend is one conditional UPDATE with its row count checked.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    for round in 0..3 {
        let token = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
        let attempts = (0..8).map(|_| refresh(&app, &client, &token));
        let responses = futures_util::future::join_all(attempts).await;
        let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 400, 400, 400, 400, 400, 400, 400],
            "round {round}"
        );
    }
}
both_backends!(concurrent_refreshes_of_one_token_give_exactly_one_success);

async fn a_refresh_token_works_only_for_the_client_it_was_issued_to(backend: Backend) {
    // RFC 6749 §6: "the refresh token is bound to the client".
    let app = spawn_app(backend).await;
    let erp = app.back_office_app();
    let other = app.application("other").grants(&["password"]).register();
    app.user("ann", "backoffice");
    let token = str_of(&password_grant(&app, &erp, "ann").await, "refresh_token").to_owned();
    assert_error(refresh(&app, &other, &token).await, 400, "invalid_grant").await;
    expect_tokens(refresh(&app, &erp, &token).await).await;
}
both_backends!(a_refresh_token_works_only_for_the_client_it_was_issued_to);

async fn a_refresh_can_narrow_the_scope_but_never_widen_it(backend: Backend) {
    // RFC 6749 §6: the new refresh token keeps the original scope.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    set_scopes(&app, &client, "read write admin");
    app.user("ann", "backoffice");
    let grant = expect_tokens(
        token_request(
            &app,
            &client,
            &[
                ("grant_type", "password"),
                ("username", "ann"),
                ("password", USER_PASSWORD),
                ("scope", "read write"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(grant["scope"], "read write");
    let token = str_of(&grant, "refresh_token").to_owned();
    let wider = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &token),
            ("scope", "read admin"),
        ],
    )
    .await;
    assert_error(wider, 400, "invalid_scope").await;
    let narrow = expect_tokens(
        token_request(
            &app,
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &token),
                ("scope", "read"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(narrow["scope"], "read");
    let again = expect_tokens(refresh(&app, &client, str_of(&narrow, "refresh_token")).await).await;
    assert_eq!(
        again["scope"], "read write",
        "the grant itself did not shrink"
    );
}
both_backends!(a_refresh_can_narrow_the_scope_but_never_widen_it);

async fn refresh_tokens_expire_with_their_lifetime_and_their_family_absolute_expiry(
    backend: Backend,
) {
    // ASVS 10.4.8.
    let app = TestApp::builder(backend)
        .setting("TESSERA_REFRESH_TOKEN_TTL", "100")
        .setting("TESSERA_REFRESH_TOKEN_ABSOLUTE_TTL", "250")
        .spawn()
        .await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let idle = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
    app.clock.advance(TimeDelta::seconds(101));
    assert_eq!(
        refresh(&app, &client, &idle).await.status(),
        400,
        "past its own lifetime"
    );

    let mut token = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
    for _ in 0..3 {
        app.clock.advance(TimeDelta::seconds(80));
        token = rotate(&app, &client, &token).await;
    }
    app.clock.advance(TimeDelta::seconds(11));
    let (status, body) = error_of(refresh(&app, &client, &token).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the family ended at 250 s"
    );
}
both_backends!(refresh_tokens_expire_with_their_lifetime_and_their_family_absolute_expiry);

async fn refresh_tokens_of_a_disabled_user_stop_working(backend: Backend) {
    // ASVS 10.4.9.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let ann = app.user("ann", "backoffice");
    let token = str_of(&password_grant(&app, &client, "ann").await, "refresh_token").to_owned();
    app.disable_user(ann.id);
    assert_error(refresh(&app, &client, &token).await, 400, "invalid_grant").await;
    app.enable_user(ann.id);
    assert_eq!(
        refresh(&app, &client, &token).await.status(),
        400,
        "issued before the cut-off"
    );
}
both_backends!(refresh_tokens_of_a_disabled_user_stop_working);

async fn refresh_tokens_can_be_turned_off(backend: Backend) {
    // Oro's switch: TESSERA_REFRESH_TOKENS=false.
    let app = TestApp::builder(backend)
        .setting("TESSERA_REFRESH_TOKENS", "false")
        .spawn()
        .await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let body = password_grant(&app, &client, "ann").await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_error(
        refresh(&app, &client, "trt_anything").await,
        400,
        "unsupported_grant_type",
    )
    .await;
    let metadata: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["grant_types_supported"],
        serde_json::json!(["authorization_code", "client_credentials", "password"])
    );
}
both_backends!(refresh_tokens_can_be_turned_off);
