//! Requests fired at once: the database enforces uniqueness, the loser gets the form's field
//! message (never a 500), and a change made twice at once is recorded and mailed once
//! (ASVS 15.4.2, concurrent access to shared resources; RFC 9700 §4.14.2 for the refresh
//! rotation that the other tests of this kind cover).

use crate::both_backends;
use crate::helpers::*;
use diesel::prelude::*;
use futures_util::future::join_all;
use tessera::audit::AuditAction;
use tessera::db::schema::{audit_events, clients, mail_outbox, organizations, users};

const AT_ONCE: usize = 8;

fn count_audit(app: &TestApp, action: AuditAction) -> i64 {
    audit_events::table
        .filter(audit_events::action.eq(action.as_str()))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

async fn concurrent_creates_of_one_application_name_make_one_application_and_a_field_message(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let owner = app.create_user("owner", "the owner's long password", "backoffice", false);
    let owner_id = owner.id.to_string();
    // Each submission is its own form (its own creation key), as from separate tabs.
    let fields = [
        ("name", "Twin"),
        ("active", "on"),
        ("grants", "client_credentials"),
        ("owner_user_id", owner_id.as_str()),
    ];
    let answers = join_all((0..AT_ONCE).map(|_| create_via_form(&app, &fields))).await;
    let mut created = 0;
    for answer in answers {
        let status = answer.status();
        let body = answer.text().await.unwrap();
        assert_eq!(status, 200, "{body}");
        if body.contains("client_secret") {
            created += 1;
        } else {
            assert!(
                body.contains(
                    "An application with this name already exists for this organization and owner."
                ),
                "{body}"
            );
        }
    }
    let rows: i64 = clients::table
        .filter(clients::name.eq("Twin"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!((created, rows), (1, 1));
}
both_backends!(concurrent_creates_of_one_application_name_make_one_application_and_a_field_message);

async fn concurrent_creates_of_one_organization_make_one_and_a_field_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let form = [("csrf_token", csrf.as_str()), ("name", "Acme")];
    let answers =
        join_all((0..AT_ONCE).map(|_| app.post_form("/admin/organizations", &form))).await;
    for answer in answers {
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap();
        assert!(
            status == 303
                || (status == 200
                    && body.contains("An organization with this name already exists.")),
            "{status} {body}"
        );
    }
    let rows: i64 = organizations::table
        .filter(organizations::name.eq("Acme"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(rows, 1);
}
both_backends!(concurrent_creates_of_one_organization_make_one_and_a_field_message);

async fn concurrent_creates_of_one_username_make_one_user_and_a_field_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("username", "carol"),
        ("email", "carol@example.com"),
        ("kind", "customer"),
        ("password", "carol's password"),
        ("password_confirm", "carol's password"),
    ];
    let answers = join_all((0..AT_ONCE).map(|_| app.post_form("/admin/users/new", &form))).await;
    for answer in answers {
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap();
        assert!(
            status == 303 || (status == 200 && body.contains("This username is taken.")),
            "{status} {body}"
        );
    }
    let rows: i64 = users::table
        .filter(users::username.eq("carol"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(rows, 1);
}
both_backends!(concurrent_creates_of_one_username_make_one_user_and_a_field_message);

async fn concurrent_deactivations_write_one_audit_row_and_one_notice(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let row = app.application("Once").create_in_back_office().await;
    let notices_before: i64 = mail_outbox::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    let path = format!("/admin/oauth-applications/{}/deactivate", row.id);
    let form = [("csrf_token", csrf.as_str())];
    let answers = join_all((0..AT_ONCE).map(|_| app.post_form(&path, &form))).await;
    assert!(answers.iter().all(|a| a.status() == 303));
    let notices: i64 = mail_outbox::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(count_audit(&app, AuditAction::ClientDeactivated), 1);
    assert_eq!(notices - notices_before, 1, "one notice to the owner");

    let owner = row.owner_user_id.unwrap();
    let path = format!("/admin/users/{owner}/disable");
    let answers = join_all((0..AT_ONCE).map(|_| app.post_form(&path, &form))).await;
    assert!(answers.iter().all(|a| a.status() == 303));
    assert_eq!(count_audit(&app, AuditAction::UserDisabled), 1);
}
both_backends!(concurrent_deactivations_write_one_audit_row_and_one_notice);
