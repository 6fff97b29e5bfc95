//! The application form shared by "create" and "edit".

use crate::admin::auth::SignedIn;
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::{Layout, render};
use crate::clients::ClientSpec;
use crate::db::models::organization::{self, Organization};
use crate::db::models::user::{self, User};
use crate::domain::{ClientName, GrantType, Grants};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::HttpResponse;
use askama::Template;

/// What the person typed, kept as typed so a refused form comes back filled in.
#[derive(Default)]
pub struct ApplicationInput {
    pub organization_id: String,
    pub name: String,
    pub active: bool,
    pub grants: Vec<String>,
    pub owner_user_id: String,
    pub frontend: bool,
}

impl ApplicationInput {
    pub fn from_form(form: &FormData) -> Self {
        Self {
            organization_id: form.get("organization_id").to_owned(),
            name: form.get("name").to_owned(),
            active: form.checked("active"),
            grants: form.all("grants").into_iter().map(str::to_owned).collect(),
            owner_user_id: form.get("owner_user_id").to_owned(),
            frontend: form.checked("frontend"),
        }
    }

    pub fn has_grant(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    /// Parses into a spec, or records each refusal beside its field.
    pub fn parse(&self, choices: &FormChoices, errors: &mut FieldErrors) -> Option<ClientSpec> {
        let name = errors.check("name", ClientName::parse(&self.name));
        let grants = errors.check(
            "grants",
            Grants::parse(self.grants.iter().map(String::as_str)),
        );
        let organization_id = match choices.organizations.as_slice() {
            [only] => Some(only.id),
            _ => match self.organization_id.parse::<i64>() {
                Ok(id) if choices.organizations.iter().any(|o| o.id == id) => Some(id),
                _ => {
                    errors.add("organization", "Choose an organization.");
                    None
                }
            },
        };
        let owner_user_id = match self.owner_user_id.trim() {
            "" => Some(None),
            raw => match raw.parse::<i64>() {
                Ok(id) => Some(Some(id)),
                Err(_) => {
                    errors.add("owner", "Choose a user from the list.");
                    None
                }
            },
        };
        Some(ClientSpec {
            organization_id: organization_id?,
            name: name?,
            grants: grants?,
            owner_user_id: owner_user_id?,
            frontend: self.frontend,
            active: self.active,
        })
    }
}

pub struct GrantOption {
    pub value: &'static str,
    pub label: &'static str,
}

/// The choices the form offers.
pub struct FormChoices {
    pub organizations: Vec<Organization>,
    pub owners: Vec<OwnerOption>,
    pub grants: Vec<GrantOption>,
}

impl FormChoices {
    pub async fn load(state: &AppState) -> Result<Self, AppError> {
        let (organizations, users) = crate::db::query(&state.pool, |conn| {
            Ok((organization::list(conn)?, user::list(conn)?))
        })
        .await?;
        Ok(Self {
            organizations,
            owners: users
                .iter()
                .filter(|u| u.enabled)
                .map(OwnerOption::of)
                .collect(),
            grants: GrantType::SELECTABLE
                .iter()
                .map(|g| GrantOption {
                    value: g.as_str(),
                    label: g.label(),
                })
                .collect(),
        })
    }
}

pub struct OwnerOption {
    pub id: String,
    /// "username (Back-office)": the kind decides which applications the user may own.
    pub label: String,
}

impl OwnerOption {
    fn of(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            label: format!("{} ({})", user.username, user.kind().label()),
        }
    }
}

/// Creating and editing share one page; the mode says which it is.
pub enum FormMode {
    /// The creation key makes a second submission of the same form find the first one's
    /// application; the organization is chosen here, once.
    Create { creation_key: String },
    /// The client id is shown read-only; the organization never changes.
    Edit { client_id: String },
}

impl FormMode {
    pub fn creation_key(&self) -> Option<&str> {
        match self {
            Self::Create { creation_key } => Some(creation_key),
            Self::Edit { .. } => None,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::Create { .. } => None,
            Self::Edit { client_id } => Some(client_id),
        }
    }
}

/// The application form as a page shows it.
pub struct ApplicationForm {
    pub heading: &'static str,
    pub action: String,
    pub cancel_url: String,
    pub mode: FormMode,
    pub input: ApplicationInput,
    pub errors: FieldErrors,
    pub choices: FormChoices,
}

impl ApplicationForm {
    /// The organization field shows when creating, and only if there is a choice.
    pub fn choose_organization(&self) -> bool {
        self.mode.creation_key().is_some() && self.choices.organizations.len() > 1
    }
}

#[derive(Template)]
#[template(path = "admin/oauth_applications/form.html")]
struct FormPage {
    layout: Layout,
    form: ApplicationForm,
}

impl ApplicationForm {
    pub fn render(
        self,
        session: &SignedIn,
        state: &AppState,
        title: String,
    ) -> Result<HttpResponse, AppError> {
        render(&FormPage {
            layout: Layout::signed_in(session, state, title, "applications"),
            form: self,
        })
    }
}
