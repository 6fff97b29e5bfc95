//! The token request parser: a form body, a JSON body and a Basic header, each from the
//! same input. None may panic; whatever they accept must read back consistently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::oauth::client_auth::parse_basic;
use tessera::oauth::params::Params;

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = Params::from_form(data) {
        // Empty values count as absent (RFC 6749 §3.2).
        assert!(params.get("grant_type").is_none_or(|v| !v.is_empty()));
    }
    if let Ok(params) = Params::from_json(data) {
        assert!(params.get("client_id").is_none_or(|v| !v.is_empty()));
    }
    if let Ok((id, _secret)) = parse_basic(data) {
        assert!(!id.is_empty());
    }
});
