//! Who hears about one notice event. An event without a row follows the shipped rule: on,
//! to the application's owner.

use crate::db::DbConn;
use crate::db::schema::notice_rules;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable, AsChangeset)]
#[diesel(table_name = notice_rules, primary_key(event))]
pub struct NoticeRule {
    pub event: String,
    pub enabled: bool,
    pub notify_owner: bool,
    /// Fixed addresses, one a line, already checked.
    pub extra_recipients: String,
    pub updated_at: NaiveDateTime,
    /// The roles whose holders in the application's organization hear about it, one a line.
    pub notify_roles: String,
}

pub fn get(conn: &mut DbConn, event: &str) -> QueryResult<Option<NoticeRule>> {
    notice_rules::table
        .find(event)
        .select(NoticeRule::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<NoticeRule>> {
    notice_rules::table
        .order(notice_rules::event.asc())
        .select(NoticeRule::as_select())
        .load(conn)
}

/// Stores the rule, replacing the event's previous one. Call it in a transaction.
pub fn save(conn: &mut DbConn, rule: &NoticeRule) -> QueryResult<()> {
    let updated = diesel::update(notice_rules::table.find(&rule.event))
        .set(rule)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notice_rules::table)
            .values(rule)
            .execute(conn)?;
    }
    Ok(())
}
