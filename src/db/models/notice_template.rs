//! An administrator's version of one notice template in one locale. A template without a row
//! is the shipped default (`mail::templates`); resetting deletes the row.

use crate::db::DbConn;
use crate::db::schema::notice_templates;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = notice_templates)]
pub struct NoticeTemplate {
    pub id: i64,
    pub event: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

/// The three texts of a template, borrowed.
pub struct TemplateTexts<'a> {
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = notice_templates)]
struct Row<'a> {
    event: &'a str,
    locale: &'a str,
    subject: &'a str,
    body_text: &'a str,
    body_html: &'a str,
    updated_by: &'a str,
    updated_at: NaiveDateTime,
}

pub fn get(conn: &mut DbConn, event: &str, locale: &str) -> QueryResult<Option<NoticeTemplate>> {
    notice_templates::table
        .filter(notice_templates::event.eq(event))
        .filter(notice_templates::locale.eq(locale))
        .select(NoticeTemplate::as_select())
        .first(conn)
        .optional()
}

/// Every stored template, by event then locale.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<NoticeTemplate>> {
    notice_templates::table
        .order((
            notice_templates::event.asc(),
            notice_templates::locale.asc(),
        ))
        .select(NoticeTemplate::as_select())
        .load(conn)
}

/// Writes the texts of `event` in `locale`, replacing the stored ones if any. Call it in a
/// transaction: an update that matched nothing is followed by an insert.
pub fn save(
    conn: &mut DbConn,
    event: &str,
    locale: &str,
    texts: &TemplateTexts<'_>,
    updated_by: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = Row {
        event,
        locale,
        subject: texts.subject,
        body_text: texts.body_text,
        body_html: texts.body_html,
        updated_by,
        updated_at: now,
    };
    let updated = diesel::update(
        notice_templates::table
            .filter(notice_templates::event.eq(event))
            .filter(notice_templates::locale.eq(locale)),
    )
    .set(&row)
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notice_templates::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// Removes the stored version, so the shipped default (or the English one) applies again.
pub fn delete(conn: &mut DbConn, event: &str, locale: &str) -> QueryResult<usize> {
    diesel::delete(
        notice_templates::table
            .filter(notice_templates::event.eq(event))
            .filter(notice_templates::locale.eq(locale)),
    )
    .execute(conn)
}
