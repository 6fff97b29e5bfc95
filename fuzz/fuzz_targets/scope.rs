//! The scope parser (RFC 6749 §3.3). What it accepts must survive a round trip through its
//! stored form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::domain::Scope;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scope) = Scope::parse(text) {
        let stored = scope.to_string();
        assert_eq!(Scope::from_stored(&stored).to_string(), stored);
        assert!(scope.is_subset_of(&scope));
    }
    let _ = Scope::from_stored(text);
});
