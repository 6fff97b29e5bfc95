use super::Invalid;
use std::fmt;

/// The RFC 6749 grants an application may be allowed to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantType {
    ClientCredentials,
    Password,
    RefreshToken,
    AuthorizationCode,
}

impl GrantType {
    pub const ALL: [GrantType; 4] = [
        Self::AuthorizationCode,
        Self::ClientCredentials,
        Self::Password,
        Self::RefreshToken,
    ];
    /// What the token endpoint issues tokens for.
    pub const ISSUED: [GrantType; 4] = [
        Self::AuthorizationCode,
        Self::ClientCredentials,
        Self::Password,
        Self::RefreshToken,
    ];
    /// What an administrator can pick for an application; refresh tokens come with
    /// `password` and `authorization_code`.
    pub const SELECTABLE: [GrantType; 3] = [
        Self::AuthorizationCode,
        Self::ClientCredentials,
        Self::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::RefreshToken => "refresh_token",
            Self::AuthorizationCode => "authorization_code",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ClientCredentials => "Client credentials",
            Self::Password => "Password",
            Self::RefreshToken => "Refresh token",
            Self::AuthorizationCode => "Authorization code",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == raw)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of grants, stored as their RFC names separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants(Vec<GrantType>);

impl Grants {
    pub fn parse<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Self, Invalid> {
        let mut grants = Vec::new();
        for item in raw {
            let grant = GrantType::parse(item)
                .filter(|g| GrantType::SELECTABLE.contains(g))
                .ok_or_else(|| Invalid::new(format!("Unknown grant type `{item}`.")))?;
            grants.push(grant);
        }
        Self::of(grants)
    }

    /// The given grants, sorted and without repeats; none at all is refused.
    pub fn of(mut grants: Vec<GrantType>) -> Result<Self, Invalid> {
        grants.sort();
        grants.dedup();
        if grants.is_empty() {
            return Err(Invalid::new("Choose at least one grant type."));
        }
        Ok(Self(grants))
    }

    /// Reads what the database holds; unknown words are dropped rather than trusted.
    pub fn from_stored(stored: &str) -> Self {
        let mut grants: Vec<_> = stored
            .split_whitespace()
            .filter_map(GrantType::parse)
            .collect();
        grants.sort();
        grants.dedup();
        Self(grants)
    }

    pub fn contains(&self, grant: GrantType) -> bool {
        self.0.contains(&grant)
    }

    pub fn iter(&self) -> impl Iterator<Item = GrantType> + '_ {
        self.0.iter().copied()
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn labels(&self) -> String {
        self.0
            .iter()
            .map(|g| g.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_deduplicated_and_stored_in_a_stable_order() {
        let grants = Grants::parse(["password", "client_credentials", "password"]).unwrap();
        assert_eq!(grants.to_stored(), "client_credentials password");
        assert_eq!(Grants::from_stored(&grants.to_stored()), grants);
    }

    #[test]
    fn an_empty_or_unknown_grant_is_refused() {
        assert!(Grants::parse([]).is_err());
        assert!(Grants::parse(["refresh_token"]).is_err());
        assert!(Grants::parse(["implicit"]).is_err());
    }
}
