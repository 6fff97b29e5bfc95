//! The token endpoint's brute-force protection (RFC 6749 §2.3.1, §4.3.2), checked before any
//! secret is compared or password hashed, so a flood of guesses costs a map lookup.
//!
//! - Client authentication: 10 failures for one client id from one address within 15
//!   minutes lock that pair for 15 minutes; 50 failures from one address across client ids
//!   lock the address. The client id alone is not a key: it is not secret, and anyone could
//!   otherwise lock a working application out.
//! - Password grant: 5 failures for one username within 15 minutes lock the username for 15
//!   minutes, from every address; 50 failures from one address across usernames lock the
//!   address. The address limit is high because many users of one application may sign in
//!   through the same application server.
//!
//! A success clears the client pair or the username; address counts only expire, or a single
//! valid account could be used to reset them between guesses.

use crate::throttle::Throttle;
use chrono::TimeDelta;

/// Keys keep at most this many characters of what the caller sent, so junk cannot grow
/// the maps.
const MAX_KEY_PART: usize = 64;

pub struct TokenThrottles {
    pub client: Throttle,
    pub client_address: Throttle,
    pub password_user: Throttle,
    pub password_address: Throttle,
}

impl Default for TokenThrottles {
    fn default() -> Self {
        let window = TimeDelta::minutes(15);
        Self {
            client: Throttle::new("client", 10, window, window),
            client_address: Throttle::new("client_address", 50, window, window),
            password_user: Throttle::new("password_user", 5, window, window),
            password_address: Throttle::new("password_address", 50, window, window),
        }
    }
}

fn bounded(text: &str) -> &str {
    match text.char_indices().nth(MAX_KEY_PART) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

pub fn client_key(client_id: &str, address: Option<&str>) -> String {
    format!("{}@{}", bounded(client_id), address.unwrap_or("-"))
}

pub fn user_key(username: &str) -> String {
    bounded(username).to_owned()
}

pub fn address_key(address: Option<&str>) -> String {
    address.unwrap_or("-").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_whatever_the_caller_sends() {
        let long = "é".repeat(1000);
        assert_eq!(user_key(&long).chars().count(), MAX_KEY_PART);
        assert_eq!(client_key("abc", Some("10.0.0.1")), "abc@10.0.0.1");
        assert_eq!(client_key("abc", None), "abc@-");
    }
}
