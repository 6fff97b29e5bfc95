use crate::db::DbConn;
use crate::db::schema::client_secrets;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One of an application's secrets; several may be valid at once so they can be rotated.
/// `revoked_at` is when an administrator disabled it.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = client_secrets)]
pub struct ClientSecret {
    pub id: i64,
    pub client_id: i64,
    pub secret_hash: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = client_secrets)]
pub struct NewClientSecret<'a> {
    pub client_id: i64,
    pub secret_hash: &'a str,
    pub prefix: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConn, new: &NewClientSecret<'_>) -> QueryResult<ClientSecret> {
    diesel::insert_into(client_secrets::table)
        .values(new)
        .execute(conn)?;
    client_secrets::table
        .filter(client_secrets::secret_hash.eq(new.secret_hash))
        .select(ClientSecret::as_select())
        .first(conn)
}

/// The secrets that can still authenticate the application at `now`.
pub fn valid_for_client(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<ClientSecret>> {
    client_secrets::table
        .filter(client_secrets::client_id.eq(client_id))
        .filter(client_secrets::revoked_at.is_null())
        .filter(
            client_secrets::expires_at
                .is_null()
                .or(client_secrets::expires_at.gt(now)),
        )
        .select(ClientSecret::as_select())
        .load(conn)
}

/// Written together with the application's Last Used At, so at most once a minute: enough
/// to tell, during a rotation, whether the old secret is still in use.
pub fn touch_last_used(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(client_secrets::table.find(id))
        .set(client_secrets::last_used_at.eq(now))
        .execute(conn)
}

/// Every secret not revoked, of every application: the token endpoint's copy in memory
/// checks expiry itself, at each use.
pub fn list_unrevoked(conn: &mut DbConn) -> QueryResult<Vec<ClientSecret>> {
    client_secrets::table
        .filter(client_secrets::revoked_at.is_null())
        .select(ClientSecret::as_select())
        .load(conn)
}

/// Every secret of the application, newest first, disabled and expired ones included.
pub fn list_for_client(conn: &mut DbConn, client_id: i64) -> QueryResult<Vec<ClientSecret>> {
    client_secrets::table
        .filter(client_secrets::client_id.eq(client_id))
        .order((client_secrets::created_at.desc(), client_secrets::id.desc()))
        .select(ClientSecret::as_select())
        .load(conn)
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<ClientSecret>> {
    client_secrets::table
        .find(id)
        .select(ClientSecret::as_select())
        .first(conn)
        .optional()
}

/// Disables a secret: it is refused from this moment.
pub fn disable(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        client_secrets::table
            .find(id)
            .filter(client_secrets::revoked_at.is_null()),
    )
    .set(client_secrets::revoked_at.eq(now))
    .execute(conn)
}

/// Sets when the application's valid secrets, other than `except_id`, stop working;
/// a secret that already expires sooner keeps its own expiry.
pub fn expire_others(
    conn: &mut DbConn,
    client_id: i64,
    except_id: i64,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        client_secrets::table
            .filter(client_secrets::client_id.eq(client_id))
            .filter(client_secrets::id.ne(except_id))
            .filter(client_secrets::revoked_at.is_null())
            .filter(
                client_secrets::expires_at
                    .is_null()
                    .or(client_secrets::expires_at.gt(at)),
            )
            .filter(
                client_secrets::expires_at
                    .is_null()
                    .or(client_secrets::expires_at.gt(now)),
            ),
    )
    .set(client_secrets::expires_at.eq(at))
    .execute(conn)
}
