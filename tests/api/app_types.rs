//! Application types at the authorization server: public clients authenticating with their
//! client_id alone, and CORS for the JavaScript origins browser applications register.

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use serde_json::Value;
use tessera::audit::AuditAction;
use tessera::clients::{self, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::{client, organization};
use tessera::domain::{ApplicationType, ClientName, Grants, Origins, RedirectUris};
use tessera::oauth::refresh_tokens::{Family, store as store_refresh_token};

/// Registers an active browser application (a public client) with these origins.
pub fn browser_app(app: &TestApp, name: &str, origins: &str) -> TestClient {
    let mut conn = app.conn();
    let org = organization::find_by_name(&mut conn, organization::DEFAULT_NAME)
        .unwrap()
        .unwrap();
    let spec = ClientSpec {
        app_type: ApplicationType::Public,
        redirect_uris: RedirectUris::parse_lines("https://spa.example/callback").unwrap(),
        origins: Origins::parse_lines(origins).unwrap(),
        ..ClientSpec::legacy(
            org.id,
            ClientName::parse(name).unwrap(),
            Grants::parse(["authorization_code"]).unwrap(),
            None,
            false,
        )
    };
    let (client, secret) =
        clients::register(&mut conn, &spec, None, &actor(), app.clock.now()).unwrap();
    assert!(secret.is_none(), "a public client has no secret");
    TestClient::new(client, String::new())
}

/// A refresh token of `client` for a back-office user, as a completed sign-in leaves one.
fn refresh_token_for(app: &TestApp, client: &TestClient) -> String {
    let user = app.user("ann", "backoffice");
    let mut conn = app.conn();
    let row = client::get(&mut conn, client.id).unwrap().unwrap();
    let now = app.clock.now();
    let family = Family::start(&app.state.settings, now);
    store_refresh_token(
        &mut conn,
        app.state.settings.refresh_token_ttl,
        &family,
        &row,
        &user,
        &Default::default(),
        now,
    )
    .unwrap()
    .expose()
    .to_owned()
}

async fn post_from(
    app: &TestApp,
    path: &str,
    origin: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .header("origin", origin)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn a_public_client_gets_tokens_with_its_client_id_alone_only_for_the_grants_that_allow_it_rfc_6749_section_2_1(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let spa = browser_app(&app, "SPA", "https://spa.example");
    let refresh = refresh_token_for(&app, &spa);
    let response = post(
        &app,
        "/oauth2-token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &spa.client_id),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["access_token"].is_string() && body["refresh_token"].is_string(),
        "{body}"
    );

    for grant in ["client_credentials", "password"] {
        let refused = post(
            &app,
            "/oauth2-token",
            &[
                ("grant_type", grant),
                ("client_id", &spa.client_id),
                ("username", "ann"),
                ("password", USER_PASSWORD),
            ],
        )
        .await;
        assert_eq!(
            error_of(refused).await,
            (401, "invalid_client".into()),
            "{grant}"
        );
    }
    let introspect = post(
        &app,
        "/oauth2-introspect",
        &[("client_id", &spa.client_id), ("token", "x")],
    )
    .await;
    assert_eq!(
        error_of(introspect).await,
        (401, "invalid_client".into()),
        "introspection is for confidential clients"
    );
    let revoke = post(
        &app,
        "/oauth2-revoke",
        &[("client_id", &spa.client_id), ("token", &refresh)],
    )
    .await;
    assert_eq!(
        revoke.status(),
        200,
        "RFC 7009 section 2.1: a public client revokes with its client_id"
    );
}
both_backends!(a_public_client_gets_tokens_with_its_client_id_alone_only_for_the_grants_that_allow_it_rfc_6749_section_2_1);

async fn a_public_client_presenting_a_secret_and_a_confidential_one_presenting_none_are_invalid_clients_rfc_6749_section_2_3(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let spa = browser_app(&app, "SPA", "https://spa.example");
    let refresh = refresh_token_for(&app, &spa);
    let with_secret = post(
        &app,
        "/oauth2-token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &spa.client_id),
            ("client_secret", "tsk_guess"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(error_of(with_secret).await, (401, "invalid_client".into()));
    let basic_secret = reqwest::Client::new()
        .post(app.url("/oauth2-token"))
        .header("authorization", basic(&spa.client_id, "tsk_guess"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(basic_secret).await, (401, "invalid_client".into()));

    let erp = app.back_office_app();
    let without = post(
        &app,
        "/oauth2-token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &erp.client_id),
        ],
    )
    .await;
    assert_eq!(error_of(without).await, (401, "invalid_client".into()));
    let empty_basic = reqwest::Client::new()
        .post(app.url("/oauth2-token"))
        .header("authorization", basic(&erp.client_id, ""))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(empty_basic).await, (401, "invalid_client".into()));
    let refused =
        tessera::audit::with_action(&mut app.conn(), AuditAction::ClientAuthFailed).unwrap();
    let details: Vec<&str> = refused.iter().map(|e| e.detail.as_str()).collect();
    assert!(
        details.contains(&"public client presented a secret"),
        "{details:?}"
    );
    assert!(
        details.contains(&"confidential client without a secret"),
        "{details:?}"
    );
}
both_backends!(a_public_client_presenting_a_secret_and_a_confidential_one_presenting_none_are_invalid_clients_rfc_6749_section_2_3);

async fn a_preflight_allows_only_origins_an_active_application_registered_and_never_a_wildcard(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    browser_app(
        &app,
        "Shop SPA",
        "https://shop.example\nhttp://localhost:5173",
    );
    for path in ["/oauth2-token", "/oauth2-revoke"] {
        let allowed = preflight(&app, path, "https://shop.example").await;
        assert_eq!(allowed.status(), 204, "{path}");
        assert_eq!(
            header(&allowed, "access-control-allow-origin"),
            Some("https://shop.example")
        );
        assert_eq!(
            header(&allowed, "access-control-allow-methods"),
            Some("POST, OPTIONS")
        );
        assert_eq!(
            header(&allowed, "access-control-allow-headers"),
            Some("Authorization, Content-Type")
        );
        assert_eq!(header(&allowed, "access-control-max-age"), Some("600"));
        assert!(header(&allowed, "vary").is_some_and(|v| v.contains("Origin")));
        let loopback = preflight(&app, path, "http://localhost:5173").await;
        assert_eq!(
            header(&loopback, "access-control-allow-origin"),
            Some("http://localhost:5173")
        );

        for stranger in [
            "https://evil.example",
            "https://shop.example.evil.example",
            "null",
            "https://shop.example/",
        ] {
            let refused = preflight(&app, path, stranger).await;
            assert!(
                refused
                    .headers()
                    .keys()
                    .all(|k| !k.as_str().starts_with("access-control-")),
                "{path} {stranger}: {:?}",
                refused.headers()
            );
            assert!(header(&refused, "vary").is_some_and(|v| v.contains("Origin")));
        }
    }
    let introspect = preflight(&app, "/oauth2-introspect", "https://shop.example").await;
    assert!(
        header(&introspect, "access-control-allow-origin").is_none(),
        "no CORS on introspection"
    );
    let metadata = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(
        header(&metadata, "access-control-allow-origin"),
        Some("*"),
        "discovery is public"
    );
}
both_backends!(
    a_preflight_allows_only_origins_an_active_application_registered_and_never_a_wildcard
);

async fn a_preflight_stops_allowing_the_origin_of_a_deactivated_application(backend: Backend) {
    let app = spawn_app(backend).await;
    let spa = browser_app(&app, "SPA", "https://spa.example");
    clients::deactivate(&mut app.conn(), spa.id, &actor(), app.clock.now()).unwrap();
    let refused = preflight(&app, "/oauth2-token", "https://spa.example").await;
    assert!(header(&refused, "access-control-allow-origin").is_none());
}
both_backends!(a_preflight_stops_allowing_the_origin_of_a_deactivated_application);

async fn an_answer_carries_the_origin_only_when_it_belongs_to_the_requesting_application(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let shop = browser_app(&app, "Shop SPA", "https://shop.example");
    browser_app(&app, "Blog SPA", "https://blog.example");
    let refresh = refresh_token_for(&app, &shop);
    let form = [
        ("client_id", shop.client_id.as_str()),
        ("token", refresh.as_str()),
    ];

    let own = post_from(&app, "/oauth2-revoke", "https://shop.example", &form).await;
    assert_eq!(own.status(), 200);
    assert_eq!(
        header(&own, "access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert!(header(&own, "vary").is_some_and(|v| v.contains("Origin")));

    let another = post_from(&app, "/oauth2-revoke", "https://blog.example", &form).await;
    assert!(
        header(&another, "access-control-allow-origin").is_none(),
        "another application's origin"
    );
    let unknown = post_from(&app, "/oauth2-revoke", "https://evil.example", &form).await;
    assert!(header(&unknown, "access-control-allow-origin").is_none());

    let grant = [
        ("grant_type", "refresh_token"),
        ("client_id", shop.client_id.as_str()),
        ("refresh_token", "trt_spent"),
    ];
    let error = post_from(&app, "/oauth2-token", "https://shop.example", &grant).await;
    assert_eq!(
        header(&error, "access-control-allow-origin"),
        Some("https://shop.example"),
        "the application can read its own error"
    );
    assert_eq!(error_of(error).await, (400, "invalid_grant".into()));
    let failed = post_from(
        &app,
        "/oauth2-token",
        "https://shop.example",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "unknown"),
            ("refresh_token", "x"),
        ],
    )
    .await;
    assert!(
        header(&failed, "access-control-allow-origin").is_none(),
        "no application, no origin"
    );
    assert!(failed.headers().values().all(|v| v != "*"));
}
both_backends!(an_answer_carries_the_origin_only_when_it_belongs_to_the_requesting_application);

async fn the_grid_shows_and_filters_by_application_type(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    browser_app(&app, "Shop SPA", "https://shop.example");
    app.back_office_app();
    let all = app.get(APPLICATIONS).await.text().await.unwrap();
    assert!(all.contains("Browser or native application") && all.contains("Service account"));
    let public = app
        .get(&format!("{APPLICATIONS}?type=public"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        public.contains("Shop SPA") && !public.contains(">erp<"),
        "{public}"
    );
    assert!(public.contains("<option value=\"public\" selected>"));
}
both_backends!(the_grid_shows_and_filters_by_application_type);

async fn the_form_refuses_each_bad_redirect_uri_and_origin_line_with_its_own_message_rfc_8252_section_7(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let redirect_uris = "https://ok.example/cb\nhttp://evil.example/cb\nhttps://ok.example/cb#x\ncom.example.app:/cb";
    let fields = [
        ("app_type", "public"),
        ("name", "SPA"),
        ("redirect_uris", redirect_uris),
        ("origins", "https://ok.example/app\nhttps://ok.example"),
    ];
    let page = create_via_form(&app, &fields).await.text().await.unwrap();
    assert!(
        page.contains("Line 2: `http://evil.example/cb`: A redirect URI must use https"),
        "{page}"
    );
    assert!(
        page.contains("Line 3: `https://ok.example/cb#x`: A redirect URI cannot have a fragment")
    );
    assert!(page.contains("Line 1: `https://ok.example/app`: An origin has no path"));
    assert_eq!(
        page.matches("data-testid=\"error-redirect_uris\"").count(),
        2
    );
    let web = [
        ("app_type", "web"),
        ("name", "Web"),
        ("grants", "authorization_code"),
    ];
    let none = create_via_form(&app, &web).await.text().await.unwrap();
    assert!(none.contains("Register at least one redirect URI"));
    let public = [
        ("app_type", "public"),
        ("name", "SPA"),
        ("redirect_uris", "com.example.app:/cb\nhttp://127.0.0.1/cb"),
        ("origins", "http://localhost:5173"),
    ];
    let created = create_via_form(&app, &public).await;
    assert_eq!(created.status(), 200);
    let html = created.text().await.unwrap();
    assert!(html.contains("it has no secret") && !html.contains("id=\"client_secret\""));
}
both_backends!(
    the_form_refuses_each_bad_redirect_uri_and_origin_line_with_its_own_message_rfc_8252_section_7
);
