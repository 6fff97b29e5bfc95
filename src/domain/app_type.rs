use super::{GrantType, Grants, Invalid};
use std::fmt;

/// What kind of application a client is. The grants and the confidential flag say what it
/// may do; the type says which of them an administrator is offered, and which fields the
/// application needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApplicationType {
    /// Calls APIs for itself, without a user: `client_credentials`, acting as its owner.
    Service,
    /// A server that signs users in: a confidential client with redirect URIs.
    Web,
    /// A single-page, mobile or desktop application: a public client (RFC 6749 §2.1),
    /// without a secret.
    Public,
}

impl ApplicationType {
    pub const ALL: [ApplicationType; 3] = [Self::Service, Self::Web, Self::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Web => "web",
            Self::Public => "public",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Service => "Service account",
            Self::Web => "Web application",
            Self::Public => "Browser or native application",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Service => "Calls APIs for itself, with no user: a scheduled job, a sync.",
            Self::Web => "A server that signs users in through Tessera and keeps a secret.",
            Self::Public => {
                "A single-page or mobile/desktop application that cannot keep a secret."
            }
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| Invalid::new("Choose the type of application: service, web or public."))
    }

    /// What a stored type column holds; the migration fills it for every row.
    pub fn from_stored(stored: &str) -> Self {
        Self::parse(stored).unwrap_or(Self::Service)
    }

    /// The type of an application described by its grants alone, as registered before
    /// types existed: client credentials make a service account, anything else a
    /// confidential web application.
    pub fn of_legacy(grants: &Grants) -> Self {
        if grants.contains(GrantType::ClientCredentials) {
            Self::Service
        } else {
            Self::Web
        }
    }

    /// Whether the application holds secrets (RFC 6749 §2.1 "confidential").
    pub fn confidential(self) -> bool {
        self != Self::Public
    }

    /// The grants an administrator may choose for this type.
    pub fn selectable_grants(self) -> &'static [GrantType] {
        match self {
            Self::Service => &[GrantType::ClientCredentials],
            Self::Web => &[GrantType::AuthorizationCode, GrantType::Password],
            Self::Public => &[GrantType::AuthorizationCode],
        }
    }

    /// Whether the type allows JavaScript origins (CORS at the token endpoint).
    pub fn has_origins(self) -> bool {
        self == Self::Public
    }

    /// Whether the implicit grant (RFC 6749 §4.2) may be switched on: only for
    /// applications that sign users in through a browser.
    pub fn may_allow_implicit(self) -> bool {
        self != Self::Service
    }

    /// Checks the grants chosen for an application of this type, and whether it may use
    /// the implicit grant.
    pub fn check_grants(self, grants: &Grants, implicit: bool) -> Result<(), Invalid> {
        if implicit && !self.may_allow_implicit() {
            return Err(Invalid::new(
                "A service account cannot use the implicit grant.",
            ));
        }
        if let Some(other) = grants
            .iter()
            .find(|g| !self.selectable_grants().contains(g))
        {
            return Err(Invalid::new(format!(
                "A {} cannot use the {} grant.",
                self.label().to_lowercase(),
                other.label().to_lowercase()
            )));
        }
        let required = match self {
            Self::Service => grants.contains(GrantType::ClientCredentials),
            Self::Web => {
                grants.contains(GrantType::AuthorizationCode)
                    || grants.contains(GrantType::Password)
            }
            Self::Public => grants.contains(GrantType::AuthorizationCode),
        };
        if required {
            Ok(())
        } else {
            Err(Invalid::new(match self {
                Self::Service => "A service account uses the client credentials grant.",
                Self::Web => "A web application uses the authorization code or password grant.",
                Self::Public => {
                    "A browser or native application uses the authorization code grant."
                }
            }))
        }
    }

    /// Whether a public client may authenticate with its `client_id` alone for this grant
    /// (`token_endpoint_auth_method` `none`): the authorization code (protected by PKCE,
    /// RFC 7636) and the refresh tokens it brings. Never client credentials (RFC 6749
    /// §4.4) nor password.
    pub fn public_may_use(grant: GrantType) -> bool {
        matches!(
            grant,
            GrantType::AuthorizationCode | GrantType::RefreshToken
        )
    }
}

impl fmt::Display for ApplicationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(raw: &[&str]) -> Grants {
        Grants::parse(raw.iter().copied()).unwrap()
    }

    #[test]
    fn each_type_takes_only_its_own_grants() {
        use ApplicationType::{Public, Service, Web};
        let cases: &[(ApplicationType, &[&str], bool, bool)] = &[
            (Service, &["client_credentials"], false, true),
            (Service, &["client_credentials"], true, false),
            (Service, &["password"], false, false),
            (Service, &["authorization_code"], false, false),
            (Web, &["authorization_code"], false, true),
            (Web, &["authorization_code"], true, true),
            (Web, &["authorization_code", "password"], false, true),
            (Web, &["password"], false, true),
            (Web, &["client_credentials"], false, false),
            (Public, &["authorization_code"], false, true),
            (Public, &["authorization_code"], true, true),
            (Public, &["password"], false, false),
            (Public, &["client_credentials"], false, false),
        ];
        for (kind, raw, implicit, ok) in cases {
            assert_eq!(
                kind.check_grants(&grants(raw), *implicit).is_ok(),
                *ok,
                "{kind} with {raw:?}, implicit {implicit}"
            );
        }
    }

    #[test]
    fn only_browser_and_native_applications_are_public_clients_of_rfc_6749_section_2_1() {
        assert!(ApplicationType::Service.confidential());
        assert!(ApplicationType::Web.confidential());
        assert!(!ApplicationType::Public.confidential());
        assert!(ApplicationType::public_may_use(
            GrantType::AuthorizationCode
        ));
        assert!(ApplicationType::public_may_use(GrantType::RefreshToken));
        assert!(!ApplicationType::public_may_use(
            GrantType::ClientCredentials
        ));
        assert!(!ApplicationType::public_may_use(GrantType::Password));
    }

    #[test]
    fn applications_registered_before_types_are_service_accounts_or_web_applications() {
        assert_eq!(
            ApplicationType::of_legacy(&grants(&["client_credentials", "password"])),
            ApplicationType::Service
        );
        assert_eq!(
            ApplicationType::of_legacy(&grants(&["password"])),
            ApplicationType::Web
        );
        assert_eq!(ApplicationType::parse("web"), Ok(ApplicationType::Web));
        assert!(ApplicationType::parse("spa").is_err());
    }
}
