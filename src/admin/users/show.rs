use super::load;
use crate::access::{Permission, Record, Role};
use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::clock::display_time;
use crate::db::models::client::{self, Client};
use crate::db::models::organization;
use crate::db::models::organization::Organization;
use crate::db::models::user::User;
use crate::db::models::user_role::{self, NamedRole};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "admin/users/show.html")]
struct ShowPage {
    layout: Layout,
    user: User,
    kind: &'static str,
    organization: String,
    created: String,
    applications: Vec<Client>,
    is_me: bool,
    /// The signed-in user may edit, enable and disable this user.
    may_manage: bool,
    roles: Vec<NamedRole>,
    /// The organizations where the signed-in user may grant roles.
    grantable: Vec<Organization>,
    role_choices: [Role; 3],
}

impl ShowPage {
    pub fn may_revoke(&self, organization_id: &i64) -> bool {
        self.grantable.iter().any(|o| o.id == *organization_id)
    }
}

pub async fn show(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = load(&session, &state, path.into_inner(), Permission::ViewUsers).await?;
    let (id, org_id) = (user.id, user.organization_id);
    let (applications, organization, roles, organizations) =
        crate::db::query(&state.pool, move |conn| {
            let org = match org_id {
                Some(org) => organization::get(conn, org)?.map(|o| o.name),
                None => None,
            };
            Ok((
                client::list_for_owner(conn, id)?,
                org.unwrap_or_default(),
                user_role::named_for_user(conn, id)?,
                organization::list(conn)?,
            ))
        })
        .await?;
    let access = &session.access;
    let applications = applications
        .into_iter()
        .filter(|c| access.allows(Permission::ViewApplication, Record::application(c)))
        .collect();
    let may_manage = (!user.is_admin || access.global_admin)
        && access.allows(Permission::ManageUsers, Record::user(&user));
    let grantable = organizations
        .into_iter()
        .filter(|o| access.allows(Permission::ManageRoles, Record::Organization(o.id)))
        .collect();
    render(&ShowPage {
        layout: Layout::signed_in(&session, &state, user.username.clone(), "users"),
        kind: user.kind().label(),
        created: display_time(user.created_at),
        is_me: user.id == session.user.id,
        user,
        organization,
        applications,
        may_manage,
        roles,
        grantable,
        role_choices: Role::ALL,
    })
}
