//! Steps the authorization-server tests share: applications, users, token requests, and
//! reading a JWT's parts.

use crate::helpers::TestApp;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use diesel::prelude::*;
use serde_json::Value;
use tessera::clients::{self, Actor, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::{organization, scope, user::User};
use tessera::db::schema::clients as clients_table;
use tessera::domain::{CategoryName, ClientName, Grants, ScopeDescription, ScopeToken};
use tessera::scopes::ScopeSpec;

pub const OWNER_PASSWORD: &str = "the owner's long password";
pub const USER_PASSWORD: &str = "a user's long password";

/// An application as its developer knows it.
pub struct TestClient {
    pub id: i64,
    pub client_id: String,
    pub secret: String,
}

pub fn actor() -> Actor<'static> {
    Actor {
        user_id: None,
        name: "test",
        ip: None,
    }
}

/// A user, created once per app under this name.
pub fn user(app: &TestApp, username: &str, kind: &str) -> User {
    match tessera::db::models::user::find_by_username(&mut app.conn(), username).unwrap() {
        Some(u) => u,
        None => app.create_user(username, USER_PASSWORD, kind, false),
    }
}

/// Registers an active application with its first secret, as the back-office would. The
/// owner is a user of the matching kind named after the application.
pub fn application(app: &TestApp, name: &str, grants: &[&str], frontend: bool) -> TestClient {
    let kind = if frontend { "customer" } else { "backoffice" };
    let owner = app.create_user(&format!("{name}-owner"), OWNER_PASSWORD, kind, false);
    let mut conn = app.conn();
    let org = organization::find_by_name(&mut conn, organization::DEFAULT_NAME)
        .unwrap()
        .unwrap();
    let spec = ClientSpec::legacy(
        org.id,
        ClientName::parse(name).unwrap(),
        Grants::parse(grants.iter().copied()).unwrap(),
        Some(owner.id),
        frontend,
    );
    let (client, secret) =
        clients::register(&mut conn, &spec, true, None, &actor(), app.clock.now()).unwrap();
    TestClient {
        id: client.id,
        client_id: client.client_id,
        secret: secret
            .expect("a confidential application")
            .expose()
            .to_owned(),
    }
}

/// A back-office application with both grants.
pub fn back_office_app(app: &TestApp) -> TestClient {
    application(app, "erp", &["client_credentials", "password"], false)
}

/// Gives the application these scopes, adding to the catalog the ones it lacks.
pub fn set_scopes(app: &TestApp, client: &TestClient, scopes: &str) {
    let mut conn = app.conn();
    let now = app.clock.now();
    let mut ids = Vec::new();
    for name in scopes.split_whitespace() {
        let existing = scope::find_by_name(&mut conn, name).unwrap();
        let found = match existing {
            Some(found) => found,
            None => tessera::scopes::create(
                &mut conn,
                &ScopeSpec {
                    name: ScopeToken::parse(name).unwrap(),
                    category: CategoryName::parse("Tests").unwrap(),
                    description: ScopeDescription::parse(&format!("Use {name}")).unwrap(),
                },
                &actor(),
                now,
            )
            .unwrap(),
        };
        ids.push(found.id);
    }
    scope::set_for_client(&mut conn, client.id, &ids).unwrap();
    diesel::update(clients_table::table.find(client.id))
        .set(clients_table::scopes.eq(scopes))
        .execute(&mut *conn)
        .unwrap();
}

/// RFC 6749 Appendix B: each half form-urlencoded, then base64 of `id:secret`.
pub fn basic(client_id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)))
    )
}

pub async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// POSTs a form with `client_secret_basic` credentials.
pub async fn post_as(
    app: &TestApp,
    path: &str,
    client: &TestClient,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .header("authorization", basic(&client.client_id, &client.secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn token_request(
    app: &TestApp,
    client: &TestClient,
    form: &[(&str, &str)],
) -> reqwest::Response {
    post_as(app, "/oauth2-token", client, form).await
}

/// A successful token answer's body; panics with the body otherwise.
pub async fn expect_tokens(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn client_credentials(app: &TestApp, client: &TestClient) -> Value {
    expect_tokens(token_request(app, client, &[("grant_type", "client_credentials")]).await).await
}

pub async fn password_grant(app: &TestApp, client: &TestClient, username: &str) -> Value {
    expect_tokens(
        token_request(
            app,
            client,
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", USER_PASSWORD),
            ],
        )
        .await,
    )
    .await
}

pub async fn refresh(app: &TestApp, client: &TestClient, refresh_token: &str) -> reqwest::Response {
    token_request(
        app,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// The status and body of an error answer.
pub async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub fn str_of<'a>(body: &'a Value, key: &str) -> &'a str {
    body[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {body}"))
}

/// A JWT's header or payload, without verifying anything.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub async fn me(app: &TestApp, path: &str, access_token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

pub fn assert_no_store(response: &reqwest::Response, what: &str) {
    assert_eq!(header(response, "cache-control"), "no-store", "{what}");
    assert_eq!(header(response, "pragma"), "no-cache", "{what}");
}
