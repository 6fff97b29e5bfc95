//! Steps the authorization-server tests share: token requests, and reading a JWT's parts.

use crate::helpers::{TestApp, TestClient, USER_PASSWORD, actor};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use diesel::prelude::*;
use serde_json::Value;
use tessera::clock::Clock;
use tessera::db::models::scope;
use tessera::db::schema::clients as clients_table;
use tessera::domain::{CategoryName, ScopeDescription, ScopeToken};
use tessera::scopes::ScopeSpec;

/// Gives the application these scopes, adding to the catalog the ones it lacks (RFC 6749
/// §3.3 scope tokens, in a "Tests" category).
pub fn set_scopes(app: &TestApp, client: &TestClient, scopes: &str) {
    let now = app.clock.now();
    let mut ids = Vec::new();
    for name in scopes.split_whitespace() {
        let existing = scope::find_by_name(&mut app.conn(), name).unwrap();
        let found = match existing {
            Some(found) => found,
            None => tessera::scopes::create(
                &mut app.conn(),
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
    change_directly(app, |conn| {
        scope::set_for_client(conn, client.id, &ids)?;
        diesel::update(clients_table::table.find(client.id))
            .set(clients_table::scopes.eq(scopes))
            .execute(conn)
    });
}

/// Changes an application, a secret or a user with a query of the test's own, counting the
/// change as every service does, so the token endpoint's copy in memory follows it.
pub fn change_directly(
    app: &TestApp,
    change: impl FnOnce(&mut tessera::db::DbConn) -> QueryResult<usize>,
) {
    let mut conn = app.conn();
    tessera::db::transaction(&mut conn, |conn| {
        change(conn)?;
        tessera::readmodel::record_change(conn)
    })
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

/// Spends a refresh token and returns the one that replaces it.
pub async fn rotate(app: &TestApp, client: &TestClient, refresh_token: &str) -> String {
    let tokens = expect_tokens(refresh(app, client, refresh_token).await).await;
    str_of(&tokens, "refresh_token").to_owned()
}

/// The status and body of an error answer.
pub async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Asserts an error answer's status and `error` code (RFC 6749 §5.2) and returns its body.
pub async fn assert_error(response: reqwest::Response, status: u16, error: &str) -> Value {
    let (actual, body) = error_of(response).await;
    assert_eq!(
        (actual, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
    body
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
