//! The redirect-URI and JavaScript-origin list parsers (RFC 6749 §3.1.2, RFC 8252 §7): they
//! never panic, and every redirect URI they accept matches itself exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::domain::redirect_uri::matches;
use tessera::domain::{Origins, RedirectUris};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uris) = RedirectUris::parse_lines(text) {
        for uri in uris.iter() {
            assert!(matches(uri, uri));
        }
    }
    let _ = Origins::parse_lines(text);
});
