//! What people allowed applications: granted from the consent dialog, revoked from
//! /account. Each change writes its audit row in the same transaction.

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::Client;
use crate::db::models::consent;
use crate::db::models::refresh_token as refresh_model;
use crate::db::models::user::User;
use crate::domain::Scope;
use chrono::NaiveDateTime;

/// Whether the person already allowed the application every scope of `scope`.
pub fn covers(
    conn: &mut DbConn,
    user_id: i64,
    client_id: i64,
    scope: &Scope,
) -> diesel::QueryResult<bool> {
    Ok(consent::find(conn, user_id, client_id)?
        .filter(|c| c.revoked_at.is_none())
        .is_some_and(|c| scope.is_subset_of(&Scope::from_stored(&c.scope))))
}

/// Remembers that `user` allowed `client` the scopes of `scope`, on top of what they had
/// allowed before.
pub fn grant(
    conn: &mut DbConn,
    user: &User,
    client: &Client,
    scope: &Scope,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        let before = consent::find(conn, user.id, client.id)?
            .filter(|c| c.revoked_at.is_none())
            .map(|c| Scope::from_stored(&c.scope))
            .unwrap_or_default();
        let mut all = before.to_string();
        for token in scope.iter().filter(|t| !before.contains(t)) {
            all.push(' ');
            all.push_str(token);
        }
        let all = Scope::from_stored(&all).to_string();
        consent::grant(conn, user.id, client.id, &all, now)?;
        let actor = Actor::user(user, ip.map(str::to_owned));
        let detail = format!("scope: {all}");
        audit::record(
            conn,
            &actor,
            AuditAction::ConsentGranted,
            Some(client.id),
            &detail,
            now,
        )?;
        Ok(())
    })
}

/// Withdraws the person's consent to the application, revokes their refresh tokens for
/// it, and cuts off the access tokens issued to it for them until now. `false` when the
/// person had no live consent for it.
pub fn revoke(
    conn: &mut DbConn,
    user: &User,
    client: &Client,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        if !consent::revoke(conn, user.id, client.id, now)? {
            return Ok(false);
        }
        let revoked = refresh_model::revoke_for_user_and_client(conn, user.id, client.id, now)?;
        let actor = Actor::user(user, ip.map(str::to_owned));
        let detail =
            format!("revoked by the person from /account; {revoked} refresh tokens revoked");
        audit::record(
            conn,
            &actor,
            AuditAction::ConsentRevoked,
            Some(client.id),
            &detail,
            now,
        )?;
        Ok(true)
    })
}
