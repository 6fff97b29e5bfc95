//! Notification rules: for each event, whether its notice is sent and to whom (the owner,
//! the holders of chosen roles in the application's organization, fixed addresses). An event
//! without a saved rule is on and goes to the application's owner, as before rules existed.
//! `TESSERA_MAIL_NOTIFY_OVERRIDE` still redirects every message at send time.

use crate::access::Role;
use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::notice_rule::{self, NoticeRule};
use crate::domain::{Email, Invalid};
use crate::mail::templates::Event;
use chrono::NaiveDateTime;

/// Who hears about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub event: Event,
    pub enabled: bool,
    /// The application's owner, in their preferred locale.
    pub notify_owner: bool,
    /// Roles whose holders in the application's organization hear about it, each in their
    /// preferred locale.
    pub notify_roles: Vec<Role>,
    /// Fixed addresses, which read the English template.
    pub extra_recipients: Vec<Email>,
}

/// At most this many fixed addresses per event: a notice is a message, not a mailing list.
pub const MAX_EXTRA_RECIPIENTS: usize = 20;

impl Rule {
    /// The rule of an event nobody has changed: on, to the owner.
    pub fn shipped(event: Event) -> Self {
        Self {
            event,
            enabled: true,
            notify_owner: true,
            notify_roles: Vec::new(),
            extra_recipients: Vec::new(),
        }
    }

    /// Parses fixed addresses typed one a line (or separated by commas), dropping repeats.
    pub fn parse_recipients(raw: &str) -> Result<Vec<Email>, Invalid> {
        let mut addresses: Vec<Email> = Vec::new();
        for item in raw
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let email = Email::parse(item)
                .map_err(|_| Invalid::new(format!("{item} is not an email address.")))?;
            if !addresses
                .iter()
                .any(|a| a.as_str().eq_ignore_ascii_case(email.as_str()))
            {
                addresses.push(email);
            }
        }
        if addresses.len() > MAX_EXTRA_RECIPIENTS {
            return Err(Invalid::new(format!(
                "At most {MAX_EXTRA_RECIPIENTS} addresses."
            )));
        }
        Ok(addresses)
    }

    fn from_row(event: Event, row: NoticeRule) -> Self {
        Self {
            event,
            enabled: row.enabled,
            notify_owner: row.notify_owner,
            // A stored role Tessera no longer knows is skipped, like an address.
            notify_roles: row.notify_roles.lines().filter_map(Role::parse).collect(),
            // Stored addresses were checked when saved; one that no longer parses is skipped.
            extra_recipients: row
                .extra_recipients
                .lines()
                .filter_map(|line| Email::parse(line).ok())
                .collect(),
        }
    }
}

/// The rule `event` follows now.
pub fn for_event(conn: &mut DbConn, event: Event) -> diesel::QueryResult<Rule> {
    Ok(notice_rule::get(conn, event.as_str())?
        .map_or_else(|| Rule::shipped(event), |row| Rule::from_row(event, row)))
}

/// The rule of every event, in the catalog's order.
pub fn all(conn: &mut DbConn) -> diesel::QueryResult<Vec<Rule>> {
    let mut rows = notice_rule::list(conn)?;
    Ok(Event::ALL
        .into_iter()
        .filter(|event| event.has_rule())
        .map(
            |event| match rows.iter().position(|row| row.event == event.as_str()) {
                Some(at) => Rule::from_row(event, rows.swap_remove(at)),
                None => Rule::shipped(event),
            },
        )
        .collect())
}

/// Saves the rules, audited as one change per event whose rule changed.
pub fn save(
    conn: &mut DbConn,
    rules: &[Rule],
    actor: &Actor,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    crate::db::transaction(conn, |conn| {
        let mut changed = 0;
        for rule in rules {
            if for_event(conn, rule.event)? == *rule {
                continue;
            }
            let recipients: Vec<&str> = rule.extra_recipients.iter().map(Email::as_str).collect();
            let roles: Vec<&str> = rule.notify_roles.iter().map(|r| r.as_str()).collect();
            notice_rule::save(
                conn,
                &NoticeRule {
                    event: rule.event.as_str().to_owned(),
                    enabled: rule.enabled,
                    notify_owner: rule.notify_owner,
                    extra_recipients: recipients.join("\n"),
                    updated_at: now,
                    notify_roles: roles.join("\n"),
                },
            )?;
            let detail = format!(
                "{}: {}{}{}",
                rule.event.label(),
                if rule.enabled { "on" } else { "off" },
                if rule.notify_owner { ", owner" } else { "" },
                roles
                    .iter()
                    .chain(&recipients)
                    .map(|r| format!(", {r}"))
                    .collect::<String>()
            );
            audit::record(
                conn,
                actor,
                AuditAction::NoticeRuleSaved,
                None,
                &detail,
                now,
            )?;
            changed += 1;
        }
        Ok(changed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_addresses_are_parsed_one_a_line_without_repeats() {
        let parsed =
            Rule::parse_recipients("a@example.com\r\n, b@example.com\nA@example.com\n").unwrap();
        let parsed: Vec<&str> = parsed.iter().map(Email::as_str).collect();
        assert_eq!(parsed, ["a@example.com", "b@example.com"]);
        let refused = Rule::parse_recipients("a@example.com\nnot an address").unwrap_err();
        assert_eq!(refused.0, "not an address is not an email address.");
    }
}
