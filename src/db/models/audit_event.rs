use crate::db::DbConn;
use crate::db::schema::audit_events;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub detail: String,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Who did what, to what, when and from where. `actor` is a snapshot of the name so the
/// history stays readable after the user is gone.
#[derive(Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub actor_user_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    pub detail: &'a str,
    pub ip: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

/// Written only through `audit::record`, which names the action and its target.
pub(crate) fn insert(conn: &mut DbConn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(drop)
}

/// The newest events named `actions` about `target_id` of `target_type`.
pub fn for_target(
    conn: &mut DbConn,
    target_type: &str,
    target_id: i64,
    actions: &[&str],
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::target_type.eq(target_type))
        .filter(audit_events::target_id.eq(target_id))
        .filter(audit_events::action.eq_any(actions))
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

pub fn with_action(conn: &mut DbConn, action: &str) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order(audit_events::id.asc())
        .select(AuditEvent::as_select())
        .load(conn)
}
