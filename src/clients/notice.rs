//! What is told about an application's changes, and to whom. Each notice is rendered and
//! queued inside the transaction of the change it reports; the mail worker sends it after
//! the commit.
//!
//! This is where the context a notice template sees is built (`NoticeContext`), from the
//! application row, its organization, its owner and the actor. None of them holds a secret
//! (a secret's hash lives in another table), so no template can carry a credential
//! (ASVS 6.5.2). The template comes from `mail::templates`, the recipients from
//! `mail::rules`.

use crate::audit::{Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::Client;
use crate::db::models::user::User;
use crate::db::models::{organization, user, user_role};
use crate::domain::Locale;
use crate::mail::rules::{self, Rule};
use crate::mail::templates::{self, Event, NoticeContext, Rendered};
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// The changes that are told: each decides whether an application works at all, or who
/// answers for it. A new name or new grants ask nothing of the owner and send nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    AddedToAccount,
    Activated,
    Deactivated,
    Removed,
    /// To the new owner, when an edit hands the application over.
    HandedOver,
    /// A client secret was added: `queue(conn, &client, Notice::SecretAdded, actor, now)`.
    SecretAdded,
    /// A client secret was disabled: `queue(conn, &client, Notice::SecretDisabled, ...)`.
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

    /// The template and the rule it follows.
    pub const fn event(self) -> Event {
        match self {
            Self::AddedToAccount => Event::ApplicationAdded,
            Self::Activated => Event::ApplicationActivated,
            Self::Deactivated => Event::ApplicationDeactivated,
            Self::Removed => Event::ApplicationDeleted,
            Self::HandedOver => Event::OwnerChanged,
            Self::SecretAdded => Event::SecretAdded,
            Self::SecretDisabled => Event::SecretDisabled,
        }
    }
}

/// Someone a notice goes to, and the language they read.
struct Recipient {
    address: String,
    locale: Locale,
}

impl Recipient {
    fn user(user: &User) -> Option<Self> {
        let address = user.email.trim();
        (!address.is_empty()).then(|| Self {
            address: address.to_owned(),
            locale: Locale::parse(&user.locale).unwrap_or_else(|_| Locale::english()),
        })
    }
}

/// Adds `recipient` unless its address is already on the list (addresses compare without
/// case), so nobody gets the same notice twice.
fn add_once(list: &mut Vec<Recipient>, recipient: Recipient) {
    if !list
        .iter()
        .any(|r| r.address.eq_ignore_ascii_case(&recipient.address))
    {
        list.push(recipient);
    }
}

/// The rule's recipients for `client`: its owner (when the rule says so and they have an
/// address), the enabled holders of the rule's roles in the application's organization,
/// then the fixed addresses, each once.
fn recipients(
    conn: &mut DbConn,
    rule: &Rule,
    client: &Client,
    owner: Option<&User>,
) -> QueryResult<Vec<Recipient>> {
    let mut list: Vec<Recipient> = Vec::new();
    if rule.notify_owner
        && let Some(owner) = owner.and_then(Recipient::user)
    {
        list.push(owner);
    }
    if !rule.notify_roles.is_empty() {
        let roles: Vec<&str> = rule.notify_roles.iter().map(|r| r.as_str()).collect();
        for holder in user_role::holders(conn, client.organization_id, &roles)? {
            if let Some(recipient) = Recipient::user(&holder) {
                add_once(&mut list, recipient);
            }
        }
    }
    for email in &rule.extra_recipients {
        add_once(
            &mut list,
            Recipient {
                address: email.as_str().to_owned(),
                locale: Locale::english(),
            },
        );
    }
    Ok(list)
}

/// Whether a notice goes to the owner as its rule says, or to the rule's other recipients
/// only (the owner hears of the change through their credentials link instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerCopy {
    AsRuled,
    Skip,
}

/// Queues the notice of a change to `client` inside the caller's transaction, to the
/// recipients its rule names, each in their locale. A rule that is off, or names nobody
/// reachable, queues nothing.
pub fn queue(
    conn: &mut DbConn,
    client: &Client,
    notice: Notice,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    queue_copy(conn, client, (notice, OwnerCopy::AsRuled), actor, now)
}

/// `queue`, but with `OwnerCopy::Skip` the owner is left out of the rule's recipients.
pub fn queue_copy(
    conn: &mut DbConn,
    client: &Client,
    (notice, owner_copy): (Notice, OwnerCopy),
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let change = notice.event().label().to_owned();
    queue_with_change(conn, client, notice, change, owner_copy, actor, now)
}

/// Queues the owner's `CredentialsReady` notice with the one-time link, whatever the
/// notification rules say: to the owner alone, in their locale. `false` when the owner
/// has no address to send it to.
pub fn queue_credentials_link(
    conn: &mut DbConn,
    client: &Client,
    owner: &User,
    collect_url: String,
    change: String,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(recipient) = Recipient::user(owner) else {
        return Ok(false);
    };
    let mut context = context(conn, client, Some(owner), change, actor, now)?;
    context.collect_url = collect_url;
    let event = Event::CredentialsReady;
    let message = templates::render_notice(conn, event, &recipient.locale, &context)?;
    crate::mail::queue(conn, &message.to(&recipient.address), now)?;
    Ok(true)
}

/// Queues the owner's notice that a secret of `client` was added or disabled; the change
/// names the secret by its visible prefix only, never the secret.
pub fn queue_about_secret(
    conn: &mut DbConn,
    client: &Client,
    notice: Notice,
    secret_prefix: &str,
    owner_copy: OwnerCopy,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let change = format!("{} ({secret_prefix}…)", notice.event().label());
    queue_with_change(conn, client, notice, change, owner_copy, actor, now)
}

/// What a template sees about a change to `client`: names, ids, times and links.
fn context(
    conn: &mut DbConn,
    client: &Client,
    owner: Option<&User>,
    change: String,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<NoticeContext> {
    let organization = organization::get(conn, client.organization_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    let owner_name = owner.map_or(String::new(), |o| {
        if o.full_name.trim().is_empty() {
            o.username.clone()
        } else {
            o.full_name.clone()
        }
    });
    Ok(NoticeContext {
        application: client.name.clone(),
        client_id: client.client_id.clone(),
        organization,
        owner_name,
        change,
        changed_by: actor.name().to_owned(),
        changed_at: crate::clock::display_time(now),
        application_url: templates::application_url(client.id),
        collect_url: String::new(),
    })
}

fn queue_with_change(
    conn: &mut DbConn,
    client: &Client,
    notice: Notice,
    change: String,
    owner_copy: OwnerCopy,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let event = notice.event();
    let rule = rules::for_event(conn, event)?;
    if !rule.enabled {
        return Ok(());
    }
    let owner = match client.owner_user_id {
        Some(id) => user::get(conn, id)?,
        None => None,
    };
    let mut recipients = recipients(conn, &rule, client, owner.as_ref())?;
    if owner_copy == OwnerCopy::Skip
        && let Some(owner) = owner.as_ref().and_then(Recipient::user)
    {
        // Whatever role or address names them, the owner hears through their link.
        recipients.retain(|r| !r.address.eq_ignore_ascii_case(&owner.address));
    }
    if recipients.is_empty() {
        return Ok(());
    }
    let context = context(conn, client, owner.as_ref(), change, actor, now)?;
    let mut rendered: Vec<(Locale, Rendered)> = Vec::new();
    for recipient in &recipients {
        let index = match rendered.iter().position(|(l, _)| *l == recipient.locale) {
            Some(index) => index,
            None => {
                let message = templates::render_notice(conn, event, &recipient.locale, &context)?;
                rendered.push((recipient.locale.clone(), message));
                rendered.len() - 1
            }
        };
        crate::mail::queue(conn, &rendered[index].1.to(&recipient.address), now)?;
    }
    Ok(())
}
