use super::Invalid;

/// Sign-in name: what people type, so kept to characters that cannot be confused or
/// smuggle markup, and compared case-insensitively by storing it lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

const MAX_LEN: usize = 64;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(Invalid::new("Enter a username."));
        }
        if value.chars().count() > MAX_LEN {
            return Err(Invalid::new(format!(
                "A username has at most {MAX_LEN} characters."
            )));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(Invalid::new(
                "A username may use letters, digits and . _ - @ only.",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lower_cased() {
        assert_eq!(Username::parse("  Admin ").unwrap().as_str(), "admin");
    }

    #[test]
    fn markup_spaces_and_overlong_names_are_refused() {
        assert!(Username::parse("<b>").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }
}
