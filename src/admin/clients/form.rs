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
pub struct Values {
    pub organization_id: String,
    pub name: String,
    pub active: bool,
    pub grants: Vec<String>,
    pub owner_user_id: String,
    pub frontend: bool,
}

impl Values {
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
    pub fn parse(&self, options: &Options, errors: &mut FieldErrors) -> Option<ClientSpec> {
        let name = errors.check("name", ClientName::parse(&self.name));
        let grants = errors.check(
            "grants",
            Grants::parse(self.grants.iter().map(String::as_str)),
        );
        let organization_id = match options.organizations.as_slice() {
            [only] => Some(only.id),
            _ => match self.organization_id.parse::<i64>() {
                Ok(id) if options.organizations.iter().any(|o| o.id == id) => Some(id),
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
        Some(ClientSpec::legacy(
            organization_id?,
            name?,
            grants?,
            owner_user_id?,
            self.frontend,
        ))
    }
}

pub struct GrantOption {
    pub value: &'static str,
    pub label: &'static str,
}

/// The choices the form offers.
pub struct Options {
    pub organizations: Vec<Organization>,
    pub owners: Vec<OwnerOption>,
    pub grants: Vec<GrantOption>,
}

impl Options {
    pub async fn load(state: &AppState) -> Result<Self, AppError> {
        let (organizations, users) = crate::db::run(&state.pool, |conn| {
            Ok::<_, AppError>((organization::list(conn)?, user::list(conn)?))
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

    pub fn show_organization(&self) -> bool {
        self.organizations.len() > 1
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

/// What differs between the create and the edit page; they share one template.
pub struct FormContent {
    pub heading: &'static str,
    pub action: String,
    pub cancel_url: String,
    pub values: Values,
    pub errors: FieldErrors,
    pub options: Options,
    /// Only the create form has one: it makes a second submission find the first.
    pub creation_key: String,
    /// Only the edit form shows it, read-only.
    pub client_id: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/oauth_applications/form.html")]
struct FormPage {
    layout: Layout,
    form: FormContent,
}

impl FormContent {
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
