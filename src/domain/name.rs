use super::Invalid;

/// Trimmed, non-empty, bounded text without control characters: what a name shown in a
/// grid, a page title or an email subject may be.
fn parse_name(raw: &str, what: &str, label: &str, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Invalid::new(format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(format!(
            "{label} has at most {max} characters."
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(format!(
            "{label} cannot contain control characters."
        )));
    }
    Ok(value.to_owned())
}

/// Case folding done by Tessera rather than by the database, so that `ärzte` finds `Ärzte`
/// on SQLite (whose `lower()` knows ASCII only) exactly as on PostgreSQL, and both sort alike.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $label:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                parse_name(raw, $what, $label, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name in Unicode lower case, as stored for filtering and sorting.
            pub fn folded(&self) -> String {
                fold(&self.0)
            }
        }
    };
}

name_type!(
    /// The application name administrators and owners see.
    ClientName, "an application name", "Application name", 255
);
name_type!(
    OrganizationName,
    "an organization name",
    "Organization name",
    255
);
name_type!(PersonName, "a full name", "Full name", 255);
name_type!(
    /// A group of scopes in the catalog ("Orders").
    CategoryName, "a category name", "Category name", 100
);
name_type!(
    /// What a scope lets an application do, written for the person asked to consent
    /// ("See your orders").
    ScopeDescription, "a description", "Description", 255
);

/// Free text that may be left blank: a category's description.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionalText(String);

impl OptionalText {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Self::default());
        }
        parse_name(raw, "a description", "Description", 255).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ClientName::parse("  Shop ").unwrap().as_str(), "Shop");
        assert_eq!(
            ClientName::parse(" ").unwrap_err().0,
            "Enter an application name."
        );
        assert_eq!(
            ClientName::parse(&"x".repeat(256)).unwrap_err().0,
            "Application name has at most 255 characters."
        );
        assert!(ClientName::parse(&"x".repeat(255)).is_ok());
        assert!(OrganizationName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn folding_lowers_every_script_not_only_ascii() {
        assert_eq!(
            ClientName::parse("Ärzte ΣΟΦΙΑ").unwrap().folded(),
            "ärzte σοφια"
        );
        assert_eq!(fold("ÄRZTE"), fold("ärzte"));
    }

    #[test]
    fn markup_is_kept_as_text_for_the_templates_to_escape() {
        let name = "<script>alert(1)</script>";
        assert_eq!(ClientName::parse(name).unwrap().as_str(), name);
    }
}
