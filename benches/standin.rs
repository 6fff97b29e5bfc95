//! The floor of a `client_credentials` token on this machine: an actix endpoint doing what
//! such a token needs and nothing else (Basic decode, SHA-256 and a constant-time compare,
//! an aws-lc-rs signature, JSON), so `bench/token.sh` can measure Tessera against it in one
//! run. It shares no code with Tessera.
//!
//! `cargo bench --bench standin` serves on `STANDIN_BIND` (default `127.0.0.1:0`) and prints
//! `listening on http://ADDRESS` on stderr; `STANDIN_CLIENT_ID` and `STANDIN_SECRET` are the
//! one client it knows, `STANDIN_ALG` is `ES256` (default) or `RS256`, `STANDIN_WORKERS` its
//! worker threads (default: cores).

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

enum Key {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

struct Floor {
    client_id: String,
    secret_hash: [u8; 32],
    key: Key,
    header: String,
    issuer: String,
}

impl Floor {
    fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.key {
            Key::Es256(pair) => pair.sign(&rng, message).ok().map(|s| s.as_ref().to_vec()),
            Key::Rs256(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .ok()?;
                Some(signature)
            }
        }
    }
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"error": "invalid_client"}))
}

async fn token(req: HttpRequest, body: web::Bytes, floor: web::Data<Floor>) -> HttpResponse {
    let grant = form_urlencoded::parse(&body).find(|(k, _)| k == "grant_type");
    if grant.is_none_or(|(_, v)| v != "client_credentials") {
        return HttpResponse::BadRequest().json(serde_json::json!({"error": "invalid_request"}));
    }
    let Some(decoded) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|d| String::from_utf8(d).ok())
    else {
        return unauthorized();
    };
    let Some((id, secret)) = decoded.split_once(':') else {
        return unauthorized();
    };
    let presented = Sha256::digest(secret.as_bytes());
    if id != floor.client_id || !bool::from(presented.as_slice().ct_eq(&floor.secret_hash)) {
        return unauthorized();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let jti: [u8; 16] = rand::random();
    let claims = serde_json::json!({
        "iss": floor.issuer, "sub": id, "aud": floor.issuer, "client_id": id,
        "iat": now, "nbf": now, "exp": now + 3600, "jti": URL_SAFE_NO_PAD.encode(jti),
        "scope": "", "tessera_user": "1", "tessera_kind": "backoffice",
    });
    let mut jwt = floor.header.clone();
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jwt);
    let Some(signature) = floor.sign(jwt.as_bytes()) else {
        return HttpResponse::InternalServerError().finish();
    };
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(serde_json::json!({"access_token": jwt, "token_type": "Bearer", "expires_in": 3600}))
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let rng = SystemRandom::new();
    let alg = env("STANDIN_ALG", "ES256");
    let key = if alg.eq_ignore_ascii_case("RS256") {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(std::io::Error::other)?;
        Key::Rs256(pair)
    } else {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(std::io::Error::other)?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .map_err(std::io::Error::other)?;
        Key::Es256(pair)
    };
    let alg = if matches!(key, Key::Rs256(_)) {
        "RS256"
    } else {
        "ES256"
    };
    let header = serde_json::json!({"alg": alg, "typ": "at+jwt", "kid": "standin"});
    let floor = web::Data::new(Floor {
        client_id: env("STANDIN_CLIENT_ID", "standin"),
        secret_hash: Sha256::digest(env("STANDIN_SECRET", "standin").as_bytes()).into(),
        key,
        header: URL_SAFE_NO_PAD.encode(header.to_string()),
        issuer: env("STANDIN_ISSUER", "http://127.0.0.1"),
    });
    let workers = env("STANDIN_WORKERS", "0").parse().unwrap_or(0);
    let workers = if workers == 0 {
        std::thread::available_parallelism().map_or(2, usize::from)
    } else {
        workers
    };
    let listener = std::net::TcpListener::bind(env("STANDIN_BIND", "127.0.0.1:0"))?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    HttpServer::new(move || {
        App::new()
            .app_data(floor.clone())
            .route("/oauth2-token", web::post().to(token))
    })
    .workers(workers)
    .listen(listener)?
    .run()
    .await
}
