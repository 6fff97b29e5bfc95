//! Access tokens as RFC 9068 JWTs, the JWKS and the RFC 8414 metadata.

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};
use std::collections::HashSet;
use tessera::clock::Clock;
use tessera::oauth::keys::{KeyStore, SigningAlg};

const ISSUER: &str = "http://tessera.test";

/// Verifies `token` the way a resource server would: the key named by `kid` from the
/// published JWKS, the algorithm that key declares, issuer and audience.
async fn verify_with_jwks(app: &TestApp, token: &str) -> (jsonwebtoken::Header, Value) {
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.clone().expect("a kid");
    let jwk = jwks.find(&kid).expect("the signing key is published");
    let alg = jwk
        .common
        .key_algorithm
        .expect("the JWK names its algorithm");
    let alg: jsonwebtoken::Algorithm = alg.to_string().parse().unwrap();
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[ISSUER]);
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("verifies");
    (header, data.claims)
}

#[tokio::test]
async fn each_signing_algorithm_issues_tokens_that_verify_against_the_jwks() {
    // DESIGN.md: ES256 by default, RS256 (Oro's) or EdDSA by setting.
    for alg in ["ES256", "EdDSA", "RS256"] {
        let app = TestApp::builder(Backend::Sqlite)
            .setting("TESSERA_SIGNING_ALG", alg)
            .spawn()
            .await;
        let client = app.back_office_app();
        let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
        let (header, _) = verify_with_jwks(&app, &token).await;
        assert_eq!(format!("{:?}", header.alg), alg);
        assert_eq!(me(&app, "/api/me", &token).await.status(), 200, "{alg}");
    }
}

#[tokio::test]
async fn tokens_with_alg_none_hmac_or_a_forged_payload_are_refused() {
    // RFC 8725 §3.1: one allowed algorithm per key, never none, never HS*.
    let app = spawn_app(Backend::Sqlite).await;
    let client = app.back_office_app();
    let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    let header = jwt_part(&token, 0);
    let mut forged_claims = jwt_part(&token, 1);
    forged_claims["tessera_user"] = json!("999");
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let mut tampered = Vec::new();
    for alg in ["none", "HS256"] {
        let mut h = header.clone();
        h["alg"] = json!(alg);
        tampered.push(format!("{}.{}.", encode(&h), parts[1]));
        tampered.push(format!("{}.{}.{}", encode(&h), parts[1], parts[2]));
    }
    tampered.push(format!(
        "{}.{}.{}",
        parts[0],
        encode(&forged_claims),
        parts[2]
    ));
    let mut untyped = header.clone();
    untyped["typ"] = json!("JWT");
    tampered.push(format!("{}.{}.{}", encode(&untyped), parts[1], parts[2]));
    for bad in tampered {
        assert_eq!(me(&app, "/api/me", &bad).await.status(), 401, "{bad}");
    }
}

async fn access_tokens_verify_against_the_jwks_with_the_expected_claims(backend: Backend) {
    // RFC 9068 §2.1 (header) and §2.2 (claims).
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    set_scopes(&app, &client, "read write");
    let before = app.clock.now().and_utc().timestamp();
    let body = client_credentials(&app, &client).await;
    let (header, claims) = verify_with_jwks(&app, str_of(&body, "access_token")).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert!(header.kid.unwrap().starts_with("es256-"));
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(claims["sub"], client.client_id.as_str());
    assert_eq!(claims["client_id"], client.client_id.as_str());
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["tessera_kind"], "backoffice");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(iat, before);
    assert_eq!(claims["nbf"].as_i64(), Some(iat));
    assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));
    assert_eq!(
        str_of(&claims, "jti").len(),
        22,
        "128 random bits, base64url"
    );
    let names: HashSet<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: HashSet<&str> = [
        "iss",
        "sub",
        "aud",
        "client_id",
        "iat",
        "nbf",
        "exp",
        "jti",
        "scope",
        "tessera_user",
        "tessera_kind",
    ]
    .into();
    assert_eq!(names, expected);
}
both_backends!(access_tokens_verify_against_the_jwks_with_the_expected_claims);

async fn every_token_has_its_own_jti(backend: Backend) {
    // RFC 9068 §2.2 and RFC 7519 §4.1.7: jti is unique.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let mut seen = HashSet::new();
    for _ in 0..20 {
        let token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
        assert!(seen.insert(jwt_part(&token, 1)["jti"].as_str().unwrap().to_owned()));
    }
}
both_backends!(every_token_has_its_own_jti);

async fn the_jwks_lists_current_and_previous_keys_and_old_tokens_still_verify(backend: Backend) {
    // after a rotation the newest key signs and the old one stays published.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    let old_token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    let old_kid = jwt_part(&old_token, 0)["kid"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let new_kid = KeyStore::generate(&app.dir.path().join("keys"), SigningAlg::Es256).unwrap();
    let app = app.restart().await;

    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()], "newest first");
    for key in jwks["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "no private member {private}");
        }
    }
    let new_token = str_of(&client_credentials(&app, &client).await, "access_token").to_owned();
    assert_eq!(jwt_part(&new_token, 0)["kid"], new_kid.as_str());
    for token in [&old_token, &new_token] {
        verify_with_jwks(&app, token).await;
        assert_eq!(me(&app, "/api/me", token).await.status(), 200);
    }
}
both_backends!(the_jwks_lists_current_and_previous_keys_and_old_tokens_still_verify);

async fn metadata_names_the_configured_issuer_and_lists_every_grant(backend: Backend) {
    // RFC 8414 §2 and §3.3: issuer identical to the configured one.
    let app = spawn_app(backend).await;
    let client = app.back_office_app();
    set_scopes(&app, &client, "write read");
    let response = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(response.status(), 200);
    let metadata: Value = response.json().await.unwrap();
    assert_eq!(metadata["issuer"], ISSUER);
    assert_eq!(metadata["token_endpoint"], format!("{ISSUER}/oauth2-token"));
    assert_eq!(
        metadata["jwks_uri"],
        format!("{ISSUER}/.well-known/jwks.json")
    );
    assert_eq!(
        metadata["revocation_endpoint"],
        format!("{ISSUER}/oauth2-revoke")
    );
    assert_eq!(
        metadata["introspection_endpoint"],
        format!("{ISSUER}/oauth2-introspect")
    );
    assert_eq!(
        metadata["grant_types_supported"],
        json!([
            "authorization_code",
            "client_credentials",
            "password",
            "refresh_token"
        ])
    );
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(metadata["scopes_supported"], json!(["read", "write"]));
}
both_backends!(metadata_names_the_configured_issuer_and_lists_every_grant);
