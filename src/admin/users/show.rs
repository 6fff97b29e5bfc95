use super::load;
use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::clock::display_time;
use crate::db::models::client::{self, Client};
use crate::db::models::organization;
use crate::db::models::user::User;
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
}

pub async fn show(
    session: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = load(&state, path.into_inner()).await?;
    let (id, org_id) = (user.id, user.organization_id);
    let (applications, organization) = crate::db::query(&state.pool, move |conn| {
        let org = match org_id {
            Some(org) => organization::get(conn, org)?.map(|o| o.name),
            None => None,
        };
        Ok((client::list_for_owner(conn, id)?, org.unwrap_or_default()))
    })
    .await?;
    render(&ShowPage {
        layout: Layout::signed_in(&session, &state, user.username.clone(), "users"),
        kind: user.kind().label(),
        created: display_time(user.created_at),
        is_me: user.id == session.user.id,
        user,
        organization,
        applications,
    })
}
