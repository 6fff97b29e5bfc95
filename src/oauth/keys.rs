//! Signing keys: PKCS#8 PEM files in the keys folder, one per key id. The newest key of the
//! configured algorithm signs; every key is published so tokens signed before a rotation
//! still verify until they expire.
//!
//! Keys are parsed once, at start: aws-lc-rs then signs an ES256 token in tens of
//! microseconds, where re-parsing per request would cost more than the signature.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Value, json};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// RFC 9068 §2.1: the media type of access tokens, without its `application/` prefix.
pub const TOKEN_TYPE: &str = "at+jwt";

/// The base64url JWS header of the tokens a key signs: `{alg, typ, kid}`.
fn encoded_header(alg: SigningAlg, kid: &str) -> String {
    let header = json!({"alg": alg.name(), "typ": TOKEN_TYPE, "kid": kid});
    URL_SAFE_NO_PAD.encode(header.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es256,
    Rs256,
    EdDsa,
}

impl SigningAlg {
    pub fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Rs256 => Algorithm::RS256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }

    fn kid_prefix(self) -> &'static str {
        match self {
            Self::Es256 => "es256",
            Self::Rs256 => "rs256",
            Self::EdDsa => "eddsa",
        }
    }
}

impl FromStr for SigningAlg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            "EDDSA" => Ok(Self::EdDsa),
            _ => Err(format!("`{s}` is not one of ES256, RS256, EdDSA")),
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no {0} signing key in {1}")]
    Missing(SigningAlg, PathBuf),
    #[error("cannot read the keys folder {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not a PKCS#8 ES256, RS256 or EdDSA private key")]
    Unreadable(PathBuf),
    #[error("key generation failed")]
    Generate,
    #[error("signing failed")]
    Sign,
}

enum Pair {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pair: Pair,
    pub decoding_key: DecodingKey,
    pub jwk: Value,
    /// The JWS header every token this key signs carries, already base64url-encoded: it
    /// never changes, so it is not rebuilt per token.
    pub jws_header: String,
}

impl SigningKey {
    fn from_pkcs8(kid: String, der: &[u8]) -> Option<Self> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (alg, pair, decoding_key, mut jwk) =
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                // Uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let (x, y) = (b64(point.get(1..33)?), b64(point.get(33..65)?));
                let decoding_key = DecodingKey::from_ec_components(&x, &y).ok()?;
                let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
                (SigningAlg::Es256, Pair::Es256(pair), decoding_key, jwk)
            } else if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
                let x = b64(pair.public_key().as_ref());
                let decoding_key = DecodingKey::from_ed_components(&x).ok()?;
                let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x});
                (SigningAlg::EdDsa, Pair::EdDsa(pair), decoding_key, jwk)
            } else if let Ok(pair) = RsaKeyPair::from_pkcs8(der) {
                let public = pair.public_key();
                let n = b64(public.modulus().big_endian_without_leading_zero());
                let e = b64(public.exponent().big_endian_without_leading_zero());
                let decoding_key = DecodingKey::from_rsa_components(&n, &e).ok()?;
                let jwk = json!({"kty": "RSA", "n": n, "e": e});
                (SigningAlg::Rs256, Pair::Rs256(pair), decoding_key, jwk)
            } else {
                return None;
            };
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!(alg.name());
        jwk["use"] = json!("sig");
        let jws_header = encoded_header(alg, &kid);
        Some(Self {
            kid,
            alg,
            pair,
            decoding_key,
            jwk,
            jws_header,
        })
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Es256(pair) => pair
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Pair::EdDsa(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Pair::Rs256(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| KeyError::Sign)?;
                Ok(signature)
            }
        }
    }
}

/// All keys found in the folder; `signer` is the newest of the configured algorithm.
pub struct KeyStore {
    keys: Vec<SigningKey>,
    signer: usize,
}

impl KeyStore {
    pub fn load(dir: &Path, alg: SigningAlg) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::Missing(alg, dir.to_owned()));
            }
            Err(e) => return Err(KeyError::Io(dir.to_owned(), e)),
        };
        for entry in entries {
            let path = entry.map_err(|e| KeyError::Io(dir.to_owned(), e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                continue;
            }
            let Some(kid) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                continue;
            };
            let text = std::fs::read(&path).map_err(|e| KeyError::Io(path.clone(), e))?;
            let key = pem::parse(&text)
                .ok()
                .filter(|p| p.tag() == "PRIVATE KEY")
                .and_then(|p| SigningKey::from_pkcs8(kid, p.contents()))
                .ok_or_else(|| KeyError::Unreadable(path.clone()))?;
            keys.push(key);
        }
        // Key ids start with the algorithm and the creation time, so name order is age order.
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        let signer = keys
            .iter()
            .rposition(|k| k.alg == alg)
            .ok_or_else(|| KeyError::Missing(alg, dir.to_owned()))?;
        Ok(Self { keys, signer })
    }

    /// Loads the keys, generating the first one when the folder has none of `alg`. Several
    /// servers sharing one keys folder may start at once: the first to take the folder's
    /// lock generates, the others wait for it and load the key it wrote. Returns the new
    /// key's id when this call generated one.
    pub fn load_or_generate(
        dir: &Path,
        alg: SigningAlg,
    ) -> Result<(Self, Option<String>), KeyError> {
        create_private_dir(dir)?;
        let lock_path = dir.join(".lock");
        let lock = lock_file(&lock_path).map_err(|e| KeyError::Io(lock_path.clone(), e))?;
        lock.lock()
            .map_err(|e| KeyError::Io(lock_path.clone(), e))?;
        let outcome = match Self::load(dir, alg) {
            Ok(keys) => Ok((keys, None)),
            Err(KeyError::Missing(..)) => {
                Self::generate(dir, alg).and_then(|kid| Ok((Self::load(dir, alg)?, Some(kid))))
            }
            Err(e) => Err(e),
        };
        drop(lock);
        outcome
    }

    /// Writes a new key beside the existing ones and returns its key id.
    pub fn generate(dir: &Path, alg: SigningAlg) -> Result<String, KeyError> {
        let rng = SystemRandom::new();
        let der: Vec<u8> = match alg {
            SigningAlg::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| KeyError::Generate)?
                    .as_ref()
                    .to_vec()
            }
            SigningAlg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec(),
            SigningAlg::Rs256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .and_then(|k| k.as_der())
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec(),
        };
        let kid = format!(
            "{}-{}-{}",
            alg.kid_prefix(),
            chrono::Utc::now().format("%Y%m%d%H%M%S%3f"),
            crate::domain::secret::random_hex(3)
        );
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der));
        create_private_dir(dir)?;
        let path = dir.join(format!("{kid}.pem"));
        let mut file = private_file(&path).map_err(|e| KeyError::Io(path.clone(), e))?;
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| KeyError::Io(path.clone(), e))?;
        Ok(kid)
    }

    pub fn signer(&self) -> &SigningKey {
        &self.keys[self.signer]
    }

    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The JWK Set: public members only, newest first.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().rev().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| KeyError::Io(dir.to_owned(), e))
}

/// The file whose lock makes one server at a time generate a key.
fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// Private keys are readable by their owner only, and never overwrite an existing file.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Validation, decode_header};

    fn sign_and_verify(alg: SigningAlg) {
        let dir = tempfile::tempdir().unwrap();
        let kid = KeyStore::generate(dir.path(), alg).unwrap();
        let store = KeyStore::load(dir.path(), alg).unwrap();
        let key = store.signer();
        assert_eq!(key.kid, kid);
        let header = URL_SAFE_NO_PAD
            .encode(json!({"alg": alg.name(), "typ": "at+jwt", "kid": kid}).to_string());
        let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"x","exp":4102444800}"#);
        let input = format!("{header}.{claims}");
        let token = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).unwrap())
        );
        assert_eq!(
            decode_header(&token).unwrap().kid.as_deref(),
            Some(kid.as_str())
        );
        let mut validation = Validation::new(alg.jwt_algorithm());
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(&token, &key.decoding_key, &validation).unwrap();
    }

    #[test]
    fn generated_es256_keys_sign_tokens_that_verify() {
        sign_and_verify(SigningAlg::Es256);
    }

    #[test]
    fn generated_eddsa_keys_sign_tokens_that_verify() {
        sign_and_verify(SigningAlg::EdDsa);
    }

    #[test]
    fn generated_rs256_keys_sign_tokens_that_verify() {
        sign_and_verify(SigningAlg::Rs256);
    }

    #[test]
    fn a_new_key_signs_and_the_old_one_stays_published() {
        let dir = tempfile::tempdir().unwrap();
        let old = KeyStore::generate(dir.path(), SigningAlg::Es256).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let new = KeyStore::generate(dir.path(), SigningAlg::Es256).unwrap();
        let store = KeyStore::load(dir.path(), SigningAlg::Es256).unwrap();
        assert_eq!(store.signer().kid, new);
        assert!(store.find(&old).is_some());
        let jwks = store.jwks().to_string();
        assert!(jwks.contains(&old) && jwks.contains(&new));
        assert!(!jwks.contains("\"d\""), "no private member in the JWKS");
    }

    #[test]
    fn private_key_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kid = KeyStore::generate(dir.path(), SigningAlg::Es256).unwrap();
        let mode = std::fs::metadata(dir.path().join(format!("{kid}.pem")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn servers_starting_together_over_one_folder_generate_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let dir = dir.path().to_owned();
                std::thread::spawn(move || {
                    let (keys, _) = KeyStore::load_or_generate(&dir, SigningAlg::Es256).unwrap();
                    keys.signer().kid.clone()
                })
            })
            .collect();
        let kids: std::collections::BTreeSet<String> =
            starts.into_iter().map(|s| s.join().unwrap()).collect();
        assert_eq!(
            kids.len(),
            1,
            "every server signs with the same key: {kids:?}"
        );
        let pems = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "pem")
            })
            .count();
        assert_eq!(pems, 1);
    }

    #[test]
    fn a_garbage_pem_file_is_reported_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.pem"), "not a key").unwrap();
        let err = KeyStore::load(dir.path(), SigningAlg::Es256).err().unwrap();
        assert!(err.to_string().contains("broken.pem"));
    }
}
