//! `usage_counts`: token-endpoint usage per minute, written by the usage flush, and the
//! queries the dashboard's and the applications' usage panels read.

use crate::db::DbConn;
use crate::db::schema::{client_secrets, clients, usage_counts};
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::collections::HashSet;

/// What a row counts.
pub const EVENT_TOKEN: &str = "token";
pub const EVENT_FAILURE: &str = "failure";
pub const EVENT_THROTTLED: &str = "throttled";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = usage_counts)]
pub struct NewUsage {
    pub minute: NaiveDateTime,
    pub client_id: Option<i64>,
    pub event: &'static str,
    pub grant_type: &'static str,
    pub count: i64,
}

/// Totals of one minute, summed over applications (or of one application).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteTotal {
    pub minute: NaiveDateTime,
    pub event: String,
    pub grant_type: String,
    pub count: i64,
}

/// An application and how many tokens it was issued.
#[derive(Debug, Clone)]
pub struct Busy {
    pub id: i64,
    pub name: String,
    pub tokens: i64,
}

/// An application with no token since a cut-off (or ever).
#[derive(Debug, Clone)]
pub struct Idle {
    pub id: i64,
    pub name: String,
    pub last_used_at: Option<NaiveDateTime>,
}

/// A live secret that stops working soon.
#[derive(Debug, Clone)]
pub struct Expiring {
    pub client_id: i64,
    pub name: String,
    pub prefix: String,
    pub expires_at: NaiveDateTime,
}

fn summed() -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>("CAST(SUM(usage_counts.count) AS BIGINT)")
}

/// Writes one flush's rows. Rows of an application deleted since it was counted are
/// dropped, so such a deletion cannot make the flush fail for ever.
pub fn insert(conn: &mut DbConn, rows: &[NewUsage]) -> QueryResult<usize> {
    let wanted: Vec<i64> = rows.iter().filter_map(|r| r.client_id).collect();
    let existing: HashSet<i64> = if wanted.is_empty() {
        HashSet::new()
    } else {
        clients::table
            .filter(clients::id.eq_any(&wanted))
            .select(clients::id)
            .load::<i64>(conn)?
            .into_iter()
            .collect()
    };
    let kept: Vec<NewUsage> = rows
        .iter()
        .filter(|r| r.client_id.is_none_or(|id| existing.contains(&id)))
        .cloned()
        .collect();
    // One statement per row: a flush writes a few rows a minute, and diesel's batch insert
    // is not available over both backends at once.
    let mut inserted = 0;
    for row in &kept {
        inserted += diesel::insert_into(usage_counts::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(inserted)
}

/// Drops the rows older than the retention.
pub fn delete_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(usage_counts::table.filter(usage_counts::minute.lt(cutoff))).execute(conn)
}

/// Per-minute totals since `since`, over every application or over one.
pub fn totals_by_minute(
    conn: &mut DbConn,
    since: NaiveDateTime,
    client: Option<i64>,
) -> QueryResult<Vec<MinuteTotal>> {
    let group = (
        usage_counts::minute,
        usage_counts::event,
        usage_counts::grant_type,
    );
    let columns = (
        usage_counts::minute,
        usage_counts::event,
        usage_counts::grant_type,
        summed(),
    );
    let recent = usage_counts::table.filter(usage_counts::minute.ge(since));
    let rows: Vec<(NaiveDateTime, String, String, i64)> = match client {
        Some(id) => recent
            .filter(usage_counts::client_id.eq(id))
            .group_by(group)
            .select(columns)
            .load(conn)?,
        None => recent.group_by(group).select(columns).load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(minute, event, grant_type, count)| MinuteTotal {
            minute,
            event,
            grant_type,
            count,
        })
        .collect())
}

/// The applications issued the most tokens since `since`, busiest first.
pub fn busiest(conn: &mut DbConn, since: NaiveDateTime, limit: i64) -> QueryResult<Vec<Busy>> {
    let rows = usage_counts::table
        .inner_join(clients::table)
        .filter(usage_counts::minute.ge(since))
        .filter(usage_counts::event.eq(EVENT_TOKEN))
        .group_by((clients::id, clients::name))
        .select((clients::id, clients::name, summed()))
        .order((summed().desc(), clients::name.asc()))
        .limit(limit)
        .load::<(i64, String, i64)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, tokens)| Busy { id, name, tokens })
        .collect())
}

/// Applications never used, or not since `cutoff`: never-used ones first, then the longest
/// idle. `limit` rows at most, and how many there are in all.
pub fn idle(conn: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> QueryResult<(Vec<Idle>, i64)> {
    let idle = clients::last_used_at
        .is_null()
        .or(clients::last_used_at.lt(cutoff));
    let total = clients::table.filter(idle).count().get_result(conn)?;
    let rows = clients::table
        .filter(idle)
        .select((clients::id, clients::name, clients::last_used_at))
        .order((
            clients::last_used_at.is_not_null(),
            clients::last_used_at.asc(),
            clients::name.asc(),
        ))
        .limit(limit)
        .load::<(i64, String, Option<NaiveDateTime>)>(conn)?;
    let rows = rows
        .into_iter()
        .map(|(id, name, last_used_at)| Idle {
            id,
            name,
            last_used_at,
        })
        .collect();
    Ok((rows, total))
}

/// Live secrets that expire between `now` and `until`, soonest first.
pub fn secrets_expiring(
    conn: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<Expiring>> {
    let rows = client_secrets::table
        .inner_join(clients::table)
        .filter(client_secrets::revoked_at.is_null())
        .filter(client_secrets::expires_at.gt(now))
        .filter(client_secrets::expires_at.le(until))
        .select((
            clients::id,
            clients::name,
            client_secrets::prefix,
            client_secrets::expires_at.assume_not_null(),
        ))
        .order(client_secrets::expires_at.asc())
        .load::<(i64, String, String, NaiveDateTime)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(client_id, name, prefix, expires_at)| Expiring {
            client_id,
            name,
            prefix,
            expires_at,
        })
        .collect())
}
