//! Real client libraries against a running Tessera: the Rust `oauth2` crate, and Python's
//! authlib with PyJWT verifying tokens from the JWKS (tests/interop/python_clients.py).

use crate::helpers::*;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, RefreshToken, RequestTokenError, ResourceOwnerPassword,
    ResourceOwnerUsername, TokenResponse, TokenUrl,
};

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

#[tokio::test]
async fn the_rust_oauth2_crate_uses_every_grant() {
    let app = spawn_app(Backend::Sqlite).await;
    let registered = app.back_office_app();
    let http = reqwest::Client::new();
    let http = |request| send(&http, request);
    let token_url = TokenUrl::new(app.url("/oauth2-token")).unwrap();
    let client = BasicClient::new(ClientId::new(registered.client_id.clone()))
        .set_client_secret(ClientSecret::new(registered.secret.clone()))
        .set_token_uri(token_url.clone());

    let machine = client
        .exchange_client_credentials()
        .request_async(&http)
        .await
        .unwrap();
    assert!(machine.refresh_token().is_none(), "RFC 6749 4.4.3");
    assert_eq!(machine.expires_in().unwrap().as_secs(), 3600);

    let posting = client.clone().set_auth_type(AuthType::RequestBody);
    posting
        .exchange_client_credentials()
        .request_async(&http)
        .await
        .unwrap();

    let username = ResourceOwnerUsername::new("erp-owner".into());
    let password = ResourceOwnerPassword::new(OWNER_PASSWORD.into());
    let person = client
        .exchange_password(&username, &password)
        .request_async(&http)
        .await
        .unwrap();
    let first = person.refresh_token().expect("a refresh token").clone();
    let renewed = client
        .exchange_refresh_token(&first)
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(renewed.refresh_token().unwrap().secret(), first.secret());

    let replay = client
        .exchange_refresh_token(&RefreshToken::new(first.secret().clone()))
        .request_async(&http)
        .await;
    match replay {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(error.error().as_ref(), "invalid_grant");
        }
        other => panic!("a spent refresh token must be invalid_grant: {other:?}"),
    }

    let wrong = BasicClient::new(ClientId::new(registered.client_id))
        .set_client_secret(ClientSecret::new("tsk_wrong".into()))
        .set_token_uri(token_url);
    match wrong
        .exchange_client_credentials()
        .request_async(&http)
        .await
    {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(error.error().as_ref(), "invalid_client");
        }
        other => panic!("a wrong secret must be invalid_client: {other:?}"),
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_authlib_and_pyjwt_use_every_grant_and_verify_the_tokens() {
    if skip_when_missing(missing_python()) {
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    let registered = app.back_office_app();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/python_clients.py"
    );
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .env("TESSERA_BASE", &app.address)
        .env("TESSERA_ISSUER", "http://tessera.test")
        .env("CLIENT_ID", &registered.client_id)
        .env("CLIENT_SECRET", &registered.secret)
        .env("USERNAME", "erp-owner")
        .env("PASSWORD", OWNER_PASSWORD)
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("python interop: 5 passed, 0 failed"));
}
