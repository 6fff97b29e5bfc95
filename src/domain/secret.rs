//! Secrets are types: a `PlainSecret` lives only between generation and the one response
//! that shows it; what is stored is a `SecretHash`.
//!
//! Every secret here carries 256 random bits, so a single SHA-256 is enough to store it
//! (ASVS 6.5.2): a slow hash would only turn the token endpoint into a CPU-exhaustion target.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// Fixed prefixes make leaked credentials easy to scan for and to tell apart.
pub const CLIENT_SECRET_PREFIX: &str = "tsk_";
pub const REFRESH_TOKEN_PREFIX: &str = "trt_";

/// How many leading characters of a client secret are kept visible, so an administrator can
/// tell two secrets apart without either being recoverable.
const VISIBLE_PREFIX_LEN: usize = 8;

pub fn random_bytes<const N: usize>() -> [u8; N] {
    rand::random()
}

#[derive(Clone)]
pub struct PlainSecret(String);

impl PlainSecret {
    pub fn generate(prefix: &str) -> Self {
        Self(format!(
            "{prefix}{}",
            URL_SAFE_NO_PAD.encode(random_bytes::<32>())
        ))
    }

    /// A secret presented by a caller; it is only ever hashed and compared.
    pub fn presented(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }

    pub fn visible_prefix(&self) -> String {
        self.0.chars().take(VISIBLE_PREFIX_LEN).collect()
    }
}

impl fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainSecret(<redacted>)")
    }
}

/// Lower-case hex SHA-256 of a secret, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        // The digest's own hex formatting writes all 64 digits at once.
        Self(format!("{:x}", Sha256::digest(secret.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn matches(&self, other: &SecretHash) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

/// Where the one-time credentials links point, followed by their token.
pub const COLLECT_PATH: &str = "/credentials/";
/// The collection page a link leads to, and the only place a sign-in returns to besides its
/// own pages.
pub const COLLECT_PAGE: &str = "/credentials";

/// Where a sign-in may send the browser back to when asked (`next`): the collection page,
/// and nowhere else, so no sign-in is an open redirector.
pub fn sign_in_return(next: Option<&str>) -> Option<&'static str> {
    next.filter(|n| *n == COLLECT_PAGE).map(|_| COLLECT_PAGE)
}

/// The token of a one-time credentials link: 256 random bits in URL-safe base64, carried
/// by the link alone; what is stored is its `SecretHash`, and a link is found by that hash.
#[derive(Clone)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn generate() -> Self {
        Self(URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
    }

    /// A token as an address carries it: 43 URL-safe base64 characters, nothing else.
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(<redacted>)")
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Random identifier for things that are public but must not be guessable (client ids, jti).
pub fn random_hex(bytes: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let byte: u8 = rand::random();
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_client_secrets_carry_256_bits_behind_their_prefix() {
        let secret = PlainSecret::generate(CLIENT_SECRET_PREFIX);
        let body = secret.expose().strip_prefix(CLIENT_SECRET_PREFIX).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
        assert_ne!(
            secret.expose(),
            PlainSecret::generate(CLIENT_SECRET_PREFIX).expose()
        );
    }

    #[test]
    fn a_sign_in_returns_to_the_collection_page_only() {
        assert_eq!(sign_in_return(Some("/credentials")), Some(COLLECT_PAGE));
        for bad in [
            "/admin",
            "//evil.example/credentials",
            "/credentials/x",
            "https://evil",
        ] {
            assert_eq!(sign_in_return(Some(bad)), None, "{bad}");
        }
        assert_eq!(sign_in_return(None), None);
    }

    #[test]
    fn link_tokens_carry_256_bits_and_parse_only_as_generated() {
        let token = LinkToken::generate();
        assert_eq!(URL_SAFE_NO_PAD.decode(token.expose()).unwrap().len(), 32);
        let parsed = LinkToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.hash(), token.hash());
        assert!(!format!("{token:?}").contains(token.expose()));
        for bad in [
            format!("{}/x", token.expose()),
            format!("{}.", &token.expose()[1..]),
            token.expose()[1..].to_owned(),
            String::new(),
        ] {
            assert!(LinkToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = PlainSecret::generate(CLIENT_SECRET_PREFIX);
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }

    #[test]
    fn hashes_are_sha256_hex_and_compare_by_value() {
        let hash = SecretHash::of("abc");
        assert_eq!(
            hash.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hash.matches(&SecretHash::of("abc")));
        assert!(!hash.matches(&SecretHash::of("abd")));
    }

    #[test]
    fn random_hex_is_two_lowercase_digits_per_byte() {
        let id = random_hex(16);
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(id, random_hex(16));
    }
}
