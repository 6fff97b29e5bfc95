use super::Invalid;
use std::fmt;

/// Whether `token` is one RFC 6749 §3.3 `scope-token`: `1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The name of one scope of the catalog: a single RFC 6749 §3.3 `scope-token`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScopeToken(String);

impl ScopeToken {
    /// Long enough for `https://api.example.com/orders.read`-style names.
    pub const MAX_LENGTH: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Invalid::new("Enter a scope name."));
        }
        if raw.len() > Self::MAX_LENGTH {
            return Err(Invalid::new(format!(
                "A scope name has at most {} characters.",
                Self::MAX_LENGTH
            )));
        }
        if !is_scope_token(raw) {
            return Err(Invalid::new(
                "A scope name is one word of visible ASCII characters, without spaces, \" or \\ (RFC 6749 section 3.3).",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An RFC 6749 §3.3 scope: distinct scope tokens, in the order first given, written
/// separated by single spaces. An application's allowed scopes are stored the same way; an
/// empty list means the application may have no scope at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(Vec<String>);

impl Scope {
    /// What a caller sent as `scope`. Each token is `1*( %x21 / %x23-5B / %x5D-7E )`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut tokens: Vec<String> = Vec::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            if !is_scope_token(token) {
                return Err(Invalid::new(
                    "A scope token has a character RFC 6749 does not allow.",
                ));
            }
            if !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_owned());
            }
        }
        Ok(Self(tokens))
    }

    /// What the database holds; written by Tessera, so anything odd is dropped, not refused.
    pub fn from_stored(stored: &str) -> Self {
        Self::parse(stored).unwrap_or_else(|_| {
            let mut tokens: Vec<String> = Vec::new();
            for token in stored.split_whitespace() {
                if Self::parse(token).is_ok() && !tokens.iter().any(|t| t == token) {
                    tokens.push(token.to_owned());
                }
            }
            Self(tokens)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.0.iter().all(|t| other.contains(t))
    }

    /// The tokens of `self` that `other` also has, in the order of `self`.
    pub fn intersection(&self, other: &Scope) -> Scope {
        Self(
            self.0
                .iter()
                .filter(|t| other.contains(t))
                .cloned()
                .collect(),
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The scope made of these catalog names.
    pub fn of_tokens<'a>(tokens: impl IntoIterator<Item = &'a ScopeToken>) -> Self {
        let mut scope = Self::default();
        for token in tokens {
            if !scope.contains(token.as_str()) {
                scope.0.push(token.as_str().to_owned());
            }
        }
        scope
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens_are_split_on_spaces_deduplicated_and_kept_in_order() {
        let scope = Scope::parse("read  write read").unwrap();
        assert_eq!(scope.to_string(), "read write");
        assert!(Scope::parse("").unwrap().is_empty());
    }

    #[test]
    fn characters_outside_rfc_6749_section_3_3_are_refused() {
        assert!(Scope::parse("read\"").is_err());
        assert!(Scope::parse("a\\b").is_err());
        assert!(Scope::parse("read\twrite").is_err());
        assert!(Scope::parse("é").is_err());
        assert!(Scope::parse("api:read orders/write").is_ok());
    }

    #[test]
    fn subsets_and_intersections_follow_the_first_scope() {
        let allowed = Scope::parse("read write admin").unwrap();
        let asked = Scope::parse("write read").unwrap();
        assert!(asked.is_subset_of(&allowed));
        assert!(!allowed.is_subset_of(&asked));
        assert_eq!(allowed.intersection(&asked).to_string(), "read write");
        assert!(Scope::default().is_subset_of(&Scope::default()));
    }

    #[test]
    fn a_catalog_scope_name_is_one_scope_token_of_rfc_6749_section_3_3() {
        let good = [
            "read",
            "orders:read",
            "https://api.example.com/orders.read",
            "a!#[]~",
        ];
        for name in good {
            assert_eq!(ScopeToken::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(ScopeToken::parse(" read ").unwrap().as_str(), "read");
        let bad = [
            "",
            "  ",
            "read write",
            "say\"hi\"",
            "back\\slash",
            "tab\there",
            "é",
        ];
        for name in bad {
            assert!(ScopeToken::parse(name).is_err(), "{name:?} was accepted");
        }
        assert!(ScopeToken::parse(&"a".repeat(200)).is_ok());
        assert!(ScopeToken::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn stored_scopes_drop_what_they_cannot_read() {
        assert_eq!(Scope::from_stored("a\tb \"c\" a").to_string(), "a b");
    }
}
