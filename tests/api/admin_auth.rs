//! Back-office sign-in, sessions and CSRF.

use crate::both_backends;
use crate::helpers::*;
use chrono::TimeDelta;
use tessera::audit::AuditAction;

async fn anonymous_back_office_requests_are_sent_to_sign_in_with_303(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/admin", APPLICATIONS, "/admin/no-such-page"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/admin/login", "{path}");
    }
}
both_backends!(anonymous_back_office_requests_are_sent_to_sign_in_with_303);

async fn the_first_run_setup_link_creates_an_administrator_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app
        .setup_link
        .clone()
        .expect("a setup link while no admin exists");
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let token = hidden_field(&html, "token").unwrap();
    let form = [
        ("token", token.as_str()),
        ("username", "Root"),
        ("email", "root@example.com"),
        ("password", "a long enough password"),
        ("password_confirm", "a long enough password"),
        ("csrf_token", &csrf_token(&html)),
    ];
    let created = app.post_form("/admin/setup", &form).await;
    assert_redirects_to(&created, "/admin");
    let dashboard = app.get("/admin").await.text().await.unwrap();
    assert!(
        dashboard.contains("root"),
        "signed in as the new administrator"
    );

    let again = app.http.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 403, "the link is spent");
    let replay = app.post_form("/admin/setup", &form).await;
    assert_eq!(replay.status(), 403);
    let admins = tessera::db::models::user::count_admins(&mut app.conn()).unwrap();
    assert_eq!(admins, 1);
}
both_backends!(the_first_run_setup_link_creates_an_administrator_once);

async fn setup_shows_field_errors_and_keeps_the_link_valid(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app.setup_link.clone().unwrap();
    let html = app
        .http
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&html, "token").unwrap();
    let response = app
        .post_form(
            "/admin/setup",
            &[
                ("token", &token),
                ("username", "ok-name"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "short"),
                ("csrf_token", &csrf_token(&html)),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("Enter an email address like name@example.com."));
    assert!(body.contains("A password has at least 8 characters."));
    assert!(body.contains("value=\"ok-name\""), "typed values are kept");
    assert_eq!(app.http.get(&link).send().await.unwrap().status(), 200);
}
both_backends!(setup_shows_field_errors_and_keeps_the_link_valid);

async fn a_wrong_guess_at_the_setup_token_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/admin/setup?token=guess").await.status(), 403);
}
both_backends!(a_wrong_guess_at_the_setup_token_is_refused);

async fn signing_in_and_out_ends_the_session_for_real(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user("ann", "ann's long password", "backoffice", true);
    let response = app.sign_in("ANN", "ann's long password").await;
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tessera_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains("Secure"),
        "plain http issuer: no Secure flag"
    );
    let session_value = cookie.split(';').next().unwrap().to_owned();

    let dashboard = app.get("/admin").await;
    assert_eq!(dashboard.status(), 200);
    assert_eq!(dashboard.headers()["cache-control"], "no-store");
    let csrf = csrf_token(&dashboard.text().await.unwrap());

    let out = app
        .post_form("/admin/logout", &[("csrf_token", &csrf)])
        .await;
    assert_redirects_to(&out, "/admin/login");
    // The copied cookie is worthless: the row is gone.
    let replayed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/admin"))
        .header("cookie", session_value)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 303);
}
both_backends!(signing_in_and_out_ends_the_session_for_real);

async fn the_session_cookie_is_secure_when_the_issuer_is_https(backend: Backend) {
    let app = TestApp::builder(backend)
        .setting("TESSERA_ISSUER", "https://auth.example.com")
        .spawn()
        .await;
    app.create_user("ann", "ann's long password", "backoffice", true);
    let response = app.sign_in("ann", "ann's long password").await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tessera_session="))
        .unwrap()
        .to_owned();
    assert!(cookie.contains("Secure"));
}
both_backends!(the_session_cookie_is_secure_when_the_issuer_is_https);

async fn a_wrong_password_and_an_unknown_user_get_the_same_generic_message(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user("ann", "ann's long password", "backoffice", true);
    let wrong = app.sign_in("ann", "not her password").await;
    assert_eq!(wrong.status(), 200);
    let wrong = wrong.text().await.unwrap();
    let unknown = app
        .sign_in("nobody", "not her password")
        .await
        .text()
        .await
        .unwrap();
    for body in [&wrong, &unknown] {
        assert!(body.contains("Invalid username or password."));
    }
    assert_eq!(app.get("/admin").await.status(), 303, "not signed in");
    let failures = tessera::audit::with_action(&mut app.conn(), AuditAction::SignInFailed).unwrap();
    assert_eq!(failures.len(), 2, "failures reach the audit log");
}
both_backends!(a_wrong_password_and_an_unknown_user_get_the_same_generic_message);

async fn users_who_are_not_enabled_administrators_cannot_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user("clerk", "clerk's long password", "backoffice", false);
    app.create_user("buyer", "buyer's long password", "customer", true);
    let gone = app.create_user("gone", "gone's long password", "backoffice", true);
    app.disable_user(gone.id);
    for (user, password) in [
        ("clerk", "clerk's long password"),
        ("buyer", "buyer's long password"),
        ("gone", "gone's long password"),
    ] {
        let body = app.sign_in(user, password).await.text().await.unwrap();
        assert!(body.contains("Invalid username or password."), "{user}");
    }
}
both_backends!(users_who_are_not_enabled_administrators_cannot_sign_in);

async fn repeated_failures_throttle_the_account_until_the_lockout_passes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user("ann", "ann's long password", "backoffice", true);
    for _ in 0..5 {
        app.sign_in("ann", "wrong password!").await;
    }
    let locked = app.sign_in("ann", "ann's long password").await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert_eq!(locked.headers()["retry-after"], "900");
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-in attempts")
    );

    app.clock.advance(TimeDelta::minutes(16));
    assert_eq!(
        app.sign_in("ann", "ann's long password").await.status(),
        303
    );
}
both_backends!(repeated_failures_throttle_the_account_until_the_lockout_passes);

async fn a_post_without_a_valid_csrf_token_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let response = app
        .post_form("/admin/logout", &[("csrf_token", "forged")])
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.get("/admin").await.status(), 200, "still signed in");

    let page = app.get("/admin/login").await.text().await.unwrap();
    let anonymous = reqwest::Client::new()
        .post(app.url("/admin/login"))
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", &csrf_token(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403, "sign-in without the form cookie");
}
both_backends!(a_post_without_a_valid_csrf_token_is_refused);

async fn a_cross_site_origin_is_refused_even_with_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let response = app
        .http
        .post(app.url("/admin/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let same_site = app
        .http
        .post(app.url("/admin/logout"))
        .header("origin", app.address.as_str())
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 303);
}
both_backends!(a_cross_site_origin_is_refused_even_with_the_token);

async fn an_idle_session_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    app.clock.advance(TimeDelta::minutes(29));
    assert_eq!(app.get("/admin").await.status(), 200);
    app.clock.advance(TimeDelta::minutes(31));
    assert_eq!(app.get("/admin").await.status(), 303);
}
both_backends!(an_idle_session_expires);

async fn a_busy_session_still_ends_at_the_absolute_timeout(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    for _ in 0..24 {
        app.clock.advance(TimeDelta::minutes(29));
        assert_eq!(app.get("/admin").await.status(), 200);
    }
    app.clock.advance(TimeDelta::minutes(29));
    assert_eq!(app.get("/admin").await.status(), 303, "12 hours are up");
}
both_backends!(a_busy_session_still_ends_at_the_absolute_timeout);

async fn behind_a_trusted_proxy_the_forwarded_address_counts_and_elsewhere_it_is_ignored(
    backend: Backend,
) {
    for (trusted, expected) in [("127.0.0.1", "198.51.100.7"), ("", "127.0.0.1")] {
        let app = TestApp::builder(backend)
            .setting("TESSERA_TRUSTED_PROXIES", trusted)
            .spawn()
            .await;
        let page = app.get("/admin/login").await.text().await.unwrap();
        app.http
            .post(app.url("/admin/login"))
            .header("x-forwarded-for", "198.51.100.7, 127.0.0.1")
            .form(&[
                ("username", "nobody"),
                ("password", "wrong password"),
                ("csrf_token", &csrf_token(&page)),
            ])
            .send()
            .await
            .unwrap();
        let failures =
            tessera::audit::with_action(&mut app.conn(), AuditAction::SignInFailed).unwrap();
        assert_eq!(
            failures[0].ip.as_deref(),
            Some(expected),
            "trusted proxies: {trusted:?}"
        );
    }
}
both_backends!(behind_a_trusted_proxy_the_forwarded_address_counts_and_elsewhere_it_is_ignored);

async fn signing_in_again_issues_a_new_session_id(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let first = app
        .state
        .pool
        .get()
        .map(|mut c| session_hashes(&mut c))
        .unwrap();
    app.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let second = app
        .state
        .pool
        .get()
        .map(|mut c| session_hashes(&mut c))
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1, "the previous session was removed");
    assert_ne!(first, second);
}
both_backends!(signing_in_again_issues_a_new_session_id);

fn session_hashes(conn: &mut tessera::db::DbConn) -> Vec<String> {
    use diesel::prelude::*;
    use tessera::db::schema::admin_sessions::dsl::*;
    admin_sessions.select(token_hash).load(conn).unwrap()
}
