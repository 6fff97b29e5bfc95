//! Proof Key for Code Exchange (RFC 7636): the challenge an authorization request carries
//! and the verifier its code exchange must prove it with.

use crate::domain::secret::constant_time_eq;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `code_challenge_method` (RFC 7636 §4.3). `plain` is accepted only for applications an
/// administrator marked so (RFC 9700 §2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    S256,
    Plain,
}

impl Method {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "S256" => Some(Self::S256),
            "plain" => Some(Self::Plain),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }
}

/// A challenge and a verifier share one syntax: 43 to 128 unreserved characters
/// (RFC 7636 §4.1, §4.2).
pub fn well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.6: whether `verifier` proves `challenge`, compared in constant time.
pub fn verifies(method: Method, challenge: &str, verifier: &str) -> bool {
    if !well_formed(verifier) {
        return false;
    }
    let derived = match method {
        Method::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        Method::Plain => verifier.to_owned(),
    };
    constant_time_eq(derived.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_example_verifies_with_s256() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifies(Method::S256, challenge, verifier));
        assert!(!verifies(
            Method::S256,
            challenge,
            &verifier.replace('d', "e")
        ));
        assert!(!verifies(Method::Plain, challenge, verifier));
    }

    #[test]
    fn challenges_and_verifiers_follow_rfc_7636_section_4_1() {
        assert!(well_formed(&"a".repeat(43)));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&"a".repeat(129)));
        assert!(!well_formed(&format!("{}+", "a".repeat(43))));
        assert!(!verifies(Method::Plain, "short", "short"));
    }
}
