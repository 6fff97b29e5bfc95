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
    usage: super::usage::DashboardUsage,
}

pub async fn show(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let ((applications, active_applications), users, organizations) =
        crate::db::query(&state.pool, |conn| {
            Ok((
                client::count_with_active(conn)?,
                user::count(conn)?,
                organization::count(conn)?,
            ))
        })
        .await?;
    let usage = super::usage::dashboard(&state).await?;
    render(&DashboardPage {
        layout: Layout::signed_in(&session, &state, "Dashboard", "dashboard"),
        applications,
        active_applications,
        users,
        organizations,
        usage,
    })
}
