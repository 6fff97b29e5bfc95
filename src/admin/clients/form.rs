//! The application form shared by "create" and "edit".

use crate::access::Permission;
use crate::admin::auth::SignedIn;
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::{Layout, render};
use crate::clients::ClientSpec;
use crate::db::models::organization::{self, Organization};
use crate::db::models::scope::{self, CatalogScope};
use crate::db::models::user::{self, User};
use crate::domain::{
    ApplicationType, ClientName, GrantType, Grants, Invalid, Lifetime, Origins, RedirectUris,
    ScopeToken,
};
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
    /// Blank in a form posted without a type (as before types existed): the type then
    /// follows from the grants.
    pub app_type: String,
    pub grants: Vec<String>,
    pub implicit: bool,
    pub owner_user_id: String,
    pub frontend: bool,
    pub redirect_uris: String,
    pub origins: String,
    pub scopes: Vec<String>,
    pub access_token_ttl: String,
    pub refresh_token_ttl: String,
    /// On the create form: `show` the secret now, or send it to the `owner` (blank in a
    /// form posted without the choice: shown, as before the choice existed).
    pub deliver: String,
}

impl Values {
    pub fn from_form(form: &FormData) -> Self {
        Self {
            organization_id: form.get("organization_id").to_owned(),
            name: form.get("name").to_owned(),
            active: form.checked("active"),
            app_type: form.get("app_type").to_owned(),
            grants: form.all("grants").into_iter().map(str::to_owned).collect(),
            implicit: form.checked("implicit"),
            owner_user_id: form.get("owner_user_id").to_owned(),
            frontend: form.checked("frontend"),
            redirect_uris: form.get("redirect_uris").to_owned(),
            origins: form.get("origins").to_owned(),
            scopes: form.all("scopes").into_iter().map(str::to_owned).collect(),
            access_token_ttl: form.get("access_token_ttl").to_owned(),
            refresh_token_ttl: form.get("refresh_token_ttl").to_owned(),
            deliver: form.get("deliver").to_owned(),
        }
    }

    /// What an existing application shows on its edit form.
    pub fn of_client(client: &crate::db::models::client::Client, scopes: &[CatalogScope]) -> Self {
        Self {
            organization_id: client.organization_id.to_string(),
            name: client.name.clone(),
            active: client.active,
            app_type: client.app_type.clone(),
            grants: client
                .grants()
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            implicit: client.implicit_allowed,
            owner_user_id: client
                .owner_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            frontend: client.frontend,
            redirect_uris: client.redirect_uris().to_stored(),
            origins: client.origins().to_stored(),
            scopes: scopes.iter().map(|s| s.name.clone()).collect(),
            access_token_ttl: client
                .access_token_ttl
                .map(|t| t.to_string())
                .unwrap_or_default(),
            refresh_token_ttl: client
                .refresh_token_ttl
                .map(|t| t.to_string())
                .unwrap_or_default(),
            deliver: String::new(),
        }
    }

    pub fn has_grant(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The type the form is for, when it names one.
    pub fn kind(&self) -> Option<ApplicationType> {
        ApplicationType::parse(&self.app_type).ok()
    }

    /// The grants of a typed form: the fixed grant of a service account or a public client,
    /// the chosen ones of a web application; `kept` are grants the application already has
    /// that its type does not offer (registered before types), which an edit keeps.
    fn typed_grants(&self, kind: ApplicationType, kept: &Grants) -> Result<Grants, Invalid> {
        let chosen: Vec<GrantType> = match kind {
            ApplicationType::Service => vec![GrantType::ClientCredentials],
            ApplicationType::Public => vec![GrantType::AuthorizationCode],
            ApplicationType::Web => kind
                .selectable_grants()
                .iter()
                .copied()
                .filter(|g| self.has_grant(g.as_str()))
                .collect(),
        };
        let chosen = Grants::of(chosen)
            .map_err(|_| Invalid::new("Choose the authorization code or password grant."))?;
        kind.check_grants(&chosen, self.implicit)?;
        let mut all: Vec<GrantType> = chosen.iter().collect();
        all.extend(
            kept.iter()
                .filter(|g| !kind.selectable_grants().contains(g)),
        );
        Grants::of(all)
    }

    /// Parses into a spec, or records each refusal beside its field. `kept` are the grants
    /// an edited application already has.
    pub fn parse(
        &self,
        options: &Options,
        kept: &Grants,
        errors: &mut FieldErrors,
    ) -> Option<ClientSpec> {
        let name = errors.check("name", ClientName::parse(&self.name));
        let (kind, grants) = match self.app_type.trim() {
            "" => {
                let grants = errors.check(
                    "grants",
                    Grants::parse(self.grants.iter().map(String::as_str)),
                );
                (grants.as_ref().map(ApplicationType::of_legacy), grants)
            }
            raw => match errors.check("app_type", ApplicationType::parse(raw)) {
                Some(kind) => (
                    Some(kind),
                    errors.check("grants", self.typed_grants(kind, kept)),
                ),
                None => (None, None),
            },
        };
        let redirect_uris = match RedirectUris::parse_lines(&self.redirect_uris) {
            Ok(uris) => Some(uris),
            Err(why) => {
                why.into_iter()
                    .for_each(|w| errors.add("redirect_uris", w.0));
                None
            }
        };
        let origins = match Origins::parse_lines(&self.origins) {
            Ok(origins) => Some(origins),
            Err(why) => {
                why.into_iter().for_each(|w| errors.add("origins", w.0));
                None
            }
        };
        let mut scopes = Vec::new();
        for raw in &self.scopes {
            if let Some(token) = errors.check("scopes", ScopeToken::parse(raw)) {
                scopes.push(token);
            }
        }
        let access_token_ttl = errors.check(
            "access_token_ttl",
            Lifetime::access_token(&self.access_token_ttl),
        );
        let refresh_token_ttl = errors.check(
            "refresh_token_ttl",
            Lifetime::refresh_token(&self.refresh_token_ttl),
        );
        // With one organization to choose from the field is not shown; a posted id is
        // still checked, so another organization's id is refused.
        let organization_id = match (
            options.organizations.as_slice(),
            self.organization_id.trim(),
        ) {
            ([only], "") => Some(only.id),
            (_, raw) => match raw.parse::<i64>() {
                Ok(id) if options.organizations.iter().any(|o| o.id == id) => Some(id),
                _ => {
                    errors.add("organization", "Choose an organization.");
                    None
                }
            },
        };
        let owner_user_id = match (options.self_service_owner, self.owner_user_id.trim()) {
            (Some(me), _) => Some(Some(me)),
            (None, "") => Some(None),
            (None, raw) => match raw.parse::<i64>() {
                Ok(id) if options.owners.iter().any(|o| o.id == raw) => Some(Some(id)),
                _ => {
                    errors.add("owner", "Choose a user from the list.");
                    None
                }
            },
        };
        if scopes.len() != self.scopes.len() {
            return None;
        }
        Some(ClientSpec {
            app_type: kind?,
            implicit_allowed: self.implicit,
            redirect_uris: redirect_uris?,
            origins: origins?,
            scopes,
            access_token_ttl: access_token_ttl?,
            refresh_token_ttl: refresh_token_ttl?,
            active: self.active,
            ..ClientSpec::legacy(
                organization_id?,
                name?,
                grants?,
                owner_user_id?,
                self.frontend,
            )
        })
    }
}

pub struct GrantOption {
    pub value: &'static str,
    pub label: &'static str,
}

/// The catalog scopes of one category, as the form groups them.
pub struct ScopeGroup {
    pub category: String,
    pub scopes: Vec<CatalogScope>,
}

/// The choices the form offers: only the organizations where the signed-in user may create
/// applications and the users they may see, so a posted id outside them is refused.
pub struct Options {
    pub organizations: Vec<Organization>,
    pub owners: Vec<OwnerOption>,
    pub grants: Vec<GrantOption>,
    pub scopes: Vec<ScopeGroup>,
    /// Under self-service the owner is always the signed-in user.
    pub self_service_owner: Option<i64>,
    /// The signed-in user, whose own applications' secrets are shown rather than sent.
    pub me: String,
}

impl Options {
    /// `current` is the organization of the application being edited, which the edit
    /// check has already allowed.
    pub async fn load(
        session: &SignedIn,
        state: &AppState,
        current: Option<i64>,
    ) -> Result<Self, AppError> {
        let access = &session.access;
        let creatable = access.organizations_with(Permission::CreateApplication);
        let user_orgs = access.organizations_with(Permission::ViewUsers);
        let me = session.user.clone();
        let self_service_owner = access.self_service.then_some(me.id);
        let (organizations, users, catalog) = crate::db::run(&state.pool, |conn| {
            Ok::<_, AppError>((
                organization::list(conn)?,
                user::list(conn)?,
                scope::list(conn)?,
            ))
        })
        .await?;
        let mut scopes: Vec<ScopeGroup> = Vec::new();
        for row in catalog {
            match scopes.last_mut() {
                Some(group) if group.category == row.category => group.scopes.push(row.scope),
                _ => scopes.push(ScopeGroup {
                    category: row.category,
                    scopes: vec![row.scope],
                }),
            }
        }
        let allowed = |org: Option<i64>, among: &Option<Vec<i64>>| match among {
            None => true,
            Some(ids) => org.is_some_and(|id| ids.contains(&id)),
        };
        let own_org = self_service_owner.and(me.organization_id);
        Ok(Self {
            organizations: organizations
                .into_iter()
                .filter(|o| {
                    allowed(Some(o.id), &creatable)
                        || Some(o.id) == current
                        || Some(o.id) == own_org
                })
                .collect(),
            owners: users
                .iter()
                .filter(|u| u.enabled)
                .filter(|u| u.id == me.id || allowed(u.organization_id, &user_orgs))
                .filter(|u| self_service_owner.is_none_or(|id| id == u.id))
                .map(OwnerOption::of)
                .collect(),
            self_service_owner,
            me: me.id.to_string(),
            grants: GrantType::SELECTABLE
                .iter()
                .map(|g| GrantOption {
                    value: g.as_str(),
                    label: g.label(),
                })
                .collect(),
            scopes,
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
