use crate::access::{Access, Permission, Record};
use crate::admin::auth::SignedIn;
use crate::state::AppState;

/// What the base template needs on every back-office page.
pub struct Layout {
    pub title: String,
    pub username: Option<String>,
    /// The grid filtered to the signed-in user's own applications.
    pub my_applications_url: String,
    pub csrf_token: String,
    pub flash: Option<String>,
    /// Oro's banner: without signing keys no token can be issued.
    pub keys_warning: Option<String>,
    /// A private key file others may read (Oro shows one when the key is not 0600).
    pub key_files_warning: Option<String>,
    pub section: &'static str,
    /// What the signed-in user may do: navigation and buttons show only that.
    pub access: Option<Access>,
}

impl Layout {
    pub fn signed_in(
        session: &SignedIn,
        state: &AppState,
        title: impl Into<String>,
        section: &'static str,
    ) -> Self {
        Self {
            title: title.into(),
            username: Some(session.user.username.clone()),
            my_applications_url: format!("/admin/oauth-applications?owner={}", session.user.id),
            csrf_token: session.csrf_token.clone(),
            flash: session.flash.clone(),
            keys_warning: state.keys.as_ref().err().map(ToString::to_string),
            key_files_warning: state.key_files_warning.clone(),
            section,
            access: Some(session.access.clone()),
        }
    }

    /// Whether the main navigation offers `section`.
    pub fn shows(&self, section: &str) -> bool {
        let Some(access) = &self.access else {
            return false;
        };
        match section {
            "applications" => !access.self_service && access.may(Permission::ViewApplication),
            "my-applications" => access.self_service,
            "users" => access.may(Permission::ViewUsers),
            "organizations" => access.may(Permission::ManageOrganizations),
            "notifications" => access.may(Permission::ManageOutbox),
            "scopes" | "emails" => access.may(Permission::ViewCatalog),
            _ => false,
        }
    }

    /// Whether a button for `action` ("edit", "activate", "deactivate", "delete", "rotate") on an
    /// application of `organization_id` owned by `owner_user_id` would be allowed.
    pub fn can(&self, action: &str, organization_id: &i64, owner_user_id: &Option<i64>) -> bool {
        let permission = match action {
            "create" => Permission::CreateApplication,
            "edit" => Permission::EditApplication,
            "activate" => Permission::ActivateApplication,
            "deactivate" => Permission::DeactivateApplication,
            "delete" => Permission::DeleteApplication,
            "rotate" => Permission::RotateSecret,
            _ => return false,
        };
        let record = Record::Application {
            organization_id: *organization_id,
            owner_user_id: *owner_user_id,
        };
        self.access
            .as_ref()
            .is_some_and(|a| a.allows(permission, record))
    }

    /// Whether the user may create applications anywhere.
    pub fn may_create_applications(&self) -> bool {
        self.access
            .as_ref()
            .is_some_and(|a| a.may(Permission::CreateApplication))
    }

    pub fn anonymous(title: impl Into<String>, csrf_token: String) -> Self {
        Self {
            title: title.into(),
            username: None,
            my_applications_url: String::new(),
            csrf_token,
            flash: None,
            keys_warning: None,
            key_files_warning: None,
            section: "",
            access: None,
        }
    }
}
