//! Create and edit users. A new user needs a password; on edit a password is optional and,
//! when given, replaces the old one.

use super::{load, view_url};
use crate::access::Permission;
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::{FieldErrors, FormData};
use crate::admin::{Layout, keep_refusals, render};
use crate::db::models::organization::{self, Organization};
use crate::db::models::user::User;
use crate::domain::{Email, Locale, Password, PersonName, UserKind, Username};
use crate::error::AppError;
use crate::state::AppState;
use crate::users::{self, AccountChanges, NewAccount, UserError};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// What the person typed, kept as typed so a refused form comes back filled in.
#[derive(Default)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub kind: String,
    pub is_admin: bool,
    pub organization_id: String,
    pub locale: String,
}

impl UserInput {
    fn from_form(form: &FormData) -> Self {
        Self {
            username: form.get("username").to_owned(),
            email: form.get("email").to_owned(),
            full_name: form.get("full_name").to_owned(),
            kind: form.get("kind").to_owned(),
            is_admin: form.checked("is_admin"),
            organization_id: form.get("organization_id").to_owned(),
            locale: form.get("locale").to_owned(),
        }
    }

    fn of(user: &User) -> Self {
        Self {
            username: user.username.clone(),
            email: user.email.clone(),
            full_name: user.full_name.clone(),
            kind: user.kind.clone(),
            is_admin: user.is_admin,
            organization_id: user
                .organization_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            locale: user.locale.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users/form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel_url: String,
    editing: bool,
    values: UserInput,
    errors: FieldErrors,
    organizations: Vec<Organization>,
    /// Only global administrators see, and may change, the global administrator flag.
    global_admin_field: bool,
}

/// The fields the create and the edit form share, parsed.
struct AccountFields {
    email: Email,
    full_name: Option<PersonName>,
    kind: UserKind,
    organization_id: Option<i64>,
    password: Option<Password>,
    locale: Locale,
}

fn parse_account_fields(
    form: &FormData,
    password_required: bool,
    errors: &mut FieldErrors,
) -> Option<AccountFields> {
    let email = errors.check("email", Email::parse(form.get("email")));
    let full_name = match form.get("full_name").trim() {
        "" => Some(None),
        raw => errors.check("full_name", PersonName::parse(raw)).map(Some),
    };
    let kind = errors.check("kind", UserKind::parse(form.get("kind")));
    let organization_id = match form.get("organization_id") {
        "" => Some(None),
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                errors.add("organization", "Choose an organization from the list.");
                None
            }
        },
    };
    let locale = match form.get("locale") {
        "" => Some(Locale::english()),
        raw => errors.check("locale", Locale::parse(raw)),
    };
    let password = match form.get("password") {
        "" if !password_required => Some(None),
        raw => errors.check("password", Password::parse(raw)).map(Some),
    };
    if password.as_ref().is_some_and(Option::is_some)
        && form.get("password") != form.get("password_confirm")
    {
        errors.add("password_confirm", "The two passwords differ.");
    }
    Some(AccountFields {
        email: email?,
        full_name: full_name?,
        kind: kind?,
        organization_id: organization_id?,
        password: password?,
        locale: locale?,
    })
}

async fn hash(password: Option<Password>) -> Result<Option<String>, AppError> {
    match password {
        None => Ok(None),
        Some(p) => Ok(Some(
            web::block(move || crate::passwords::hash(p.expose())).await??,
        )),
    }
}

/// The organizations the signed-in user may put users in.
async fn load_organizations(
    session: &SignedIn,
    state: &AppState,
) -> Result<Vec<Organization>, AppError> {
    let allowed = session.access.organizations_with(Permission::ManageUsers);
    Ok(crate::db::query(&state.pool, organization::list)
        .await?
        .into_iter()
        .filter(|o| allowed.as_ref().is_none_or(|ids| ids.contains(&o.id)))
        .collect())
}

/// Refuses an organization the signed-in user may not put users in, and the global
/// administrator flag from anyone but a global administrator.
fn check_scope(
    session: &SignedIn,
    organization_id: Option<i64>,
    is_admin: bool,
    was_admin: bool,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    if is_admin != was_admin && !session.access.global_admin {
        return Err(AppError::Forbidden(
            "only global administrators name global administrators",
        ));
    }
    let allowed = session.access.organizations_with(Permission::ManageUsers);
    if let Some(ids) = allowed
        && !organization_id.is_some_and(|id| ids.contains(&id))
    {
        errors.add("organization", "Choose an organization from the list.");
    }
    Ok(())
}

async fn page(
    session: &SignedIn,
    state: &AppState,
    editing: Option<&User>,
    values: UserInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let organizations = load_organizations(session, state).await?;
    let (heading, action, cancel_url) = match editing {
        Some(user) => (
            format!("Edit {}", user.username),
            format!("{}/edit", view_url(user.id)),
            view_url(user.id),
        ),
        None => (
            "Create user".to_owned(),
            "/admin/users/new".to_owned(),
            "/admin/users".to_owned(),
        ),
    };
    render(&FormPage {
        layout: Layout::signed_in(session, state, heading.clone(), "users"),
        heading,
        action,
        cancel_url,
        editing: editing.is_some(),
        values,
        errors,
        organizations,
        global_admin_field: session.access.global_admin,
    })
}

pub async fn new_form(
    session: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ManageUsers)?;
    let values = UserInput {
        kind: UserKind::Backoffice.as_str().to_owned(),
        organization_id: load_organizations(&session, &state)
            .await?
            .first()
            .map(|o| o.id.to_string())
            .unwrap_or_default(),
        ..UserInput::default()
    };
    page(&session, &state, None, values, FieldErrors::default()).await
}

pub async fn create(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(form.get("username")));
    let fields = parse_account_fields(&form, true, &mut errors);
    session.access.require_somewhere(Permission::ManageUsers)?;
    if let Some(f) = &fields {
        check_scope(
            &session,
            f.organization_id,
            form.checked("is_admin"),
            false,
            &mut errors,
        )?;
    }
    let (Some(username), Some(fields), true) = (username, fields, errors.is_empty()) else {
        return page(&session, &state, None, UserInput::from_form(&form), errors).await;
    };
    let account = NewAccount {
        username,
        email: fields.email,
        full_name: fields.full_name,
        kind: fields.kind,
        is_admin: form.checked("is_admin"),
        organization_id: fields.organization_id,
        password_hash: hash(fields.password).await?.unwrap_or_default(),
        locale: fields.locale,
    };
    let (actor, now) = (session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(users::create(conn, &account, &actor, now))
    })
    .await?;
    match result {
        Ok(user) => {
            flash_and_redirect(
                &state,
                &session,
                format!("Created {}.", user.username),
                &view_url(user.id),
            )
            .await
        }
        Err(refusal) => {
            let field = if matches!(refusal, UserError::UsernameTaken) {
                "username"
            } else {
                "organization"
            };
            errors.add(field, refusal.to_string());
            page(&session, &state, None, UserInput::from_form(&form), errors).await
        }
    }
}

pub async fn edit_form(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = load(&session, &state, path.into_inner(), Permission::ManageUsers).await?;
    page(
        &session,
        &state,
        Some(&user),
        UserInput::of(&user),
        FieldErrors::default(),
    )
    .await
}

pub async fn save(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    let user = load(&session, &state, path.into_inner(), Permission::ManageUsers).await?;
    let mut errors = FieldErrors::default();
    let fields = parse_account_fields(&form, false, &mut errors);
    if let Some(f) = &fields {
        let is_admin = form.checked("is_admin");
        check_scope(
            &session,
            f.organization_id,
            is_admin,
            user.is_admin,
            &mut errors,
        )?;
    }
    let (Some(fields), true) = (fields, errors.is_empty()) else {
        let values = UserInput {
            username: user.username.clone(),
            ..UserInput::from_form(&form)
        };
        return page(&session, &state, Some(&user), values, errors).await;
    };
    let changes = AccountChanges {
        email: fields.email,
        full_name: fields.full_name,
        kind: fields.kind,
        is_admin: form.checked("is_admin"),
        organization_id: fields.organization_id,
        password_hash: hash(fields.password).await?,
        locale: fields.locale,
    };
    let (id, actor, now) = (user.id, session.actor(&req), state.now());
    let result = crate::db::run(&state.pool, move |conn| {
        keep_refusals(users::update(conn, id, &changes, &actor, now))
    })
    .await?;
    match result {
        Ok(updated) => {
            flash_and_redirect(
                &state,
                &session,
                format!("Saved {}.", updated.username),
                &view_url(id),
            )
            .await
        }
        Err(UserError::NotFound) => Err(AppError::NotFound),
        Err(refusal) => {
            let field = match refusal {
                UserError::DemotingSelf => "kind",
                _ => "organization",
            };
            errors.add(field, refusal.to_string());
            let values = UserInput {
                username: user.username.clone(),
                ..UserInput::from_form(&form)
            };
            page(&session, &state, Some(&user), values, errors).await
        }
    }
}
