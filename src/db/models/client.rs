use crate::db::DbConn;
use crate::db::schema::clients;
use crate::domain::{ApplicationType, Grants, Origins, RedirectUris};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

/// An OAuth application (RFC 6749 "client").
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub client_id: String,
    pub active: bool,
    pub frontend: bool,
    pub confidential: bool,
    pub grants: String,
    pub owner_user_id: Option<i64>,
    pub scopes: String,
    pub redirect_uris: String,
    pub access_token_ttl: Option<i32>,
    pub creation_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub tokens_revoked_before: Option<NaiveDateTime>,
    pub app_type: String,
    pub allowed_origins: String,
    pub implicit_allowed: bool,
    pub refresh_token_ttl: Option<i32>,
}

impl Client {
    pub fn grants(&self) -> Grants {
        Grants::from_stored(&self.grants)
    }

    pub fn app_type(&self) -> ApplicationType {
        ApplicationType::from_stored(&self.app_type)
    }

    pub fn redirect_uris(&self) -> RedirectUris {
        RedirectUris::from_stored(&self.redirect_uris)
    }

    pub fn origins(&self) -> Origins {
        Origins::from_stored(&self.allowed_origins)
    }

    /// The refresh-token lifetime set for this application, if any.
    pub fn refresh_token_lifetime(&self) -> Option<TimeDelta> {
        self.refresh_token_ttl
            .filter(|ttl| *ttl > 0)
            .map(|ttl| TimeDelta::seconds(i64::from(ttl)))
    }

    /// The users the application serves: customers for a frontend application, back-office
    /// users otherwise.
    pub fn user_kind(&self) -> crate::domain::UserKind {
        if self.frontend {
            crate::domain::UserKind::Customer
        } else {
            crate::domain::UserKind::Backoffice
        }
    }

    /// Whether tokens of this application may act as `user` today: enabled, of the
    /// application's kind and a member of its organization. Checked when a token is issued,
    /// refreshed and presented, so a user moved or changed since is refused everywhere.
    pub fn may_act_as(&self, user: &crate::db::models::user::User) -> bool {
        user.enabled
            && user.kind() == self.user_kind()
            && user.organization_id == Some(self.organization_id)
    }
}

#[derive(Insertable)]
#[diesel(table_name = clients)]
pub struct NewClient<'a> {
    pub organization_id: i64,
    pub name: &'a str,
    pub client_id: &'a str,
    pub active: bool,
    pub frontend: bool,
    pub confidential: bool,
    pub grants: &'a str,
    pub owner_user_id: Option<i64>,
    pub creation_key: Option<&'a str>,
    pub name_folded: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub app_type: &'a str,
    pub scopes: &'a str,
    pub redirect_uris: &'a str,
    pub allowed_origins: &'a str,
    pub implicit_allowed: bool,
    pub access_token_ttl: Option<i32>,
    pub refresh_token_ttl: Option<i32>,
}

#[derive(AsChangeset)]
#[diesel(table_name = clients)]
pub struct ClientChangeset<'a> {
    pub name: &'a str,
    pub name_folded: &'a str,
    pub frontend: bool,
    pub grants: &'a str,
    pub owner_user_id: Option<Option<i64>>,
    pub updated_at: NaiveDateTime,
    pub scopes: &'a str,
    pub redirect_uris: &'a str,
    pub allowed_origins: &'a str,
    pub implicit_allowed: bool,
    pub access_token_ttl: Option<Option<i32>>,
    pub refresh_token_ttl: Option<Option<i32>>,
}

/// Last Used At is informative, not an audit trail: one write a minute per application is
/// enough and keeps the token endpoint from writing on every request.
const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::minutes(1);

pub fn create(conn: &mut DbConn, new: &NewClient<'_>) -> QueryResult<Client> {
    diesel::insert_into(clients::table)
        .values(new)
        .execute(conn)?;
    find_by_client_id(conn, new.client_id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_by_client_id(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::client_id.eq(client_id))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_creation_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::creation_key.eq(key))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<Client>> {
    clients::table
        .find(id)
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn list_all(conn: &mut DbConn) -> QueryResult<Vec<Client>> {
    clients::table
        .order((clients::name.asc(), clients::id.asc()))
        .select(Client::as_select())
        .load(conn)
}

pub fn list_for_owner(conn: &mut DbConn, owner_user_id: i64) -> QueryResult<Vec<Client>> {
    clients::table
        .filter(clients::owner_user_id.eq(owner_user_id))
        .order(clients::name.asc())
        .select(Client::as_select())
        .load(conn)
}

/// Every application with its owner, for the token endpoint's copy in memory.
pub fn list_with_owners(
    conn: &mut DbConn,
) -> QueryResult<Vec<(Client, Option<crate::db::models::user::User>)>> {
    use crate::db::models::user::User;
    use crate::db::schema::users;
    clients::table
        .left_join(users::table)
        .select((Client::as_select(), Option::<User>::as_select()))
        .load(conn)
}

/// Whether another application of the same organization and owner already has this name.
pub fn name_taken(
    conn: &mut DbConn,
    organization_id: i64,
    owner_user_id: Option<i64>,
    name: &str,
    except_id: Option<i64>,
) -> QueryResult<bool> {
    let mut query = clients::table
        .filter(clients::organization_id.eq(organization_id))
        .filter(clients::name.eq(name))
        .into_boxed();
    query = match owner_user_id {
        Some(owner) => query.filter(clients::owner_user_id.eq(owner)),
        None => query.filter(clients::owner_user_id.is_null()),
    };
    if let Some(id) = except_id {
        query = query.filter(clients::id.ne(id));
    }
    let count: i64 = query.count().get_result(conn)?;
    Ok(count > 0)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &ClientChangeset<'_>) -> QueryResult<usize> {
    diesel::update(clients::table.find(id))
        .set(changes)
        .execute(conn)
}

/// Deactivating also cuts off every token issued so far: they are refused from this moment,
/// not when they expire (ASVS 10.4.9).
/// Sets `active` when it is not already so; false when another change got there first.
pub fn set_active(
    conn: &mut DbConn,
    id: i64,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(clients::table.find(id).filter(clients::active.eq(!active)))
        .set((clients::active.eq(active), clients::updated_at.eq(now)))
        .execute(conn)
        .map(|changed| changed == 1)
}

/// Access tokens the application was issued before `now` are refused from now on.
pub fn cut_off_tokens(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(clients::table.find(id))
        .set(clients::tokens_revoked_before.eq(now))
        .execute(conn)
}

/// Gives the folded name to rows that have none yet (rows from before the column existed).
pub fn fill_folded_names(conn: &mut DbConn) -> QueryResult<usize> {
    let rows: Vec<(i64, String)> = clients::table
        .filter(clients::name_folded.eq(""))
        .select((clients::id, clients::name))
        .load(conn)?;
    for (id, name) in &rows {
        diesel::update(clients::table.find(id))
            .set(clients::name_folded.eq(crate::domain::fold(name)))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// Deletes the application; its secrets and refresh tokens go with it (ON DELETE CASCADE).
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(clients::table.find(id)).execute(conn)
}

/// Whether some active application registered this JavaScript origin.
pub fn origin_registered(conn: &mut DbConn, origin: &str) -> QueryResult<bool> {
    let candidates: Vec<String> = clients::table
        .filter(clients::active.eq(true))
        .filter(
            clients::allowed_origins
                .like(format!("%{}%", escape_like(origin)))
                .escape('\\'),
        )
        .select(clients::allowed_origins)
        .load(conn)?;
    Ok(candidates
        .iter()
        .any(|stored| Origins::from_stored(stored).contains(origin)))
}

pub fn touch_last_used(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        clients::table.find(id).filter(
            clients::last_used_at
                .is_null()
                .or(clients::last_used_at.lt(now - LAST_USED_RESOLUTION)),
        ),
    )
    .set(clients::last_used_at.eq(now))
    .execute(conn)
}

/// One row per valid secret: the application, its owner, and a secret's (id, hash).
type AuthenticationRow = (
    Client,
    Option<crate::db::models::user::User>,
    Option<(i64, String)>,
);

/// An application with what authenticating it takes: its owner, and the hashes of its
/// secrets valid at the time asked for.
pub struct ForAuthentication {
    pub client: Client,
    pub owner: Option<crate::db::models::user::User>,
    /// The application's valid secrets: (id, SHA-256 hex).
    pub secrets: Vec<(i64, String)>,
}

/// One query, so the token endpoint makes the same single round trip whether the client
/// exists or not.
pub fn find_for_authentication(
    conn: &mut DbConn,
    client_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<ForAuthentication>> {
    use crate::db::models::user::User;
    use crate::db::schema::{client_secrets, users};
    let rows: Vec<AuthenticationRow> = clients::table
        .left_join(users::table)
        .left_join(
            client_secrets::table.on(client_secrets::client_id
                .eq(clients::id)
                .and(client_secrets::revoked_at.is_null())
                .and(
                    client_secrets::expires_at
                        .is_null()
                        .or(client_secrets::expires_at.gt(now)),
                )),
        )
        .filter(clients::client_id.eq(client_id))
        .select((
            Client::as_select(),
            Option::<User>::as_select(),
            (client_secrets::id, client_secrets::secret_hash).nullable(),
        ))
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((client, owner, first)) = rows.next() else {
        return Ok(None);
    };
    let secrets = first
        .into_iter()
        .chain(rows.filter_map(|(_, _, secret)| secret))
        .collect();
    Ok(Some(ForAuthentication {
        client,
        owner,
        secrets,
    }))
}

/// What an administrator set about the authorization endpoint for an application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct AuthorizeOptions {
    /// A trusted first-party application: people are not asked to consent.
    pub skip_consent: bool,
    /// A legacy application may send PKCE challenges with the `plain` method.
    pub allow_plain_pkce: bool,
    /// A legacy application may use the implicit flow (RFC 9700 §2.1.2 advises against it).
    #[diesel(column_name = implicit_allowed)]
    pub allow_implicit: bool,
}

/// An application by its public id, with its authorization-endpoint options.
pub fn find_for_authorize(
    conn: &mut DbConn,
    client_id: &str,
) -> QueryResult<Option<(Client, AuthorizeOptions)>> {
    clients::table
        .filter(clients::client_id.eq(client_id))
        .select((Client::as_select(), AuthorizeOptions::as_select()))
        .first(conn)
        .optional()
}

pub fn authorize_options(conn: &mut DbConn, id: i64) -> QueryResult<AuthorizeOptions> {
    clients::table
        .find(id)
        .select(AuthorizeOptions::as_select())
        .first(conn)
}

/// Sets the consent and PKCE options; the implicit switch belongs to the application's form.
pub fn set_authorize_options(
    conn: &mut DbConn,
    id: i64,
    options: AuthorizeOptions,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(id))
        .set((
            clients::skip_consent.eq(options.skip_consent),
            clients::allow_plain_pkce.eq(options.allow_plain_pkce),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
}

/// What the applications grid can filter by; every field is optional.
#[derive(Debug, Default, Clone)]
pub struct GridFilter {
    pub name: Option<String>,
    pub organization_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub active: Option<bool>,
    pub grant: Option<crate::domain::GrantType>,
    pub app_type: Option<ApplicationType>,
    /// Only applications whose owner has not yet collected the credentials sent to them.
    pub awaiting_credentials: bool,
    /// What the viewer may see at all; `None` is everything.
    pub visible: Option<Visible>,
}

/// The applications a user may see: those of some organizations, and maybe their own.
#[derive(Debug, Default, Clone)]
pub struct Visible {
    pub organizations: Vec<i64>,
    pub owner_user_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridSort {
    Name,
    Created,
    LastUsed,
}

#[derive(Debug, Clone, Queryable)]
pub struct GridRow {
    pub client: Client,
    pub organization: String,
    pub owner: Option<String>,
}

/// `text` with the LIKE wildcards `%` and `_` (and the escape `\`) made literal.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `%` and `_` typed by a person are literal characters, not wildcards.
fn like_pattern(text: &str) -> String {
    let escaped = crate::domain::fold(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

macro_rules! grid_query {
    ($filter:expr) => {{
        use crate::db::schema::{organizations, users};
        let filter: &GridFilter = $filter;
        let mut query = clients::table
            .inner_join(organizations::table)
            .left_join(users::table)
            .into_boxed();
        if let Some(name) = filter.name.as_deref() {
            query = query.filter(clients::name_folded.like(like_pattern(name)).escape('\\'));
        }
        if let Some(org) = filter.organization_id {
            query = query.filter(clients::organization_id.eq(org));
        }
        if let Some(owner) = filter.owner_user_id {
            query = query.filter(clients::owner_user_id.eq(owner));
        }
        if let Some(active) = filter.active {
            query = query.filter(clients::active.eq(active));
        }
        if let Some(grant) = filter.grant {
            query = query.filter(clients::grants.like(format!("%{}%", grant.as_str())));
        }
        if let Some(app_type) = filter.app_type {
            query = query.filter(clients::app_type.eq(app_type.as_str()));
        }
        if filter.awaiting_credentials {
            use crate::db::schema::credential_deliveries as links;
            query = query.filter(
                clients::id.eq_any(
                    links::table
                        .filter(links::collected_at.is_null())
                        .filter(links::invalidated_at.is_null())
                        .select(links::client_id),
                ),
            );
        }
        if let Some(visible) = &filter.visible {
            let in_organizations = clients::organization_id.eq_any(visible.organizations.clone());
            query = match visible.owner_user_id {
                Some(owner) => query.filter(in_organizations.or(clients::owner_user_id.eq(owner))),
                None => query.filter(in_organizations),
            };
        }
        query
    }};
}

/// One page of the grid and the number of rows matching the filter.
pub fn grid(
    conn: &mut DbConn,
    filter: &GridFilter,
    sort: GridSort,
    descending: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<GridRow>, i64)> {
    use crate::db::schema::{organizations, users};
    let total: i64 = grid_query!(filter).count().get_result(conn)?;
    let query = grid_query!(filter).select((
        Client::as_select(),
        organizations::name,
        users::username.nullable(),
    ));
    let query = match (sort, descending) {
        (GridSort::Name, false) => query.order((clients::name_folded.asc(), clients::id.asc())),
        (GridSort::Name, true) => query.order((clients::name_folded.desc(), clients::id.desc())),
        (GridSort::Created, false) => query.order((clients::created_at.asc(), clients::id.asc())),
        (GridSort::Created, true) => query.order((clients::created_at.desc(), clients::id.desc())),
        // "Never used" sorts last either way, on both databases.
        (GridSort::LastUsed, false) => query.order((
            clients::last_used_at.is_null().asc(),
            clients::last_used_at.asc(),
            clients::id.asc(),
        )),
        (GridSort::LastUsed, true) => query.order((
            clients::last_used_at.is_null().asc(),
            clients::last_used_at.desc(),
            clients::id.desc(),
        )),
    };
    let rows = query.offset(offset).limit(limit).load::<GridRow>(conn)?;
    Ok((rows, total))
}

/// How many applications the viewer may see, and how many of them are active.
pub fn count_with_active(conn: &mut DbConn, visible: Option<Visible>) -> QueryResult<(i64, i64)> {
    let all = GridFilter {
        visible: visible.clone(),
        ..GridFilter::default()
    };
    let active = GridFilter {
        active: Some(true),
        visible,
        ..GridFilter::default()
    };
    Ok((
        grid_query!(&all).count().get_result(conn)?,
        grid_query!(&active).count().get_result(conn)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn wildcards_typed_in_the_name_filter_match_literally() {
        assert_eq!(like_pattern("Shop"), "%shop%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
