//! Health, headers, limits and missing keys.

use crate::both_backends;
use crate::helpers::*;

const CSP: &str = concat!(
    "default-src 'self'; object-src 'none'; base-uri 'none'; ",
    "frame-ancestors 'none'; form-action 'self'"
);

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let h = response.headers();
    assert_eq!(h["content-security-policy"], CSP, "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "same-origin", "{what}");
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}
both_backends!(health_and_readiness_answer);

async fn every_page_carries_the_security_headers_error_pages_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.get("/admin/login").await;
    assert_eq!(login.status(), 200);
    assert_security_headers(&login, "sign-in page");
    let missing = app.get("/nothing-here").await;
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing, "404 page");
    let forbidden = app.get("/admin/setup?token=nope").await;
    assert_eq!(forbidden.status(), 403);
    assert_security_headers(&forbidden, "403 page");
    assert!(
        forbidden
            .text()
            .await
            .unwrap()
            .contains("setup link is invalid")
    );
    app.signed_in_admin().await;
    let dashboard = app.get("/admin").await;
    assert_security_headers(&dashboard, "dashboard");
    assert_eq!(dashboard.headers()["cache-control"], "no-store");
}
both_backends!(every_page_carries_the_security_headers_error_pages_too);

async fn pages_use_no_inline_script_and_the_stylesheet_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get("/admin/login").await.text().await.unwrap();
    assert!(!page.contains("<script>"), "scripts come from /static only");
    assert!(!page.contains("style=\""), "no inline style");
    let css = app.get("/static/css/app.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
both_backends!(pages_use_no_inline_script_and_the_stylesheet_is_served);

async fn an_oversized_form_is_answered_with_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get("/admin/login").await.text().await.unwrap();
    let huge = "x".repeat(100 * 1024);
    let response = app
        .post_form(
            "/admin/login",
            &[
                ("username", huge.as_str()),
                ("password", "x"),
                ("csrf_token", &csrf_token(&page)),
            ],
        )
        .await;
    assert_eq!(response.status(), 413);
}
both_backends!(an_oversized_form_is_answered_with_413);

async fn the_first_start_generates_a_signing_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let keys: Vec<_> = std::fs::read_dir(app.dir.path().join("keys"))
        .unwrap()
        .filter(|entry| {
            let path = entry.as_ref().unwrap().path();
            path.extension().is_some_and(|e| e == "pem")
        })
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "one key, beside the lock file that servers share"
    );
    app.signed_in_admin().await;
    let dashboard = app.get("/admin").await.text().await.unwrap();
    assert!(!dashboard.contains("data-testid=\"keys-warning\""));
}
both_backends!(the_first_start_generates_a_signing_key);

async fn missing_keys_show_the_banner_instead_of_stopping_the_server(backend: Backend) {
    let app = TestApp::builder(backend)
        .setting("TESSERA_GENERATE_KEYS", "false")
        .spawn()
        .await;
    app.signed_in_admin().await;
    let dashboard = app.get("/admin").await.text().await.unwrap();
    assert!(dashboard.contains(
        "OAuth authorization is not available as encryption keys configuration was not complete."
    ));
}
both_backends!(missing_keys_show_the_banner_instead_of_stopping_the_server);

async fn the_default_organization_exists_from_the_start(backend: Backend) {
    let app = spawn_app(backend).await;
    let orgs = tessera::db::models::organization::list(&mut app.conn()).unwrap();
    assert_eq!(
        orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        [DEFAULT_ORGANIZATION]
    );
}
both_backends!(the_default_organization_exists_from_the_start);

#[tokio::test]
async fn a_database_failure_shows_a_generic_500_page_with_the_cause_in_the_log_only() {
    let app = spawn_app(Backend::Sqlite).await;
    app.signed_in_admin().await;
    // Remove the tables under the running server: the next query fails.
    diesel::connection::SimpleConnection::batch_execute(
        &mut *app.conn(),
        "PRAGMA foreign_keys = OFF; DROP TABLE clients;",
    )
    .unwrap();
    let page = app.get("/admin").await;
    assert_eq!(page.status(), 500);
    let body = page.text().await.unwrap();
    assert!(body.contains("Something went wrong"));
    assert!(
        !body.contains("no such table"),
        "the cause stays in the log"
    );
}

/// A transaction that reads and then writes while another connection writes: on SQLite a
/// deferred transaction would fail with "database is locked"; ours waits its turn.
#[tokio::test]
async fn a_read_then_write_transaction_survives_a_concurrent_writer_on_sqlite() {
    use diesel::prelude::*;
    use std::sync::mpsc;
    use tessera::db::models::organization;
    let app = spawn_app(Backend::Sqlite).await;
    let (pool_a, pool_b) = (app.state.pool.clone(), app.state.pool.clone());
    let (read_done, wait_for_read) = mpsc::channel();
    let first = std::thread::spawn(move || {
        let mut conn = pool_a.get().unwrap();
        tessera::db::transaction(&mut conn, |conn| {
            organization::list(conn)?;
            read_done.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            organization::create(conn, "From the transaction", app_now())
        })
    });
    wait_for_read.recv().unwrap();
    let second = std::thread::spawn(move || {
        let mut conn = pool_b.get().unwrap();
        organization::create(&mut conn, "Meanwhile", app_now())
    });
    assert!(first.join().unwrap().is_ok(), "the transaction committed");
    assert!(
        second.join().unwrap().is_ok(),
        "the other writer waited, then wrote"
    );
    let names: Vec<String> = tessera::db::schema::organizations::table
        .select(tessera::db::schema::organizations::name)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(names.len(), 3);
}

fn app_now() -> chrono::NaiveDateTime {
    tessera::clock::Clock::now(&tessera::clock::SystemClock)
}

/// `/readyz` reports the database, `/healthz` only the process.
#[tokio::test]
#[cfg_attr(
    not(tessera_test_postgres),
    ignore = "TESSERA_TEST_POSTGRES_URL is not set"
)]
async fn readiness_fails_while_the_database_refuses_connections_and_health_does_not() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let app = spawn_app(Backend::Postgres).await;
    let admin_url = postgres_url().expect("TESSERA_TEST_POSTGRES_URL");
    assert_eq!(app.get("/readyz").await.status(), 200);
    let tessera::db::DatabaseUrl::Postgres(url) = &app.state.settings.database_url else {
        unreachable!("a PostgreSQL app");
    };
    let path = url.split('?').next().unwrap();
    let name = path.rsplit('/').next().unwrap().to_owned();
    let mut admin = PgConnection::establish(&admin_url).unwrap();
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "database unavailable");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// `/readyz` says when mail is not being delivered: here the worker hangs on an SMTP server
/// that accepts the connection and never greets (RFC 5321 §4.5.3.2 lets a client wait
/// minutes), and no other server takes the notice that has come due meanwhile.
async fn readiness_fails_while_a_due_notice_waits_for_a_hung_mail_worker(backend: Backend) {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (release, released) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let held = silent.accept();
        released.recv().ok();
        drop(held);
    });
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .spawn()
        .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let owner = app.create_user("owner", "the owner's long password", "backoffice", false);
    app.application("Hung mail").owner(owner.id).register();
    app.state.mail_queued();
    let claimed = || {
        tessera::db::models::mail_outbox::list_recent(&mut app.conn(), None, 10)
            .unwrap()
            .iter()
            .any(|row| row.attempts == 1 && row.status == "pending")
    };
    for _ in 0..50 {
        if claimed() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        claimed(),
        "the worker took the notice and waits for a greeting"
    );

    // Past the worker's lease and five more minutes: the notice is due again, untaken.
    app.clock.advance(chrono::TimeDelta::minutes(11));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "mail outbox stuck");
    assert_eq!(app.get("/healthz").await.status(), 200);

    // The server hangs up: the worker gives up on it and schedules a retry, ready again.
    release.send(()).unwrap();
    let mut status = 503;
    for _ in 0..200 {
        status = app.get("/readyz").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready once the retry is scheduled");
}
both_backends!(readiness_fails_while_a_due_notice_waits_for_a_hung_mail_worker);
