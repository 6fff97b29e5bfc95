//! What administrators set about the authorization endpoint: per application, whether it
//! skips consent or may send `plain` PKCE challenges; per
//! organization, what the consent dialog shows about it. Each change writes its audit row
//! in the same transaction.

use crate::audit::Actor;
use crate::audit::{self, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::{self, AuthorizeOptions};
use crate::db::models::organization::{self, ConsentDisplay};
use crate::domain::{Email, Invalid};
use chrono::NaiveDateTime;

/// Longest display name or link accepted.
const MAX_TEXT: usize = 255;
const MAX_URL: usize = 2000;

/// Sets the application's options; `false` when there is no such application.
pub fn set_application_options(
    conn: &mut DbConn,
    id: i64,
    options: AuthorizeOptions,
    actor: &Actor,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        if client::set_authorize_options(conn, id, options, now)? == 0 {
            return Ok(false);
        }
        let detail = format!(
            "skip consent: {}; plain PKCE: {}",
            options.skip_consent, options.allow_plain_pkce
        );
        let action = AuditAction::ClientAuthorizationUpdated;
        audit::record(conn, actor, action, Some(id), &detail, now)?;
        Ok(true)
    })
}

/// Sets what the consent dialog shows about the organization; `false` when there is no
/// such organization.
pub fn set_consent_display(
    conn: &mut DbConn,
    id: i64,
    display: &ConsentDisplay,
    actor: &Actor,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        if organization::set_consent_display(conn, id, display)? == 0 {
            return Ok(false);
        }
        let action = AuditAction::OrganizationConsentScreenUpdated;
        audit::record(conn, actor, action, Some(id), "", now)?;
        Ok(true)
    })
}

/// A display name: trimmed, at most 255 characters, possibly empty.
pub fn parse_display_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.chars().count() > MAX_TEXT || name.chars().any(char::is_control) {
        return Err(Invalid::new("Use at most 255 characters, on one line."));
    }
    Ok(name.to_owned())
}

/// A support address, or nothing.
pub fn parse_support_email(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    Email::parse(raw).map(|e| e.as_str().to_owned())
}

/// A link shown to people: https (or http) only, so no `javascript:` can hide behind it.
pub fn parse_link(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(|| Invalid::new("Enter an https:// address."))?;
    if rest.is_empty()
        || raw.len() > MAX_URL
        || raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
    {
        return Err(Invalid::new(
            "Enter a whole https:// address, without spaces.",
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_be_web_addresses() {
        assert_eq!(
            parse_link(" https://a.example/privacy ").unwrap(),
            "https://a.example/privacy"
        );
        assert_eq!(parse_link("").unwrap(), "");
        assert!(parse_link("javascript:alert(1)").is_err());
        assert!(parse_link("https://").is_err());
        assert!(parse_link("https://a.example/a b").is_err());
    }

    #[test]
    fn display_names_are_one_short_line() {
        assert_eq!(parse_display_name("  Acme  ").unwrap(), "Acme");
        assert!(parse_display_name("a\nb").is_err());
        assert!(parse_display_name(&"x".repeat(256)).is_err());
    }
}
