use super::Invalid;

/// An address mail can be sent to; deliverability is the mail server's call, shape is ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

const MAX_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        let invalid = || Invalid::new("Enter an email address like name@example.com.");
        if value.len() > MAX_LEN || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.is_empty()
            || domain.starts_with('.')
            || domain.ends_with('.')
            || value.contains(['<', '>', '"', ','])
        {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted() {
        assert_eq!(
            Email::parse(" ann@example.com ").unwrap().as_str(),
            "ann@example.com"
        );
        assert!(Email::parse("ann@localhost").is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "a b@example.com",
            "a<b>@x.org",
            "a@.x",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
