//! Who may do what, and where. Every back-office handler asks one question before it reads
//! or changes a record: `access::require(&session.access, Permission::X, Record::...)`.
//! The answer depends on the record's organization (and, for self-service, its owner):
//!
//! - a global administrator (`users.is_admin`) may do everything everywhere, and is the only
//!   one who manages organizations, the notification outbox, signing keys and global
//!   administrators;
//! - a role (organization administrator, application manager, viewer) grants a set of
//!   permissions in one organization;
//! - a back-office user without any role may, when self-service is on, manage the
//!   applications they own.
//!
//! `Access` is loaded from the database with the session on every request, so a granted or
//! revoked role takes effect on the next request. A record the user may not see answers
//! 404, so an id of another organization is not confirmed to exist; a record the user may
//! see but not change answers 403.

use crate::db::DbConn;
use crate::db::models::client::{Client, Visible};
use crate::db::models::user::User;
use crate::db::models::user_role;
use crate::error::AppError;
use diesel::QueryResult;

/// A role in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    OrgAdmin,
    AppManager,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::OrgAdmin, Self::AppManager, Self::Viewer];

    /// The stored name, also the command line's `--role` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrgAdmin => "org-admin",
            Self::AppManager => "app-manager",
            Self::Viewer => "viewer",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::OrgAdmin => "Organization administrator",
            Self::AppManager => "Application manager",
            Self::Viewer => "Viewer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// What the role allows inside its organization.
    const fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ViewApplication | ViewUsers | ViewCatalog => true,
            CreateApplication
            | EditApplication
            | ActivateApplication
            | DeactivateApplication
            | RotateSecret => matches!(self, Self::OrgAdmin | Self::AppManager),
            DeleteApplication | ManageUsers | ManageRoles | ManageOrganizationSettings => {
                matches!(self, Self::OrgAdmin)
            }
            ManageCatalog | ManageOrganizations | ManageOutbox | ManageSigningKeys
            | ManageGlobalAdmins => false,
        }
    }
}

/// Everything a back-office page may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See an application, its grid row, its history, its secrets' prefixes and its usage.
    ViewApplication,
    CreateApplication,
    EditApplication,
    ActivateApplication,
    DeactivateApplication,
    DeleteApplication,
    /// Add, revoke or expire an application's secrets.
    RotateSecret,
    /// See the users of an organization.
    ViewUsers,
    /// Create, edit, enable and disable the users of an organization (never a global
    /// administrator).
    ManageUsers,
    /// Grant and revoke roles in an organization.
    ManageRoles,
    /// See the scope catalog and the notice templates.
    ViewCatalog,
    /// Change the scope catalog and the notice templates (installation-wide).
    ManageCatalog,
    /// An organization's own settings, such as its consent screen.
    ManageOrganizationSettings,
    ManageOrganizations,
    ManageOutbox,
    ManageSigningKeys,
    ManageGlobalAdmins,
}

impl Permission {
    /// What the owner of an application may do with it under self-service.
    const fn self_service(self) -> bool {
        matches!(
            self,
            Self::ViewApplication
                | Self::CreateApplication
                | Self::EditApplication
                | Self::DeactivateApplication
                | Self::DeleteApplication
                | Self::RotateSecret
        )
    }
}

/// What a permission is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Something of the whole installation (organizations, outbox, keys, catalog).
    Installation,
    /// A record of one organization (a user, its settings).
    Organization(i64),
    /// An application, or one about to be created, of an organization and maybe an owner.
    Application {
        organization_id: i64,
        owner_user_id: Option<i64>,
    },
}

impl Record {
    pub fn application(client: &Client) -> Self {
        Self::Application {
            organization_id: client.organization_id,
            owner_user_id: client.owner_user_id,
        }
    }

    /// A user belongs to its organization; a user of none only to the installation.
    pub fn user(user: &User) -> Self {
        user.organization_id
            .map_or(Self::Installation, Self::Organization)
    }

    fn organization_id(self) -> Option<i64> {
        match self {
            Self::Installation => None,
            Self::Organization(id) => Some(id),
            Self::Application {
                organization_id, ..
            } => Some(organization_id),
        }
    }
}

/// The signed-in user's permissions, read fresh for each request.
#[derive(Debug, Clone)]
pub struct Access {
    pub user_id: i64,
    pub global_admin: bool,
    /// The user's roles, one per organization.
    pub roles: Vec<(i64, Role)>,
    /// Self-service is on and the user holds no role: their own applications only.
    pub self_service: bool,
}

impl Access {
    pub fn load(conn: &mut DbConn, user: &User, self_service_setting: bool) -> QueryResult<Self> {
        let roles: Vec<(i64, Role)> = user_role::for_user(conn, user.id)?
            .into_iter()
            .filter_map(|r| Role::parse(&r.role).map(|role| (r.organization_id, role)))
            .collect();
        Ok(Self {
            user_id: user.id,
            global_admin: user.is_admin,
            self_service: self_service_setting && !user.is_admin && roles.is_empty(),
            roles,
        })
    }

    fn role_in(&self, organization_id: i64) -> Option<Role> {
        self.roles
            .iter()
            .find(|(org, _)| *org == organization_id)
            .map(|(_, role)| *role)
    }

    /// Whether `permission` is granted on `record`.
    pub fn allows(&self, permission: Permission, record: Record) -> bool {
        if self.global_admin {
            return true;
        }
        if let Record::Application {
            owner_user_id: Some(owner),
            ..
        } = record
            && self.self_service
            && owner == self.user_id
            && permission.self_service()
        {
            return true;
        }
        record
            .organization_id()
            .and_then(|org| self.role_in(org))
            .is_some_and(|role| role.allows(permission))
    }

    /// Whether the user may see `record` at all.
    fn sees(&self, record: Record) -> bool {
        let view = match record {
            Record::Application { .. } => Permission::ViewApplication,
            Record::Organization(_) | Record::Installation => Permission::ViewUsers,
        };
        self.allows(view, record)
    }

    /// Whether `permission` is granted anywhere: what navigation shows.
    pub fn may(&self, permission: Permission) -> bool {
        self.global_admin
            || (self.self_service && permission.self_service())
            || self.roles.iter().any(|(_, role)| role.allows(permission))
    }

    /// The organizations where `permission` is granted by a role; `None` means all of them.
    pub fn organizations_with(&self, permission: Permission) -> Option<Vec<i64>> {
        if self.global_admin {
            return None;
        }
        Some(
            self.roles
                .iter()
                .filter(|(_, role)| role.allows(permission))
                .map(|(org, _)| *org)
                .collect(),
        )
    }

    /// The applications the grid and counts may show; `None` means all of them.
    pub fn visible_applications(&self) -> Option<Visible> {
        self.organizations_with(Permission::ViewApplication)
            .map(|organizations| Visible {
                organizations,
                owner_user_id: self.self_service.then_some(self.user_id),
            })
    }

    /// Refuses unless `permission` is granted on `record`: 404 when the user may not even
    /// see the record, 403 when they see it but may not do this.
    pub fn require(&self, permission: Permission, record: Record) -> Result<(), AppError> {
        if self.allows(permission, record) {
            Ok(())
        } else if self.sees(record) {
            Err(AppError::Forbidden("your role does not allow this"))
        } else {
            Err(AppError::NotFound)
        }
    }
}

impl Access {
    /// Refuses with 404 unless `permission` is granted somewhere: for pages that list or
    /// create rather than touch one record.
    pub fn require_somewhere(&self, permission: Permission) -> Result<(), AppError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

/// The one check every back-office handler asks.
pub fn require(access: &Access, permission: Permission, record: Record) -> Result<(), AppError> {
    access.require(permission, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(roles: &[(i64, Role)], self_service: bool) -> Access {
        Access {
            user_id: 7,
            global_admin: false,
            roles: roles.to_vec(),
            self_service,
        }
    }

    fn app(org: i64, owner: Option<i64>) -> Record {
        Record::Application {
            organization_id: org,
            owner_user_id: owner,
        }
    }

    #[test]
    fn an_application_manager_may_not_delete_and_another_organization_is_unseen() {
        let a = access(&[(1, Role::AppManager)], false);
        assert!(a.allows(Permission::EditApplication, app(1, None)));
        assert!(matches!(
            a.require(Permission::DeleteApplication, app(1, None)),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            a.require(Permission::ViewApplication, app(2, None)),
            Err(AppError::NotFound)
        ));
    }

    #[test]
    fn self_service_covers_only_owned_applications_and_never_activation() {
        let a = access(&[], true);
        assert!(a.allows(Permission::DeleteApplication, app(1, Some(7))));
        assert!(!a.allows(Permission::ActivateApplication, app(1, Some(7))));
        assert!(!a.allows(Permission::ViewApplication, app(1, Some(8))));
        assert!(!access(&[], false).allows(Permission::ViewApplication, app(1, Some(7))));
    }

    #[test]
    fn only_global_administrators_manage_the_installation() {
        let a = access(&[(1, Role::OrgAdmin)], false);
        for p in [
            Permission::ManageOrganizations,
            Permission::ManageOutbox,
            Permission::ManageSigningKeys,
            Permission::ManageGlobalAdmins,
        ] {
            assert!(!a.may(p));
        }
        let global = Access {
            global_admin: true,
            ..a
        };
        assert!(global.allows(Permission::ManageOutbox, Record::Installation));
    }
}
