//! What an owner is told about their applications. Each notice is rendered and queued
//! inside the transaction of the change it reports; the mail worker sends it after the
//! commit.
//!
//! A notice is built from the application row alone, which holds no secret: only the
//! secret's hash lives elsewhere, so no notice can carry a credential (ASVS 6.5.2).

use crate::audit::{Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::Client;
use crate::db::models::{organization, user};
use crate::mail::Outgoing;
use askama::Template;
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// The changes an owner hears about: each decides whether their application works at all.
/// A new name or new grants ask nothing of the owner and send nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    AddedToAccount,
    Activated,
    Deactivated,
    Removed,
    SecretAdded,
    SecretDisabled,
}

impl Notice {
    pub fn for_action(action: AuditAction) -> Option<Self> {
        match action {
            AuditAction::ClientCreated => Some(Self::AddedToAccount),
            AuditAction::ClientActivated => Some(Self::Activated),
            AuditAction::ClientDeactivated => Some(Self::Deactivated),
            AuditAction::ClientDeleted => Some(Self::Removed),
            AuditAction::ClientSecretAdded => Some(Self::SecretAdded),
            AuditAction::ClientSecretDisabled => Some(Self::SecretDisabled),
            _ => None,
        }
    }
}

/// What a notice says for one kind of change.
struct Wording {
    subject: &'static str,
    summary: &'static str,
    consequence: &'static str,
}

fn wording(notice: Notice) -> Wording {
    match notice {
        Notice::AddedToAccount => Wording {
            subject: "OAuth application added to your account",
            summary: "An OAuth application was added to your account.",
            consequence: "It can obtain access tokens with its Client ID and secret. \
                          The secret is never sent by email.",
        },
        Notice::Activated => Wording {
            subject: "OAuth application on your account activated",
            summary: "An OAuth application on your account was activated.",
            consequence: "It can obtain access tokens again.",
        },
        Notice::Deactivated => Wording {
            subject: "OAuth application on your account deactivated",
            summary: "An OAuth application on your account was deactivated.",
            consequence: "It can no longer obtain access tokens, and the tokens it held \
                          stopped working.",
        },
        Notice::Removed => Wording {
            subject: "OAuth application removed from your account",
            summary: "An OAuth application was removed from your account.",
            consequence: "Its credentials and tokens no longer work.",
        },
        Notice::SecretAdded => Wording {
            subject: "New client secret for an OAuth application on your account",
            summary: "A client secret was added to an OAuth application on your account.",
            consequence: "The application can obtain access tokens with it. The secret is \
                          never sent by email: only its first characters are shown below.",
        },
        Notice::SecretDisabled => Wording {
            subject: "Client secret of an OAuth application on your account disabled",
            summary: "A client secret of an OAuth application on your account was disabled.",
            consequence: "Requests presenting it are refused from now on.",
        },
    }
}

/// The facts both parts of a notice show.
struct ClientNotice<'a> {
    greeting_name: &'a str,
    summary: &'a str,
    consequence: &'a str,
    application: &'a str,
    client_id: &'a str,
    secret_prefix: Option<&'a str>,
    organization: &'a str,
    actor: &'a str,
    when: String,
}

#[derive(Template)]
#[template(path = "email/client_event.txt")]
struct NoticeText<'a> {
    notice: &'a ClientNotice<'a>,
}

#[derive(Template)]
#[template(path = "email/client_event.html")]
struct NoticeHtml<'a> {
    subject: &'a str,
    notice: &'a ClientNotice<'a>,
}

/// Queues the owner's notice inside the caller's transaction. An application without an
/// owner, or an owner without an address, has nobody to tell.
pub fn queue(
    conn: &mut DbConn,
    client: &Client,
    notice: Notice,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    notify(conn, client, notice, None, actor, now)
}

/// Queues the owner's notice that a secret of `client` was added or disabled; it names the
/// secret by its visible prefix only.
pub fn queue_about_secret(
    conn: &mut DbConn,
    client: &Client,
    notice: Notice,
    secret_prefix: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    notify(conn, client, notice, Some(secret_prefix), actor, now)
}

fn notify(
    conn: &mut DbConn,
    client: &Client,
    notice: Notice,
    secret_prefix: Option<&str>,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let wording = wording(notice);
    let Some(owner_id) = client.owner_user_id else {
        return Ok(());
    };
    let Some(owner) = user::get(conn, owner_id)? else {
        return Ok(());
    };
    if owner.email.trim().is_empty() {
        return Ok(());
    }
    let organization = organization::get(conn, client.organization_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    let greeting_name = if owner.full_name.trim().is_empty() {
        &owner.username
    } else {
        &owner.full_name
    };
    let notice = ClientNotice {
        greeting_name,
        summary: wording.summary,
        consequence: wording.consequence,
        application: &client.name,
        client_id: &client.client_id,
        secret_prefix,
        organization: &organization,
        actor: actor.name(),
        when: crate::clock::display_time(now),
    };
    // A template that cannot render is a bug the tests catch; failing here rolls the change
    // back rather than committing it without its notice.
    let body_text = NoticeText { notice: &notice }
        .render()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let body_html = NoticeHtml {
        subject: wording.subject,
        notice: &notice,
    }
    .render()
    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    crate::mail::queue(
        conn,
        &Outgoing {
            recipient: owner.email.trim(),
            subject: wording.subject,
            body_text: &body_text,
            body_html: &body_html,
        },
        now,
    )
}
