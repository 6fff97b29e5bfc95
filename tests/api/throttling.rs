//! Brute-force throttling that holds under concurrency, within bounded memory, and across
//! instances on one database (RFC 6749 §2.3.1 and §4.3.2: the endpoint "MUST protect"
//! against brute force; ASVS 5.0 6.3.1).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use futures_util::StreamExt;
use futures_util::future::join_all;
use std::time::{Duration, Instant};
use tessera::audit::AuditAction;
use tessera::db::models::throttle_failure;

fn password_form<'a>(username: &'a str, password: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ]
}

fn audited(app: &TestApp, action: AuditAction) -> usize {
    tessera::audit::with_action(&mut app.conn(), action)
        .unwrap()
        .len()
}

/// How many answers had each status; every 429 must say when to retry.
fn tally(responses: &[reqwest::Response]) -> (usize, usize) {
    let mut refused = 0;
    for response in responses.iter().filter(|r| r.status() == 429) {
        let wait: i64 = header(response, "retry-after")
            .parse()
            .expect("Retry-After");
        assert!((1..=900).contains(&wait), "{wait}");
        refused += 1;
    }
    (responses.len() - refused, refused)
}

/// `count` wrong password grants at once, from one connection each.
async fn concurrent_password_guesses(
    app: &TestApp,
    client: &TestClient,
    username: impl Fn(usize) -> String,
    count: usize,
) -> Vec<reqwest::Response> {
    let http = reqwest::Client::new();
    join_all((0..count).map(|i| {
        let username = username(i);
        let request = http
            .post(app.url("/oauth2-token"))
            .header("authorization", basic(&client.client_id, &client.secret))
            .form(&password_form(&username, "a wrong guess"));
        async move { request.send().await.unwrap() }
    }))
    .await
}

/// `count` wrong back-office sign-ins at once, with the sign-in form's CSRF token.
async fn concurrent_sign_ins(
    app: &TestApp,
    username: impl Fn(usize) -> String,
    count: usize,
) -> Vec<reqwest::Response> {
    let page = app.get("/admin/login").await.text().await.unwrap();
    let csrf = csrf_token(&page);
    join_all((0..count).map(|i| {
        let form = [
            ("username", username(i)),
            ("password", "a wrong guess".to_owned()),
            ("csrf_token", csrf.clone()),
        ];
        let request = app.http.post(app.url("/admin/login")).form(&form);
        async move { request.send().await.unwrap() }
    }))
    .await
}

/// Client authentication failures, 32 at a time, each from its own forwarded address.
async fn failures_from_addresses(
    app: &TestApp,
    http: &reqwest::Client,
    numbers: std::ops::Range<u32>,
) {
    futures_util::stream::iter(numbers.map(|n| {
        let address = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255);
        http.post(app.url("/oauth2-token"))
            .header("x-forwarded-for", address)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", "x"),
            ])
            .send()
    }))
    .buffer_unordered(32)
    .for_each(|response| async move {
        assert_eq!(response.unwrap().status(), 401);
    })
    .await;
}

/// Whether the password grant refuses `username` on `app`, read without making an attempt
/// (a probe with the right password would clear the count it looks at).
fn user_locked(app: &TestApp, username: &str) -> bool {
    app.state
        .token_throttles
        .password_user
        .retry_after(username, app.state.now())
        .is_some()
}

/// Waits until `check` holds, for at most `within`.
async fn eventually<F: Future<Output = bool>>(within: Duration, check: impl Fn() -> F) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn two_hundred_concurrent_password_guesses_for_one_user_verify_only_five(backend: Backend) {
    // RFC 6749 §4.3.2; ASVS 5.0 6.3.1: the count is taken before the argon2 run, so
    // connections in flight together cannot multiply the guesses.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let responses = concurrent_password_guesses(&app, &client, |_| "ann".into(), 200).await;
    let (verified, refused) = tally(&responses);
    assert_eq!((verified, refused), (5, 195));
    assert!(
        responses
            .iter()
            .filter(|r| r.status() != 429)
            .all(|r| r.status() == 400)
    );
    assert_eq!(
        audited(&app, AuditAction::PasswordGrantFailed),
        5,
        "one verification each"
    );
    let locked = token_request(&app, &client, &password_form("ann", USER_PASSWORD)).await;
    assert_eq!(locked.status(), 429, "the right password waits too");
}
both_backends!(two_hundred_concurrent_password_guesses_for_one_user_verify_only_five);

async fn concurrent_password_guesses_across_usernames_stop_at_the_address_limit(backend: Backend) {
    // RFC 6749 §4.3.2: 50 failures from one address across usernames lock the address.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let responses = concurrent_password_guesses(&app, &client, |i| format!("user{i}"), 120).await;
    assert_eq!(tally(&responses), (50, 70));
    assert_eq!(audited(&app, AuditAction::PasswordGrantFailed), 50);
}
both_backends!(concurrent_password_guesses_across_usernames_stop_at_the_address_limit);

async fn sixty_concurrent_sign_ins_for_one_username_verify_only_five(backend: Backend) {
    // ASVS 5.0 6.3.1: back-office sign-in, 5 failures per username.
    let app = spawn_app(backend).await;
    app.create_user("ann", "ann's long password", "backoffice", true);
    let responses = concurrent_sign_ins(&app, |_| "ann".into(), 60).await;
    assert_eq!(tally(&responses), (5, 55));
    assert_eq!(audited(&app, AuditAction::SignInFailed), 5);
    assert_eq!(
        app.sign_in("ann", "ann's long password").await.status(),
        429
    );
}
both_backends!(sixty_concurrent_sign_ins_for_one_username_verify_only_five);

async fn sixty_concurrent_sign_ins_across_usernames_stop_at_the_address_limit(backend: Backend) {
    // ASVS 5.0 6.3.1: back-office sign-in, 20 failures per address.
    let app = spawn_app(backend).await;
    let responses = concurrent_sign_ins(&app, |i| format!("user{i}"), 60).await;
    assert_eq!(tally(&responses), (20, 40));
    assert_eq!(audited(&app, AuditAction::SignInFailed), 20);
}
both_backends!(sixty_concurrent_sign_ins_across_usernames_stop_at_the_address_limit);

async fn sixty_concurrent_wrong_secrets_are_compared_only_ten_times(backend: Backend) {
    // RFC 6749 §2.3.1: 10 failures per client id and address.
    let app = spawn_app(backend).await;
    let wrong = TestClient {
        secret: "tsk_wrong".into(),
        ..app.back_office_app()
    };
    let responses = join_all(
        (0..60).map(|_| token_request(&app, &wrong, &[("grant_type", "client_credentials")])),
    )
    .await;
    assert_eq!(tally(&responses), (10, 50));
    assert!(
        responses
            .iter()
            .filter(|r| r.status() != 429)
            .all(|r| r.status() == 401)
    );
    assert_eq!(audited(&app, AuditAction::ClientAuthFailed), 10);
}
both_backends!(sixty_concurrent_wrong_secrets_are_compared_only_ten_times);

async fn fifty_concurrent_requests_with_the_right_secret_are_never_throttled(backend: Backend) {
    // RFC 6749 §2.3.1: throttling must not lock out a client sending many requests at once.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let responses = join_all(
        (0..50).map(|_| token_request(&app, &client, &[("grant_type", "client_credentials")])),
    )
    .await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert!(
        app.state.token_throttles.client.is_empty(),
        "successes leave no entry"
    );
    assert!(app.state.token_throttles.client_address.is_empty());
}
both_backends!(fifty_concurrent_requests_with_the_right_secret_are_never_throttled);

async fn wrong_passwords_spread_over_several_instances_lock_the_user_on_all(backend: Backend) {
    // RFC 6749 §4.3.2 with several instances on one database: failures are shared, so
    // spreading guesses over instances gains nothing.
    let a = spawn_app(backend).await;
    let client = a.back_office_app();
    a.user("ann", "backoffice");
    let b = a.another_instance().await;
    let c = a.another_instance().await;
    let instances = match backend {
        Backend::Postgres => vec![&a, &b, &c],
        Backend::Sqlite => vec![&a, &b],
    };
    for i in 0..5 {
        let app = instances[i % instances.len()];
        let response = token_request(app, &client, &password_form("ann", "a wrong guess")).await;
        assert_eq!(response.status(), 400, "guess {i}");
    }
    let started = Instant::now();
    for app in instances.iter().copied() {
        let locked = eventually(
            Duration::from_secs(1),
            || async move { user_locked(app, "ann") },
        )
        .await;
        assert!(
            locked,
            "locked on {} after {:?}",
            app.address,
            started.elapsed()
        );
    }
    eprintln!(
        "locked on every instance {:?} after the fifth failure",
        started.elapsed()
    );
    for app in instances {
        let response = token_request(app, &client, &password_form("ann", USER_PASSWORD)).await;
        assert_eq!(
            response.status(),
            429,
            "the right password waits on {}",
            app.address
        );
    }
}
both_backends!(wrong_passwords_spread_over_several_instances_lock_the_user_on_all);

async fn a_success_writes_nothing_to_the_shared_failures(backend: Backend) {
    // RFC 6749 §4.3.2: only failures are shared between instances; the token path's
    // success makes no database write for the throttle.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    token_request(&app, &client, &password_form("ann", "a wrong guess")).await;
    let app = &app;
    let written = eventually(Duration::from_secs(2), || async move {
        throttle_failure::count(&mut app.conn()).unwrap() == 2
    })
    .await;
    assert!(written, "one row per throttle the failure counts in");
    for _ in 0..5 {
        client_credentials(app, &client).await;
        password_grant(app, &client, "ann").await;
    }
    tokio::time::sleep(3 * tessera::throttle::shared::SYNC_INTERVAL).await;
    assert_eq!(throttle_failure::count(&mut app.conn()).unwrap(), 2);
}
both_backends!(a_success_writes_nothing_to_the_shared_failures);

async fn a_lock_survives_a_restart(backend: Backend) {
    // RFC 6749 §4.3.2: restarting the server is not a way to reset the count.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    for _ in 0..5 {
        token_request(&app, &client, &password_form("ann", "a wrong guess")).await;
    }
    let before = &app;
    let written = eventually(Duration::from_secs(2), || async move {
        throttle_failure::count(&mut before.conn()).unwrap() == 10
    })
    .await;
    assert!(written);
    let app = app.restart().await;
    let after = &app;
    let locked = eventually(Duration::from_secs(1), || async move {
        user_locked(after, "ann")
    })
    .await;
    assert!(locked, "the new process read the failures back");
    let response = token_request(&app, &client, &password_form("ann", USER_PASSWORD)).await;
    assert_eq!(response.status(), 429);
}
both_backends!(a_lock_survives_a_restart);

#[tokio::test]
async fn failures_from_100000_forwarded_addresses_leave_the_throttle_memory_flat() {
    // RFC 6749 §2.3.1; ASVS 5.0 6.3.1: the throttle's own memory cannot be the target of
    // a flood from many addresses (a fixed capacity, O(1) per update). The maps are the
    // same whatever the database, so this long run is made on SQLite only.
    let app = TestApp::builder(Backend::Sqlite)
        .setting("TESSERA_TRUSTED_PROXIES", "127.0.0.1")
        .spawn()
        .await;
    let client = app.back_office_app();
    let throttles = &app.state.token_throttles;
    let http = reqwest::Client::new();
    let started = Instant::now();
    failures_from_addresses(&app, &http, 0..50_000).await;
    let half = (
        throttles.client_address.len(),
        throttles.client_address.reserved_bytes(),
    );
    let halfway = started.elapsed();
    failures_from_addresses(&app, &http, 50_000..100_000).await;
    let full = (
        throttles.client_address.len(),
        throttles.client_address.reserved_bytes(),
    );
    let capacity = throttles.client_address.capacity();
    eprintln!(
        "throttle map: {} keys, {} KiB reserved at 50,000 addresses and {} keys, {} KiB at \
         100,000; {:?} for the first half, {:?} for the second",
        half.0,
        half.1 / 1024,
        full.0,
        full.1 / 1024,
        halfway,
        started.elapsed() - halfway
    );
    assert_eq!(
        (half.0, full.0),
        (capacity, capacity),
        "full, and no fuller"
    );
    assert_eq!(half.1, full.1, "not one byte more for the second 50,000");
    assert!(throttles.client.len() <= capacity);
    let asked = Instant::now();
    client_credentials(&app, &client).await;
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
}
