//! The applications grid. Filters, sort and page live in the query string, so any view can
//! be bookmarked; a value that does not parse is ignored rather than refused.

use super::GRID_URL;
use crate::admin::auth::SignedIn;
use crate::admin::{Layout, render};
use crate::clock::display_time;
use crate::db::models::client::{self, GridFilter, GridRow, GridSort};
use crate::db::models::organization::{self, Organization};
use crate::domain::{ApplicationType, GrantType};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub const PAGE_SIZES: [i64; 4] = [10, 25, 50, 100];
const DEFAULT_PAGE_SIZE: i64 = 25;

#[derive(Deserialize, Default, Clone)]
pub struct GridParams {
    name: Option<String>,
    organization: Option<String>,
    owner: Option<String>,
    status: Option<String>,
    grant: Option<String>,
    #[serde(rename = "type")]
    app_type: Option<String>,
    /// `uncollected`: only applications whose owner has a credentials link not yet used.
    credentials: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl GridParams {
    fn filter(&self) -> GridFilter {
        GridFilter {
            name: present(&self.name).map(str::to_owned),
            organization_id: present(&self.organization).and_then(|v| v.parse().ok()),
            owner_user_id: present(&self.owner).and_then(|v| v.parse().ok()),
            active: match present(&self.status) {
                Some("active") => Some(true),
                Some("inactive") => Some(false),
                _ => None,
            },
            grant: present(&self.grant).and_then(GrantType::parse),
            app_type: present(&self.app_type).and_then(|t| ApplicationType::parse(t).ok()),
            awaiting_credentials: present(&self.credentials) == Some("uncollected"),
            visible: None,
        }
    }

    fn sort(&self) -> (GridSort, bool) {
        let sort = match present(&self.sort) {
            Some("name") => GridSort::Name,
            Some("last_used") => GridSort::LastUsed,
            _ => GridSort::Created,
        };
        let descending = match present(&self.dir) {
            Some("asc") => false,
            Some("desc") => true,
            _ => sort != GridSort::Name,
        };
        (sort, descending)
    }

    fn per_page(&self) -> i64 {
        present(&self.per_page)
            .and_then(|v| v.parse().ok())
            .filter(|n| PAGE_SIZES.contains(n))
            .unwrap_or(DEFAULT_PAGE_SIZE)
    }

    fn page(&self) -> i64 {
        present(&self.page)
            .and_then(|v| v.parse().ok())
            .filter(|n| *n >= 1 && *n <= 1_000_000)
            .unwrap_or(1)
    }

    /// This view's address with some parameters replaced; empty values are left out.
    fn url_with(&self, changes: &[(&str, String)]) -> String {
        let current = [
            ("name", &self.name),
            ("organization", &self.organization),
            ("owner", &self.owner),
            ("status", &self.status),
            ("grant", &self.grant),
            ("type", &self.app_type),
            ("credentials", &self.credentials),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("page", &self.page),
            ("per_page", &self.per_page),
        ];
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in current {
            let value = match changes.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => Some(v.as_str()),
                None => present(value),
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                query.append_pair(key, v);
            }
        }
        let query = query.finish();
        if query.is_empty() {
            GRID_URL.to_owned()
        } else {
            format!("{GRID_URL}?{query}")
        }
    }
}

pub struct Row {
    pub id: i64,
    pub organization_id: i64,
    pub owner_user_id: Option<i64>,
    pub name: String,
    pub client_id: String,
    pub organization: String,
    pub owner: String,
    pub grants: String,
    pub app_type: &'static str,
    pub frontend: bool,
    pub active: bool,
    pub last_used: String,
    pub created: String,
}

impl From<GridRow> for Row {
    fn from(row: GridRow) -> Self {
        let c = row.client;
        Self {
            id: c.id,
            organization_id: c.organization_id,
            owner_user_id: c.owner_user_id,
            grants: c.grants().labels(),
            app_type: c.app_type().label(),
            name: c.name,
            client_id: c.client_id,
            organization: row.organization,
            owner: row.owner.unwrap_or_else(|| "—".to_owned()),
            frontend: c.frontend,
            active: c.active,
            last_used: c
                .last_used_at
                .map_or_else(|| "Never".to_owned(), display_time),
            created: display_time(c.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/oauth_applications/grid.html")]
struct GridPage {
    layout: Layout,
    params: GridParams,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    per_page: i64,
    page_sizes: [i64; 4],
    organizations: Vec<Organization>,
    grants: [GrantType; 3],
    types: [ApplicationType; 3],
    first_row: i64,
    last_row: i64,
    filtered: bool,
    owner_name: Option<String>,
}

impl GridPage {
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }

    pub fn name_value(&self) -> &str {
        self.value(&self.params.name)
    }

    pub fn is_selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "organization" => &self.params.organization,
            "status" => &self.params.status,
            "grant" => &self.params.grant,
            "type" => &self.params.app_type,
            "credentials" => &self.params.credentials,
            _ => return false,
        };
        present(current) == Some(value)
    }

    /// The header link: the same column again flips the direction.
    pub fn sort_url(&self, column: &str) -> String {
        let (current, descending) = self.params.sort();
        let same = matches!(
            (column, current),
            ("name", GridSort::Name)
                | ("created", GridSort::Created)
                | ("last_used", GridSort::LastUsed)
        );
        let dir = match (same, descending) {
            (true, true) => "asc",
            (true, false) => "desc",
            (false, _) if column == "name" => "asc",
            (false, _) => "desc",
        };
        self.params.url_with(&[
            ("sort", column.to_owned()),
            ("dir", dir.to_owned()),
            ("page", String::new()),
        ])
    }

    pub fn sort_mark(&self, column: &str) -> &'static str {
        match (self.params.sort(), column) {
            ((GridSort::Name, d), "name")
            | ((GridSort::Created, d), "created")
            | ((GridSort::LastUsed, d), "last_used") => {
                if d {
                    " ↓"
                } else {
                    " ↑"
                }
            }
            _ => "",
        }
    }

    pub fn page_url(&self, page: i64) -> String {
        self.params.url_with(&[("page", page.to_string())])
    }

    pub fn per_page_url(&self, size: &i64) -> String {
        self.params
            .url_with(&[("per_page", size.to_string()), ("page", String::new())])
    }
}

pub async fn show(
    session: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<GridParams>,
) -> Result<HttpResponse, AppError> {
    let params = query.into_inner();
    let visible = session.access.visible_applications();
    let visible_orgs = visible.as_ref().map(|v| v.organizations.clone());
    let visible_users = session
        .access
        .organizations_with(crate::access::Permission::ViewUsers);
    let me = session.user.id;
    let filter = GridFilter {
        visible,
        ..params.filter()
    };
    let (sort, descending) = params.sort();
    let per_page = params.per_page();
    let page = params.page();
    let owner_id = filter.owner_user_id;
    let (rows, total, organizations, owner_name) = crate::db::query(&state.pool, move |conn| {
        let (rows, total) = client::grid(
            conn,
            &filter,
            sort,
            descending,
            (page - 1) * per_page,
            per_page,
        )?;
        // The owner's name only when the user may see that user.
        let owner_name = match owner_id {
            Some(id) => crate::db::models::user::get(conn, id)?
                .filter(|u| {
                    u.id == me
                        || visible_users.as_ref().is_none_or(|ids| {
                            u.organization_id.is_some_and(|org| ids.contains(&org))
                        })
                })
                .map(|u| u.username),
            None => None,
        };
        let organizations = organization::list(conn)?
            .into_iter()
            .filter(|o| visible_orgs.as_ref().is_none_or(|ids| ids.contains(&o.id)))
            .collect();
        Ok((rows, total, organizations, owner_name))
    })
    .await?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    let shown = rows.len() as i64;
    let first_row = if shown == 0 {
        0
    } else {
        (page - 1) * per_page + 1
    };
    let filtered = filter_is_set(&params);
    let title = match &owner_name {
        Some(_) if owner_id == Some(session.user.id) => "My OAuth applications".to_owned(),
        Some(name) => format!("OAuth applications of {name}"),
        None => "OAuth Applications".to_owned(),
    };
    render(&GridPage {
        layout: Layout::signed_in(&session, &state, title, "applications"),
        params,
        rows: rows.into_iter().map(Row::from).collect(),
        total,
        page,
        pages,
        per_page,
        page_sizes: PAGE_SIZES,
        organizations,
        grants: GrantType::SELECTABLE,
        types: ApplicationType::ALL,
        first_row,
        last_row: first_row + shown - 1,
        filtered,
        owner_name,
    })
}

fn filter_is_set(params: &GridParams) -> bool {
    [
        &params.name,
        &params.organization,
        &params.owner,
        &params.status,
        &params.grant,
        &params.app_type,
        &params.credentials,
    ]
    .into_iter()
    .any(|v| present(v).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> GridParams {
        web::Query::<GridParams>::from_query(query)
            .unwrap()
            .into_inner()
    }

    #[test]
    fn nonsense_in_the_query_string_falls_back_to_defaults() {
        let p = params("page=-3&per_page=7&sort=evil&status=maybe&grant=device_code");
        assert_eq!(p.page(), 1);
        assert_eq!(p.per_page(), 25);
        assert_eq!(p.sort(), (GridSort::Created, true));
        let f = p.filter();
        assert!(f.active.is_none() && f.grant.is_none());
    }

    #[test]
    fn links_keep_the_filters_and_encode_them() {
        let p = params("name=a%26b&status=active&page=3");
        assert_eq!(
            p.url_with(&[("page", "4".into())]),
            "/admin/oauth-applications?name=a%26b&status=active&page=4"
        );
        assert_eq!(
            p.url_with(&[("page", String::new())]),
            "/admin/oauth-applications?name=a%26b&status=active"
        );
    }
}
