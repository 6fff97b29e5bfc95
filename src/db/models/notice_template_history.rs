//! The versions a save or a reset replaced: who replaced them, when, and their old texts.

use crate::db::DbConn;
use crate::db::models::notice_template::TemplateTexts;
use crate::db::schema::notice_template_history;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = notice_template_history)]
pub struct ReplacedVersion {
    pub id: i64,
    pub event: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub replaced_by_user_id: Option<i64>,
    pub replaced_by: String,
    pub replaced_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = notice_template_history)]
struct NewRow<'a> {
    event: &'a str,
    locale: &'a str,
    subject: &'a str,
    body_text: &'a str,
    body_html: &'a str,
    replaced_by_user_id: Option<i64>,
    replaced_by: &'a str,
    replaced_at: NaiveDateTime,
}

/// Who replaced a version, as the history shows them.
pub struct ReplacedBy<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
}

pub fn insert(
    conn: &mut DbConn,
    event: &str,
    locale: &str,
    old: &TemplateTexts<'_>,
    by: &ReplacedBy<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(notice_template_history::table)
        .values(&NewRow {
            event,
            locale,
            subject: old.subject,
            body_text: old.body_text,
            body_html: old.body_html,
            replaced_by_user_id: by.user_id,
            replaced_by: by.name,
            replaced_at: now,
        })
        .execute(conn)
}

/// The replaced versions of one template, newest first.
pub fn for_template(
    conn: &mut DbConn,
    event: &str,
    locale: &str,
    limit: i64,
) -> QueryResult<Vec<ReplacedVersion>> {
    notice_template_history::table
        .filter(notice_template_history::event.eq(event))
        .filter(notice_template_history::locale.eq(locale))
        .order((
            notice_template_history::replaced_at.desc(),
            notice_template_history::id.desc(),
        ))
        .limit(limit)
        .select(ReplacedVersion::as_select())
        .load(conn)
}
