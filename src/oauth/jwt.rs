//! RFC 9068 access tokens: JWS compact form, header `{alg, typ: "at+jwt", kid}`.
//!
//! Signing builds the compact form here and signs with the pre-parsed key, so no key is
//! parsed per request. Verification goes through jsonwebtoken with the key named by `kid`
//! and exactly that key's algorithm: `none` and HS* can never be accepted, and a token cannot
//! pick its own algorithm. Expiry is checked against Tessera's clock, not the library's.

pub use crate::oauth::keys::TOKEN_TYPE;
use crate::oauth::keys::{KeyError, KeyStore, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};

/// Longer tokens are refused before any parsing: Tessera's own are well under 1 KiB.
const MAX_TOKEN_LEN: usize = 4096;

/// The claims of a Tessera access token.
///
/// `sub` is the client id for `client_credentials` (RFC 9068 §2.2: no resource owner is
/// involved) and the user's id for `password`. `tessera_user` is always the user the token
/// acts for — the application's owner, or the user who signed in — and `tessera_kind` says
/// whether that user is a back-office user or a customer, so a resource server can tell the
/// two audiences apart without a lookup.
///
/// Verified claims own their strings; claims being signed may borrow them
/// (`AccessClaims<&str>`), so issuing a token copies nothing it already has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims<S = String> {
    pub iss: S,
    pub sub: S,
    pub aud: S,
    pub client_id: S,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: S,
    pub scope: S,
    pub tessera_user: S,
    pub tessera_kind: S,
}

/// Signs the claims as an RFC 9068 JWT with `key`.
pub fn sign<S: Serialize>(key: &SigningKey, claims: &AccessClaims<S>) -> Result<String, KeyError> {
    let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Sign)?;
    let encoded = |bytes: usize| base64::encoded_len(bytes, false).unwrap_or(0);
    let mut token = String::with_capacity(key.jws_header.len() + 1 + encoded(payload.len()));
    token.push_str(&key.jws_header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let signature = key.sign(token.as_bytes())?;
    token.reserve_exact(1 + encoded(signature.len()));
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// Why a token was not accepted; for the log and the bearer challenge, never more detailed
/// than the caller may know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    Malformed,
    WrongType,
    UnknownKey,
    Invalid,
    Expired,
    NotYetValid,
}

impl Rejected {
    pub fn description(self) -> &'static str {
        match self {
            Self::Malformed => "The token is malformed.",
            Self::WrongType => "The token is not an access token.",
            Self::UnknownKey => "The token was not signed by this server.",
            Self::Invalid => "The token signature or claims are invalid.",
            Self::Expired => "The token has expired.",
            Self::NotYetValid => "The token is not valid yet.",
        }
    }
}

/// Checks signature, type, issuer, audience and lifetime. Whether the token was revoked, or
/// its client or user cut off, is for the caller to check against the database.
pub fn verify(
    keys: &KeyStore,
    token: &str,
    issuer: &str,
    now: NaiveDateTime,
) -> Result<AccessClaims, Rejected> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Rejected::Malformed);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Malformed)?;
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(Rejected::WrongType);
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| keys.find(kid))
        .ok_or(Rejected::UnknownKey)?;
    let mut validation = Validation::new(key.alg.jwt_algorithm());
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[issuer]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding_key, &validation)
        .map_err(|_| Rejected::Invalid)?
        .claims;
    let now = now.and_utc().timestamp();
    if claims.exp <= now {
        return Err(Rejected::Expired);
    }
    if claims.nbf > now {
        return Err(Rejected::NotYetValid);
    }
    Ok(claims)
}

/// Whether a token issued at `iat` (whole seconds) falls before a cut-off. A token issued in
/// the same second as the cut-off counts as before it: refusing a fresh token for a second is
/// better than accepting one that should have died.
pub fn issued_before(iat: i64, cutoff: Option<NaiveDateTime>) -> bool {
    cutoff.is_some_and(|cutoff| {
        let cutoff = cutoff.and_utc();
        let whole = cutoff.timestamp();
        let ceiling = if cutoff.timestamp_subsec_nanos() > 0 {
            whole + 1
        } else {
            whole
        };
        iat < ceiling
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys::SigningAlg;
    use chrono::{DateTime, TimeDelta};

    fn claims(now: i64) -> AccessClaims {
        AccessClaims {
            iss: "https://auth.example".into(),
            sub: "client".into(),
            aud: "https://auth.example".into(),
            client_id: "client".into(),
            iat: now,
            nbf: now,
            exp: now + 60,
            jti: "j".into(),
            scope: String::new(),
            tessera_user: "1".into(),
            tessera_kind: "backoffice".into(),
        }
    }

    fn at(ts: i64) -> NaiveDateTime {
        DateTime::from_timestamp(ts, 0).unwrap().naive_utc()
    }

    fn store(alg: SigningAlg) -> (tempfile::TempDir, KeyStore) {
        let dir = tempfile::tempdir().unwrap();
        KeyStore::generate(dir.path(), alg).unwrap();
        let store = KeyStore::load(dir.path(), alg).unwrap();
        (dir, store)
    }

    #[test]
    fn signed_tokens_verify_for_every_algorithm() {
        for alg in [SigningAlg::Es256, SigningAlg::EdDsa, SigningAlg::Rs256] {
            let (_dir, keys) = store(alg);
            let now = 1_900_000_000;
            let token = sign(keys.signer(), &claims(now)).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.typ.as_deref(), Some("at+jwt"));
            assert_eq!(header.kid.as_deref(), Some(keys.signer().kid.as_str()));
            let verified = verify(&keys, &token, "https://auth.example", at(now)).unwrap();
            assert_eq!(verified, claims(now));
        }
    }

    #[test]
    fn expiry_and_not_before_follow_the_given_clock() {
        let (_dir, keys) = store(SigningAlg::Es256);
        let token = sign(keys.signer(), &claims(1_900_000_000)).unwrap();
        let verify_at = |ts| verify(&keys, &token, "https://auth.example", at(ts));
        assert_eq!(verify_at(1_900_000_060), Err(Rejected::Expired));
        assert_eq!(verify_at(1_899_999_999), Err(Rejected::NotYetValid));
        assert!(verify_at(1_900_000_059).is_ok());
    }

    #[test]
    fn another_issuer_or_a_tampered_payload_is_invalid() {
        let (_dir, keys) = store(SigningAlg::Es256);
        let now = 1_900_000_000;
        let token = sign(keys.signer(), &claims(now)).unwrap();
        assert_eq!(
            verify(&keys, &token, "https://other.example", at(now)),
            Err(Rejected::Invalid)
        );
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = claims(now);
        forged.sub = "someone-else".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            verify(&keys, &parts.join("."), "https://auth.example", at(now)),
            Err(Rejected::Invalid)
        );
    }

    #[test]
    fn alg_none_and_hmac_tokens_are_never_accepted() {
        let (_dir, keys) = store(SigningAlg::Es256);
        let kid = keys.signer().kid.clone();
        let now = 1_900_000_000;
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(now)).unwrap());
        for alg in ["none", "HS256"] {
            let header = URL_SAFE_NO_PAD
                .encode(serde_json::json!({"alg": alg, "typ": "at+jwt", "kid": kid}).to_string());
            let token = format!("{header}.{body}.{}", URL_SAFE_NO_PAD.encode(b"sig"));
            assert!(verify(&keys, &token, "https://auth.example", at(now)).is_err());
        }
    }

    #[test]
    fn a_plain_jwt_is_not_an_access_token() {
        let (_dir, keys) = store(SigningAlg::Es256);
        let key = keys.signer();
        let header = URL_SAFE_NO_PAD
            .encode(serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": key.kid}).to_string());
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(1)).unwrap());
        let input = format!("{header}.{body}");
        let signature = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).unwrap());
        assert_eq!(
            verify(
                &keys,
                &format!("{input}.{signature}"),
                "https://auth.example",
                at(1)
            ),
            Err(Rejected::WrongType)
        );
    }

    #[test]
    fn a_token_from_the_cutoff_second_counts_as_before_it() {
        let cutoff = at(1000) + TimeDelta::milliseconds(300);
        assert!(issued_before(999, Some(cutoff)));
        assert!(issued_before(1000, Some(cutoff)));
        assert!(!issued_before(1001, Some(cutoff)));
        assert!(!issued_before(1000, Some(at(1000))));
        assert!(!issued_before(0, None));
    }
}
