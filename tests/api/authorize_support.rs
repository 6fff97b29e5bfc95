//! Steps the authorization-endpoint tests share: web applications with redirect URIs, a
//! browser-like HTTP client that keeps its cookies, PKCE pairs, and the way through the
//! sign-in and consent dialogs as a browser submits them.

use crate::helpers::{
    OWNER_PASSWORD, TestApp, TestClient, USER_PASSWORD, actor, hidden_field, location,
};
use crate::oauth_support::set_scopes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use tessera::clients::{self, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::organization;
use tessera::db::schema::clients as clients_table;
use tessera::domain::{ApplicationType, ClientName, Grants, RedirectUris};

pub const REDIRECT_URI: &str = "https://app.example/callback";
pub const STATE: &str = "xyz-state";

/// A web application allowed the code flow, with one registered redirect URI and the
/// catalog scopes `read write`. `confidential` false makes it a public client.
pub fn web_app(app: &TestApp, name: &str, confidential: bool) -> TestClient {
    let owner = app.create_user(
        &format!("{name}-owner"),
        OWNER_PASSWORD,
        "backoffice",
        false,
    );
    let mut conn = app.conn();
    let org = organization::find_by_name(&mut conn, organization::DEFAULT_NAME)
        .unwrap()
        .unwrap();
    let mut spec = ClientSpec::legacy(
        org.id,
        ClientName::parse(name).unwrap(),
        Grants::parse(["authorization_code"]).unwrap(),
        Some(owner.id),
        false,
    );
    spec.app_type = if confidential {
        ApplicationType::Web
    } else {
        ApplicationType::Public
    };
    spec.redirect_uris = RedirectUris::parse_lines(REDIRECT_URI).unwrap();
    let (created, secret) =
        clients::register(&mut conn, &spec, None, &actor(), app.clock.now()).unwrap();
    drop(conn);
    let client = TestClient::new(
        created,
        secret.map(|s| s.expose().to_owned()).unwrap_or_default(),
    );
    set_scopes(app, &client, "read write");
    client
}

pub fn set_options(
    app: &TestApp,
    client: &TestClient,
    skip_consent: bool,
    plain: bool,
    implicit: bool,
) {
    diesel::update(clients_table::table.find(client.id))
        .set((
            clients_table::skip_consent.eq(skip_consent),
            clients_table::allow_plain_pkce.eq(plain),
            clients_table::implicit_allowed.eq(implicit),
        ))
        .execute(&mut *app.conn())
        .unwrap();
}

/// A back-office person of the applications' organization, who may authorize them.
pub fn person(app: &TestApp, username: &str) -> i64 {
    app.user(username, "backoffice").id
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

/// RFC 7636 §4.1, §4.2: a 43-character verifier and its S256 challenge.
pub fn pkce() -> Pkce {
    let verifier = URL_SAFE_NO_PAD.encode(tessera::domain::secret::random_bytes::<32>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// The usual code request of `client`, with PKCE and `state`, plus `extra` parameters.
pub fn code_query(
    client: &TestClient,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("state", STATE),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    query.extend_from_slice(extra);
    query
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A browser: its own cookie jar, redirects left to the test.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub http: reqwest::Client,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        Self { app, http }
    }

    pub async fn authorize(&self, query: &[(String, String)]) -> reqwest::Response {
        self.http
            .get(self.app.url("/oauth2-authorize"))
            .query(query)
            .send()
            .await
            .unwrap()
    }

    /// Follows a redirect to a page of Tessera.
    pub async fn follow(&self, response: &reqwest::Response) -> reqwest::Response {
        assert_eq!(response.status(), 303, "a redirect");
        let to = location(response);
        assert!(to.starts_with('/'), "a page of Tessera, not {to}");
        self.http.get(self.app.url(&to)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.app.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Submits the sign-in page `page` with `username` and the test password.
    pub async fn sign_in(&self, page: &str, username: &str, password: &str) -> reqwest::Response {
        let csrf = hidden_field(page, "csrf_token").expect("a CSRF token on the sign-in page");
        let request = hidden_field(page, "request");
        let mut form = vec![
            ("csrf_token", csrf.as_str()),
            ("username", username),
            ("password", password),
        ];
        if let Some(request) = &request {
            form.push(("request", request));
        }
        self.post("/account/sign-in", &form).await
    }

    /// Answers the consent page `page` with `decision` (allow or deny).
    pub async fn decide(&self, page: &str, decision: &str) -> reqwest::Response {
        let csrf = hidden_field(page, "csrf_token").expect("a CSRF token on the consent page");
        let request = hidden_field(page, "request").expect("the request handle");
        self.post(
            "/account/consent",
            &[
                ("csrf_token", &csrf),
                ("request", &request),
                ("decision", decision),
            ],
        )
        .await
    }

    /// From a fresh authorization request to the application's redirect: the sign-in page,
    /// then the consent page, allowed. Returns the final redirect's location.
    pub async fn sign_in_and_allow(&self, query: &[(String, String)], username: &str) -> String {
        let started = self.authorize(query).await;
        let page = self.follow(&started).await.text().await.unwrap();
        assert!(page.contains("Sign in to continue to"), "{page}");
        let signed_in = self.sign_in(&page, username, USER_PASSWORD).await;
        let page = self.follow(&signed_in).await.text().await.unwrap();
        assert!(page.contains("wants to access your account"), "{page}");
        let allowed = self.decide(&page, "allow").await;
        assert_eq!(allowed.status(), 303);
        location(&allowed)
    }
}

/// The query (or fragment) parameters of a redirect to the application.
pub fn redirect_params(location: &str) -> HashMap<String, String> {
    let rest = location
        .strip_prefix(REDIRECT_URI)
        .unwrap_or_else(|| panic!("a redirect to the application, not {location}"));
    let encoded = rest.trim_start_matches(['?', '#']);
    form_urlencoded::parse(encoded.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Exchanges a code as a confidential client (Basic authentication).
pub async fn exchange(
    app: &TestApp,
    client: &TestClient,
    code: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    crate::oauth_support::token_request(app, client, &form).await
}
