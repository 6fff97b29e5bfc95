use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::db::models::organization;
use crate::db::models::user::{self, User};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;
use std::collections::HashMap;

pub struct Row {
    pub user: User,
    pub kind: &'static str,
    pub organization: String,
}

#[derive(Template)]
#[template(path = "admin/users/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
}

pub async fn show(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (users, orgs) = crate::db::query(&state.pool, |conn| {
        Ok((user::list(conn)?, organization::list(conn)?))
    })
    .await?;
    let orgs: HashMap<i64, String> = orgs.into_iter().map(|o| (o.id, o.name)).collect();
    let rows = users
        .into_iter()
        .map(|u| Row {
            kind: u.kind().label(),
            organization: u
                .organization_id
                .and_then(|id| orgs.get(&id).cloned())
                .unwrap_or_default(),
            user: u,
        })
        .collect();
    render(&ListPage {
        layout: Layout::signed_in(&session, &state, "Users", "users"),
        rows,
    })
}
