use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::db::models::{client, organization, user};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    applications: i64,
    active_applications: i64,
    users: i64,
    organizations: i64,
    /// Installation-wide figures naming any application: only for those who see them all.
    usage: Option<super::usage::DashboardUsage>,
}

pub async fn show(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let visible = session.access.visible_applications();
    let sees_everything = visible.is_none();
    let user_orgs = session
        .access
        .organizations_with(crate::access::Permission::ViewUsers);
    let ((applications, active_applications), users, organizations) =
        crate::db::query(&state.pool, move |conn| {
            Ok((
                client::count_with_active(conn, visible)?,
                match &user_orgs {
                    None => user::count(conn)?,
                    Some(ids) => user::count_in(conn, ids)?,
                },
                organization::count(conn)?,
            ))
        })
        .await?;
    let usage = if sees_everything {
        Some(super::usage::dashboard(&state).await?)
    } else {
        None
    };
    render(&DashboardPage {
        layout: Layout::signed_in(&session, &state, "Dashboard", "dashboard"),
        applications,
        active_applications,
        users,
        organizations,
        usage,
    })
}
