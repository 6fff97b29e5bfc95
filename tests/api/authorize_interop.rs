//! Real clients through the authorization code flow with PKCE: Python's authlib, the Rust
//! `oauth2` crate, and headless Chromium through the sign-in and consent pages back to a
//! redirect URI this test serves (RFC 6749 §4.1, RFC 7636, RFC 9207).

use crate::authorize_support::*;
use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use diesel::prelude::*;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    Scope as OAuthScope, TokenResponse, TokenUrl,
};
use tessera::db::schema::clients as clients_table;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Why the Python clients cannot run here; `.ci/run` installs them.
fn missing_python() -> Option<String> {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import authlib, jwt, requests, cryptography"])
        .output();
    match probe {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Some(format!("python3: {e}")),
    }
}

/// oauth2's HTTP seam, served by this crate's reqwest.
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let response = http.execute(request.try_into()?).await?;
    let mut answer = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    Ok(answer
        .body(response.bytes().await?.to_vec())
        .expect("a well-formed response"))
}

async fn python_authlib_runs_the_code_flow_with_pkce_rfc_7636(backend: Backend) {
    if let Some(why) = missing_python() {
        eprintln!("skipped: {why}");
        return;
    }
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let ann = person(&app, "ann");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/python_authorize.py"
    );
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .env("TESSERA_BASE", &app.address)
        .env("TESSERA_ISSUER", "http://tessera.test")
        .env("CLIENT_ID", &client.client_id)
        .env("CLIENT_SECRET", &client.secret)
        .env("REDIRECT_URI", REDIRECT_URI)
        .env("USERNAME", "ann")
        .env("PASSWORD", USER_PASSWORD)
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("python authorize: ok sub={ann}")),
        "{stdout}"
    );
    assert!(stdout.contains("python authorize: refresh ok"), "{stdout}");
}
both_backends!(python_authlib_runs_the_code_flow_with_pkce_rfc_7636);

async fn the_rust_oauth2_crate_runs_the_code_flow_with_pkce_rfc_7636(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = web_app(&app, "portal", true);
    let ann = person(&app, "ann");
    let client = BasicClient::new(ClientId::new(registered.client_id.clone()))
        .set_client_secret(ClientSecret::new(registered.secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth2-authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth2-token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(OAuthScope::new("read".into()))
        .add_scope(OAuthScope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let browser = Browser::new(&app);
    let back = browser.sign_in_and_allow(&query, "ann").await;
    let params = redirect_params(&back);
    assert_eq!(&params["state"], state.secret());
    let http = reqwest::Client::new();
    let http = |request| send(&http, request);
    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["read", "write"]);
    assert_eq!(
        jwt_part(tokens.access_token().secret(), 1)["sub"],
        ann.to_string()
    );
    let renewed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();
    assert!(renewed.refresh_token().is_some());
}
both_backends!(the_rust_oauth2_crate_runs_the_code_flow_with_pkce_rfc_7636);

/// A one-route web server standing in for the application: it answers every request
/// with a small page and hands over the first request line it saw.
async fn serve_callback() -> (String, tokio::sync::oneshot::Receiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/callback", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buffer = vec![0u8; 8192];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..read]).to_string();
            let line = request.lines().next().unwrap_or_default().to_owned();
            let body =
                "<!doctype html><title>Portal</title><h1 id=\"done\">Back at the application</h1>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            if line.contains("/callback?")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(line);
            }
        }
    });
    (uri, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_consents_in_a_real_browser_and_returns_to_the_application() {
    use crate::webdriver::{Browser as Chromium, missing_browser};
    if let Some(why) = missing_browser() {
        eprintln!("skipped: {why}");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    let client = web_app(&app, "Warehouse Portal", true);
    let ann = person(&app, "ann");
    let (callback, seen) = serve_callback().await;
    diesel::update(clients_table::table.find(client.id))
        .set(clients_table::redirect_uris.eq(&callback))
        .execute(&mut *app.conn())
        .unwrap();
    let pkce = pkce();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("scope", "read")
        .append_pair("state", STATE)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();

    let browser = Chromium::start().await;
    browser
        .goto(&app.url(&format!("/oauth2-authorize?{query}")))
        .await;
    let title = browser.find("[data-testid=sign-in-title]").await;
    assert_eq!(
        browser.text(&title).await,
        "Sign in to continue to Warehouse Portal"
    );
    browser.screenshot("authorize-sign-in.png").await;
    browser
        .type_into(&browser.find("#username").await, "ann")
        .await;
    browser
        .type_into(&browser.find("#password").await, USER_PASSWORD)
        .await;
    browser
        .click(&browser.find("[data-testid=sign-in]").await)
        .await;
    let consent = browser.find("[data-testid=consent-title]").await;
    assert_eq!(
        browser.text(&consent).await,
        "Warehouse Portal wants to access your account"
    );
    browser.screenshot("authorize-consent.png").await;
    browser
        .click(&browser.find("[data-testid=allow]").await)
        .await;
    browser.find("#done").await;
    browser
        .screenshot("authorize-back-at-the-application.png")
        .await;
    browser.quit().await;

    let line = tokio::time::timeout(std::time::Duration::from_secs(5), seen)
        .await
        .unwrap()
        .unwrap();
    let target = line.split(' ').nth(1).unwrap();
    let params: std::collections::HashMap<String, String> =
        form_urlencoded::parse(target.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], "http://tessera.test");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("redirect_uri", callback.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let tokens = expect_tokens(token_request(&app, &client, &form).await).await;
    assert_eq!(
        jwt_part(str_of(&tokens, "access_token"), 1)["sub"],
        ann.to_string()
    );
}
