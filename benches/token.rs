//! What one access token costs: signing per algorithm (the token endpoint's share of CPU
//! that no database or network hides) and verification (the bearer guard's share).
//!
//! `cargo bench --bench token`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tessera::oauth::jwt::{self, AccessClaims};
use tessera::oauth::keys::{KeyStore, SigningAlg};

const ISSUER: &str = "https://auth.example.com";

fn claims() -> AccessClaims {
    let now = chrono::Utc::now().timestamp();
    AccessClaims {
        iss: ISSUER.into(),
        sub: "0123456789abcdef0123456789abcdef".into(),
        aud: ISSUER.into(),
        client_id: "0123456789abcdef0123456789abcdef".into(),
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: "fedcba9876543210fedcba9876543210".into(),
        scope: "read write".into(),
        tessera_user: "42".into(),
        tessera_kind: "backoffice".into(),
    }
}

fn tokens(c: &mut Criterion) {
    let claims = claims();
    for alg in [SigningAlg::Es256, SigningAlg::EdDsa, SigningAlg::Rs256] {
        let dir = tempfile::tempdir().expect("temp dir");
        KeyStore::generate(dir.path(), alg).expect("generate a key");
        let keys = KeyStore::load(dir.path(), alg).expect("load the key");
        let token = jwt::sign(keys.signer(), &claims).expect("sign");
        let now = chrono::Utc::now().naive_utc();

        let mut group = c.benchmark_group(alg.name());
        group.bench_function("sign", |b| {
            b.iter(|| jwt::sign(keys.signer(), black_box(&claims)).expect("sign"))
        });
        group.bench_function("verify", |b| {
            b.iter(|| jwt::verify(&keys, black_box(&token), ISSUER, now).expect("verify"))
        });
        group.finish();
    }
}

criterion_group!(benches, tokens);
criterion_main!(benches);
