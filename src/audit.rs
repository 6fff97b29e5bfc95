//! The history: who did what, to what, when and from where. Every audit row is written by
//! `record`, inside the transaction of the change it describes, and every kind of row is an
//! `AuditAction`: its stored name appears nowhere else.

use crate::db::DbConn;
use crate::db::models::audit_event::{self, AuditEvent, NewAuditEvent};
use crate::db::models::user::User;
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// Who caused a change. Owned, so it can move into a database task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user, from an address.
    User {
        id: i64,
        name: String,
        ip: Option<String>,
    },
    /// The `tessera` command line, run by whoever operates the server.
    CommandLine,
    /// Someone not signed in, named by what they claimed to be (a username, a client id).
    Anonymous { claimed: String, ip: Option<String> },
}

impl Actor {
    pub fn user(user: &User, ip: Option<String>) -> Self {
        Self::User {
            id: user.id,
            name: user.username.clone(),
            ip,
        }
    }

    pub fn anonymous(claimed: impl Into<String>, ip: Option<String>) -> Self {
        Self::Anonymous {
            claimed: claimed.into(),
            ip,
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Self::User { id, .. } => Some(*id),
            Self::CommandLine | Self::Anonymous { .. } => None,
        }
    }

    /// The name the history and the owner's notices show.
    pub fn name(&self) -> &str {
        match self {
            Self::User { name, .. } => name,
            Self::CommandLine => "command line",
            Self::Anonymous { claimed, .. } => claimed,
        }
    }

    pub fn ip(&self) -> Option<&str> {
        match self {
            Self::User { ip, .. } | Self::Anonymous { ip, .. } => ip.as_deref(),
            Self::CommandLine => None,
        }
    }
}

/// What kind of record an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Client,
    User,
    Organization,
    Mail,
    Scope,
    ScopeCategory,
    Notice,
}

impl Target {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::User => "user",
            Self::Organization => "organization",
            Self::Mail => "mail",
            Self::Scope => "scope",
            Self::ScopeCategory => "scope_category",
            Self::Notice => "notice",
        }
    }
}

macro_rules! audit_actions {
    ($($variant:ident => $stored:literal, $target:ident, $label:literal;)*) => {
        /// Every kind of audit row. The stored name is stable: history written by older
        /// versions reads back as the same action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AuditAction {
            $($variant,)*
        }

        impl AuditAction {
            pub const ALL: &[AuditAction] = &[$(Self::$variant,)*];

            /// The name stored in `audit_events.action`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $stored,)*
                }
            }

            pub const fn target(self) -> Target {
                match self {
                    $(Self::$variant => Target::$target,)*
                }
            }

            /// How the history shows it.
            pub const fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)*
                }
            }
        }
    };
}

audit_actions! {
    ClientCreated => "client_created", Client, "Created";
    ClientUpdated => "client_updated", Client, "Edited";
    ClientActivated => "client_activated", Client, "Activated";
    ClientDeactivated => "client_deactivated", Client, "Deactivated";
    ClientDeleted => "client_deleted", Client, "Deleted";
    ClientSecretAdded => "client_secret_added", Client, "Secret added";
    ClientSecretDisabled => "client_secret_disabled", Client, "Secret disabled";
    CredentialsSent => "credentials_sent", Client, "Credentials link sent to the owner";
    CredentialsResent => "credentials_resent", Client, "New credentials link sent; the previous one no longer works";
    CredentialsCollected => "credentials_collected", Client, "Credentials collected by the owner";
    ClientAuthFailed => "client_auth_failed", Client, "Authentication failed";
    RefreshTokenReused => "refresh_token_reused", Client, "Spent refresh token presented again";
    PasswordGrantFailed => "token_password_failed", User, "Password grant failed";
    SignIn => "sign_in", User, "Signed in";
    SignInFailed => "sign_in_failed", User, "Sign-in failed";
    FirstAdminCreated => "first_admin_created", User, "First administrator created";
    UserCreated => "user_created", User, "Created";
    UserUpdated => "user_updated", User, "Edited";
    UserEnabled => "user_enabled", User, "Enabled";
    UserDisabled => "user_disabled", User, "Disabled";
    RoleGranted => "role_granted", User, "Role granted";
    RoleRevoked => "role_revoked", User, "Role revoked";
    OrganizationCreated => "organization_created", Organization, "Created";
    OrganizationRenamed => "organization_renamed", Organization, "Renamed";
    MailRetried => "mail_retried", Mail, "Retried";
    SsoSignIn => "sso_sign_in", User, "Signed in to authorize an application";
    SsoSignInFailed => "sso_sign_in_failed", User, "Sign-in to authorize an application failed";
    ConsentGranted => "consent_granted", Client, "Access allowed by a person";
    ConsentRevoked => "consent_revoked", Client, "Access revoked by a person";
    AuthorizationCodeReused => "authorization_code_reused", Client, "Spent authorization code presented again";
    ClientAuthorizationUpdated => "client_authorization_updated", Client, "Sign-in and consent settings changed";
    OrganizationConsentScreenUpdated => "organization_consent_screen_updated", Organization, "Consent screen changed";
    ScopeCategoryCreated => "scope_category_created", ScopeCategory, "Created";
    ScopeCategoryUpdated => "scope_category_updated", ScopeCategory, "Edited";
    ScopeCreated => "scope_created", Scope, "Created";
    ScopeUpdated => "scope_updated", Scope, "Edited";
    ScopeDeleted => "scope_deleted", Scope, "Deleted";
    NoticeTemplateSaved => "notice_template_saved", Notice, "Template saved";
    NoticeTemplateReset => "notice_template_reset", Notice, "Template reset to default";
    NoticeTestSent => "notice_test_sent", Notice, "Test notice sent";
    NoticeRuleSaved => "notice_rule_saved", Notice, "Notification rule saved";
}

impl AuditAction {
    pub fn from_stored(stored: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == stored)
    }

    /// The changes to an application, which its history lists (failed authentications by
    /// anyone who knows the client id must not push them out of view).
    pub const CLIENT_CHANGES: &[AuditAction] = &[
        Self::ClientCreated,
        Self::ClientUpdated,
        Self::ClientActivated,
        Self::ClientDeactivated,
        Self::ClientDeleted,
        Self::ClientSecretAdded,
        Self::ClientSecretDisabled,
        Self::CredentialsSent,
        Self::CredentialsResent,
        Self::CredentialsCollected,
    ];
}

/// Writes one audit row in the caller's transaction. `target_id` is the record acted on,
/// when there is one (a failed sign-in may name no user); `detail` is what a reader of the
/// history needs beside the action, and never a secret.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: AuditAction,
    target_id: Option<i64>,
    detail: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    audit_event::insert(
        conn,
        &NewAuditEvent {
            actor_user_id: actor.user_id(),
            actor: actor.name(),
            action: action.as_str(),
            target_type: action.target().as_str(),
            target_id,
            detail,
            ip: actor.ip(),
            created_at: now,
        },
    )
}

/// The newest rows of `actions` about `target_id`, newest first; `actions` are of one kind
/// of target.
pub fn history(
    conn: &mut DbConn,
    actions: &[AuditAction],
    target_id: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let Some(first) = actions.first() else {
        return Ok(Vec::new());
    };
    let names: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    audit_event::for_target(conn, first.target().as_str(), target_id, &names, limit)
}

/// Every row of `action`, oldest first.
pub fn with_action(conn: &mut DbConn, action: AuditAction) -> QueryResult<Vec<AuditEvent>> {
    audit_event::with_action(conn, action.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_stored_name() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_stored(action.as_str()), Some(*action));
        }
        assert_eq!(AuditAction::from_stored("no_such_action"), None);
    }

    #[test]
    fn stored_names_are_unique() {
        let mut names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }
}
