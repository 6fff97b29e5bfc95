//! The scope catalog: what applications may ask for, grouped by category, each scope
//! described for the person who will be asked to consent. Each change writes its audit
//! event in the same transaction.

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::scope::{self as catalog, CatalogScope, Category, NewScope};
use crate::domain::{CategoryName, OptionalText, ScopeDescription, ScopeToken};
use chrono::NaiveDateTime;

/// A rule a catalog change broke, named by the form field it belongs to.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("A scope with this name already exists.")]
    NameTaken,
    #[error("A category with this name already exists.")]
    CategoryTaken,
    #[error(
        "This scope is used by {0} application(s): it cannot be renamed, or the tokens they hold would change meaning."
    )]
    RenameInUse(i64),
    #[error("This scope is used by {0} application(s): remove it from them before deleting it.")]
    DeleteInUse(i64),
    #[error("There is no such scope.")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl ScopeError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::NameTaken | Self::RenameInUse(_) => "name",
            Self::CategoryTaken => "category",
            Self::DeleteInUse(_) | Self::NotFound | Self::Database(_) => "",
        }
    }
}

/// A scope as an administrator describes it, already parsed.
pub struct ScopeSpec {
    pub name: ScopeToken,
    pub category: CategoryName,
    pub description: ScopeDescription,
}

/// The category of this name, made (without description) when it does not exist yet.
fn category(
    conn: &mut DbConn,
    name: &CategoryName,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Category, ScopeError> {
    if let Some(found) = catalog::find_category(conn, name.as_str())? {
        return Ok(found);
    }
    let created = catalog::create_category(conn, name.as_str(), "", now)?;
    audit::record(
        conn,
        actor,
        AuditAction::ScopeCategoryCreated,
        Some(created.id),
        &created.name,
        now,
    )?;
    Ok(created)
}

/// Creates a category with its description.
pub fn create_category(
    conn: &mut DbConn,
    name: &CategoryName,
    description: &OptionalText,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Category, ScopeError> {
    crate::db::transaction(conn, |conn| {
        if catalog::find_category(conn, name.as_str())?.is_some() {
            return Err(ScopeError::CategoryTaken);
        }
        let created = catalog::create_category(conn, name.as_str(), description.as_str(), now)?;
        audit::record(
            conn,
            actor,
            AuditAction::ScopeCategoryCreated,
            Some(created.id),
            &created.name,
            now,
        )?;
        Ok(created)
    })
}

/// Changes what a category says about itself.
pub fn describe_category(
    conn: &mut DbConn,
    id: i64,
    description: &OptionalText,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), ScopeError> {
    crate::db::transaction(conn, |conn| {
        if catalog::set_category_description(conn, id, description.as_str())? == 0 {
            return Err(ScopeError::NotFound);
        }
        audit::record(
            conn,
            actor,
            AuditAction::ScopeCategoryUpdated,
            Some(id),
            description.as_str(),
            now,
        )?;
        Ok(())
    })
}

/// Adds a scope to the catalog, in its category (made when new).
pub fn create(
    conn: &mut DbConn,
    spec: &ScopeSpec,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<CatalogScope, ScopeError> {
    crate::db::transaction(conn, |conn| {
        if catalog::find_by_name(conn, spec.name.as_str())?.is_some() {
            return Err(ScopeError::NameTaken);
        }
        let category = category(conn, &spec.category, actor, now)?;
        let created = catalog::create(
            conn,
            &NewScope {
                name: spec.name.as_str(),
                category_id: category.id,
                description: spec.description.as_str(),
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::record(
            conn,
            actor,
            AuditAction::ScopeCreated,
            Some(created.id),
            &created.name,
            now,
        )?;
        crate::readmodel::record_change(conn)?;
        Ok(created)
    })
}

/// Changes a scope's description or category; its name only while no application uses it.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    spec: &ScopeSpec,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<CatalogScope, ScopeError> {
    crate::db::transaction(conn, |conn| {
        let existing = catalog::get(conn, id)?.ok_or(ScopeError::NotFound)?;
        if existing.name != spec.name.as_str() {
            let used = catalog::used_by(conn, id)?;
            if used > 0 {
                return Err(ScopeError::RenameInUse(used));
            }
            if catalog::find_by_name(conn, spec.name.as_str())?.is_some() {
                return Err(ScopeError::NameTaken);
            }
        }
        let category = category(conn, &spec.category, actor, now)?;
        catalog::update(
            conn,
            id,
            spec.name.as_str(),
            category.id,
            spec.description.as_str(),
            now,
        )?;
        audit::record(
            conn,
            actor,
            AuditAction::ScopeUpdated,
            Some(id),
            spec.name.as_str(),
            now,
        )?;
        crate::readmodel::record_change(conn)?;
        catalog::get(conn, id)?.ok_or(ScopeError::NotFound)
    })
}

/// Removes a scope no application uses.
pub fn delete(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<CatalogScope, ScopeError> {
    crate::db::transaction(conn, |conn| {
        let existing = catalog::get(conn, id)?.ok_or(ScopeError::NotFound)?;
        let used = catalog::used_by(conn, id)?;
        if used > 0 {
            return Err(ScopeError::DeleteInUse(used));
        }
        audit::record(
            conn,
            actor,
            AuditAction::ScopeDeleted,
            Some(id),
            &existing.name,
            now,
        )?;
        catalog::delete(conn, id)?;
        crate::readmodel::record_change(conn)?;
        Ok(existing)
    })
}
