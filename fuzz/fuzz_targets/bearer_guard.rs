//! The bearer guard's checks that need no database: the `Authorization` header, then the
//! JWT's signature, type, issuer, audience and lifetime (RFC 6750 §2.1, RFC 9068 §4).
//! Nothing made up may verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use tessera::oauth::bearer::token_of_header;
use tessera::oauth::jwt;
use tessera::oauth::keys::{KeyStore, SigningAlg};

static KEYS: LazyLock<KeyStore> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("tessera-fuzz-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a keys folder");
    KeyStore::generate(&dir, SigningAlg::Es256).expect("a key");
    KeyStore::load(&dir, SigningAlg::Es256).expect("the key")
});

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let token = token_of_header(value).unwrap_or(value);
    let now = chrono::Utc::now().naive_utc();
    assert!(jwt::verify(&KEYS, token, "http://tessera.test", now).is_err());
});
