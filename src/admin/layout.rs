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
        }
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
        }
    }
}
