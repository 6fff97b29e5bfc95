//! What operators and administrators see of the server at work: `/metrics` read with a
//! Prometheus text-format parser, usage rows written by the flush and charted in the
//! back-office, request ids in responses and in JSON log lines.

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::{
    client_credentials, error_of, password_grant, refresh, str_of, token_request,
};
use crate::smtp_sink::SmtpSink;
use chrono::TimeDelta;
use diesel::prelude::*;
use tessera::db::schema::usage_counts;

/// An application whose secret is wrong.
fn with_wrong_secret(client: &TestClient) -> TestClient {
    client.with_secret("tsk_wrong")
}

async fn spawn_with_metrics(backend: Backend) -> (TestApp, u16) {
    let port = free_port();
    let app = TestApp::builder(backend)
        .setting("TESSERA_METRICS_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .await;
    (app, port)
}

async fn scrape(port: u16) -> prometheus_parse::Scrape {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("GET /metrics");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let body = response.text().await.unwrap();
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The value of the sample `name` with exactly these labels among its labels; 0 when absent.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    use prometheus_parse::Value;
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => 0.0,
        })
        .sum()
}

fn usage_rows(app: &TestApp) -> Vec<(Option<i64>, String, String, i64)> {
    usage_counts::table
        .select((
            usage_counts::client_id,
            usage_counts::event,
            usage_counts::grant_type,
            usage_counts::count,
        ))
        .order(usage_counts::id)
        .load(&mut *app.conn())
        .unwrap()
}

/// Waits up to five seconds for the usage rows to satisfy `done`, and returns them.
async fn wait_for_rows(
    app: &TestApp,
    done: impl Fn(&Vec<(Option<i64>, String, String, i64)>) -> bool,
) -> Vec<(Option<i64>, String, String, i64)> {
    for _ in 0..50 {
        let rows = usage_rows(app);
        if done(&rows) {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("usage rows never as expected: {:?}", usage_rows(app));
}

async fn metrics_count_tokens_by_grant_and_algorithm_rfc_6749_5_2_errors_and_sent_notices(
    backend: Backend,
) {
    let sink = SmtpSink::start();
    let port = free_port();
    let app = TestApp::builder(backend)
        .setting("TESSERA_SMTP_URL", sink.url())
        .setting("TESSERA_METRICS_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .await;
    let before = scrape(port).await;
    assert_eq!(
        value(
            &before,
            "tessera_tokens_issued_total",
            &[("grant", "client_credentials")]
        ),
        0.0
    );

    app.signed_in_admin().await;
    let client = app.application("Measured").create_in_back_office().await;
    sink.wait_for(1).await;
    client_credentials(&app, &client).await;
    client_credentials(&app, &client).await;
    let (status, _) = error_of(
        token_request(
            &app,
            &with_wrong_secret(&client),
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) =
        error_of(token_request(&app, &client, &[("grant_type", "urn:unknown")]).await).await;
    assert_eq!(
        (status, str_of(&body, "error")),
        (400, "unsupported_grant_type")
    );

    // The worker counts a notice once the row is marked sent, just after the delivery.
    let mut after = scrape(port).await;
    for _ in 0..50 {
        if value(&after, "tessera_notices_sent_total", &[]) >= 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = scrape(port).await;
    }
    let issued = [("grant", "client_credentials"), ("alg", "ES256")];
    assert_eq!(value(&after, "tessera_tokens_issued_total", &issued), 2.0);
    assert_eq!(
        value(
            &after,
            "tessera_token_errors_total",
            &[("error", "invalid_client")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "tessera_token_errors_total",
            &[("error", "unsupported_grant_type")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "tessera_client_auth_failures_total",
            &[("reason", "wrong_secret")]
        ),
        1.0
    );
    assert_eq!(value(&after, "tessera_notices_queued_total", &[]), 1.0);
    assert_eq!(value(&after, "tessera_notices_sent_total", &[]), 1.0);
    assert_eq!(value(&after, "tessera_outbox_waiting", &[]), 0.0);
    assert_eq!(
        value(&after, "tessera_token_request_duration_seconds_count", &[]),
        4.0
    );
    assert!(
        value(
            &after,
            "tessera_backoffice_request_duration_seconds_count",
            &[]
        ) >= 2.0
    );
    assert!(value(&after, "tessera_db_pool_connections", &[]) >= 1.0);
    // No label carries a client id, a username or a secret.
    for sample in &after.samples {
        for (_, label) in sample.labels.iter() {
            assert!(
                !label.contains(&client.client_id) && !label.contains("tsk_"),
                "{label}"
            );
        }
    }
    // Not on the public listener.
    assert_eq!(app.get("/metrics").await.status(), 404);
}
both_backends!(metrics_count_tokens_by_grant_and_algorithm_rfc_6749_5_2_errors_and_sent_notices);

async fn metrics_count_password_checks_throttled_guesses_and_refresh_token_reuse_rfc_9700_4_14_2(
    backend: Backend,
) {
    let (app, port) = spawn_with_metrics(backend).await;
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    let first = password_grant(&app, &client, "ann").await;
    let spent = str_of(&first, "refresh_token").to_owned();
    assert_eq!(refresh(&app, &client, &spent).await.status(), 200);
    let (status, body) = error_of(refresh(&app, &client, &spent).await).await;
    assert_eq!((status, str_of(&body, "error")), (400, "invalid_grant"));
    for _ in 0..5 {
        let wrong = [
            ("grant_type", "password"),
            ("username", "ann"),
            ("password", "not it at all"),
        ];
        assert_eq!(token_request(&app, &client, &wrong).await.status(), 400);
    }
    let right = [
        ("grant_type", "password"),
        ("username", "ann"),
        ("password", USER_PASSWORD),
    ];
    assert_eq!(token_request(&app, &client, &right).await.status(), 429);

    let after = scrape(port).await;
    assert_eq!(
        value(
            &after,
            "tessera_tokens_issued_total",
            &[("grant", "password")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "tessera_tokens_issued_total",
            &[("grant", "refresh_token")]
        ),
        1.0
    );
    assert_eq!(value(&after, "tessera_refresh_token_reuse_total", &[]), 1.0);
    assert_eq!(
        value(&after, "tessera_password_checks_total", &[]),
        6.0,
        "the throttled try is not hashed"
    );
    assert_eq!(
        value(
            &after,
            "tessera_throttled_requests_total",
            &[("what", "password_user")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "tessera_token_errors_total",
            &[("error", "invalid_grant")]
        ),
        6.0
    );
    assert_eq!(
        value(
            &after,
            "tessera_token_errors_total",
            &[("error", "temporarily_unavailable")]
        ),
        1.0
    );
}
both_backends!(
    metrics_count_password_checks_throttled_guesses_and_refresh_token_reuse_rfc_9700_4_14_2
);

async fn authorization_requests_are_counted_by_outcome_rfc_6749_4_1_2_1(backend: Backend) {
    let (app, port) = spawn_with_metrics(backend).await;
    let unknown = app
        .get("/oauth2-authorize?response_type=code&client_id=nobody&state=s")
        .await;
    assert_eq!(
        unknown.status(),
        400,
        "an unknown client gets a page, never a redirect"
    );
    let scraped = scrape(port).await;
    let counted = |outcome| {
        value(
            &scraped,
            "tessera_authorization_requests_total",
            &[("outcome", outcome)],
        )
    };
    assert_eq!(counted("refused"), 1.0);
    assert_eq!(counted("code"), 0.0);
}
both_backends!(authorization_requests_are_counted_by_outcome_rfc_6749_4_1_2_1);

async fn usage_is_written_by_the_flush_charted_and_dropped_after_its_retention(backend: Backend) {
    let app = TestApp::builder(backend)
        .setting("TESSERA_USAGE_RETENTION_DAYS", "90")
        .spawn()
        .await;
    app.signed_in_admin().await;
    let client = app
        .application("Charted")
        .grants(&["client_credentials"])
        .register();
    for _ in 0..3 {
        client_credentials(&app, &client).await;
    }
    let refused = token_request(
        &app,
        &with_wrong_secret(&client),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(refused.status(), 401);
    assert!(usage_rows(&app).is_empty(), "nothing is written per token");

    // The flush task sees the minute end on the server's clock within a second.
    app.clock.advance(TimeDelta::minutes(1));
    let rows = wait_for_rows(&app, |rows| !rows.is_empty()).await;
    assert_eq!(
        rows,
        vec![
            (
                Some(client.id),
                "token".into(),
                "client_credentials".into(),
                3
            ),
            (Some(client.id), "failure".into(), String::new(), 1),
        ]
    );
    assert_eq!(
        tessera::usage::flush(&app.state).await.unwrap(),
        0,
        "counts are taken once"
    );

    let dashboard = app.get("/admin").await.text().await.unwrap();
    // The hour's row of the screen-reader table: client credentials, password, refresh, total.
    assert!(
        dashboard.contains("<td>3</td><td>0</td><td>0</td><td>3</td>"),
        "{dashboard}"
    );
    assert!(dashboard.contains("Failed: 1"), "{dashboard}");
    assert!(dashboard.contains("<rect class=\"bar\""));
    let busiest = &dashboard[dashboard.find("data-testid=\"busiest\"").unwrap()..];
    assert!(busiest.contains("Charted</a></td><td>3</td>"), "{busiest}");

    let page = app
        .get(&format!("/admin/oauth-applications/{}", client.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("3 tokens and 1 failed requests in the last 30 days"),
        "{page}"
    );
    assert!(page.contains("data-testid=\"chart-tokens-daily\""));
    assert!(
        page.contains("<td>3</td><td>0</td><td>0</td><td>3</td>"),
        "{page}"
    );

    app.clock.advance(TimeDelta::days(91));
    wait_for_rows(&app, Vec::is_empty).await;
}
both_backends!(usage_is_written_by_the_flush_charted_and_dropped_after_its_retention);

async fn every_response_carries_a_request_id_of_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.get("/healthz").await;
    let second = app.get("/admin/login").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (a, b) = (id(&first), id(&second));
    assert_eq!(a.len(), 16);
    assert_ne!(a, b);
}
both_backends!(every_response_carries_a_request_id_of_its_own);

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id_the_response_carried() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.current_dir(dir.path()).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("TESSERA_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("TESSERA_BIND", format!("127.0.0.1:{port}"))
            .env("TESSERA_LOG_FORMAT", "json")
            .env("TESSERA_USER_PASSWORD", "a long enough password")
            .env("RUST_LOG", "info,tessera=debug");
        cmd
    };
    let out = run(&[
        "users",
        "create",
        "--username",
        "owner",
        "--email",
        "o@example.com",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "clients",
        "create",
        "--name",
        "Logged",
        "--grant",
        "client_credentials",
        "--owner",
        "owner",
        "--json",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();

    let mut child = run(&["serve"]).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/oauth2-token");
    let mut answer = None;
    for _ in 0..100 {
        match http
            .post(&url)
            .basic_auth(&client_id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
        {
            Ok(response) => {
                answer = Some(response);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let answer = answer.expect("the server answers");
    assert_eq!(answer.status(), 200);
    let request_id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while let Some(wait) = deadline.checked_duration_since(std::time::Instant::now()) {
        let Ok(line) = received.recv_timeout(wait) else {
            break;
        };
        let done = line.contains(&request_id) && line.contains("request answered");
        seen.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let objects: Vec<serde_json::Value> = seen
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for object in &objects {
        for key in ["time", "level", "target", "message"] {
            assert!(object[key].is_string(), "{key} in {object}");
        }
    }
    let answered = objects
        .iter()
        .find(|o| o["request_id"] == request_id.as_str() && o["message"] == "request answered")
        .unwrap_or_else(|| panic!("no line of request {request_id}: {seen:#?}"));
    assert_eq!(answered["client_id"], client_id.as_str());
    assert_eq!(answered["status"], 200);
    assert_eq!(answered["path"], "/oauth2-token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_charts_render_in_a_real_browser_without_script() {
    use crate::webdriver::{Browser, missing_browser};
    if let Some(why) = missing_browser() {
        eprintln!("skipped: {why}");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    app.create_user(ADMIN_USERNAME, ADMIN_PASSWORD, "backoffice", true);
    let client = app.back_office_app();
    app.user("ann", "backoffice");
    // Three hours of traffic, each flushed when the server's clock moves on.
    for hour in 0..3 {
        for _ in 0..(2 + hour * 3) {
            client_credentials(&app, &client).await;
        }
        let signed_in = password_grant(&app, &client, "ann").await;
        if hour > 0 {
            refresh(&app, &client, str_of(&signed_in, "refresh_token")).await;
            token_request(
                &app,
                &with_wrong_secret(&client),
                &[("grant_type", "client_credentials")],
            )
            .await;
        }
        let before = usage_rows(&app).len();
        app.clock.advance(TimeDelta::hours(1));
        wait_for_rows(&app, |rows| rows.len() > before).await;
    }

    let browser = Browser::start().await;
    browser.goto(&app.url("/admin")).await;
    browser
        .type_into(&browser.find("#username").await, ADMIN_USERNAME)
        .await;
    browser
        .type_into(&browser.find("#password").await, ADMIN_PASSWORD)
        .await;
    browser
        .click(&browser.find("button[type=submit].primary").await)
        .await;
    browser.find("[data-testid=usage]").await;
    assert_eq!(browser.count("svg.chart-svg").await, 2);
    assert!(
        browser.count("rect.bar").await >= 3,
        "stacked bars are drawn"
    );
    let busiest = browser
        .text(&browser.find("[data-testid=busiest]").await)
        .await;
    assert!(busiest.contains("erp"), "{busiest}");
    browser.screenshot("usage-dashboard.png").await;

    browser
        .goto(&app.url(&format!("/admin/oauth-applications/{}", client.id)))
        .await;
    browser.find("[data-testid=chart-tokens-daily]").await;
    assert_eq!(browser.count("svg.chart-svg").await, 2);
    let summary = browser
        .text(&browser.find("[data-testid=usage] p").await)
        .await;
    assert!(
        summary.starts_with("20 tokens and 2 failed requests"),
        "{summary}"
    );
    browser.screenshot("usage-application.png").await;
    browser.quit().await;
}
