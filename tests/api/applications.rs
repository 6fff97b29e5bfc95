//! The OAuth Applications back-office: grid, create, one-time secret, view, edit, activate,
//! delete, and the audit history.

use crate::both_backends;
use crate::helpers::*;
use diesel::prelude::*;
use tessera::audit::AuditAction;
use tessera::db::models::client_secret;
use tessera::domain::SecretHash;

fn count_clients(app: &TestApp) -> i64 {
    tessera::db::schema::clients::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

async fn creating_an_application_shows_its_secret_once_and_stores_only_the_hash(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let owner = app.create_user("owner", "owner's long password", "backoffice", false);
    let response = create_via_form(
        &app,
        &[
            ("name", "Warehouse sync"),
            ("active", "on"),
            ("grants", "client_credentials"),
            ("owner_user_id", &owner.id.to_string()),
        ],
    )
    .await;
    assert_eq!(response.status(), 200, "rendered directly, not redirected");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("It will not be shown again"));
    let client_id = input_value(&html, "client_id");
    let secret = input_value(&html, "client_secret");
    assert!(
        secret.starts_with("tsk_") && secret.len() == 4 + 43,
        "256 bits, prefixed"
    );

    let row = app.find_application(&client_id).unwrap();
    let secrets =
        client_secret::valid_for_client(&mut app.conn(), row.id, app.state.now()).unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].secret_hash, SecretHash::of(&secret).as_str());

    for path in [
        APPLICATIONS.to_owned(),
        application_path(row.id),
        application_action(row.id, "edit"),
        NEW_APPLICATION.to_owned(),
    ] {
        let page = app.get(&path).await.text().await.unwrap();
        assert!(!page.contains(&secret), "{path} never shows the secret");
    }
    let view = app
        .get(&application_path(row.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(view.contains(&client_id));
    assert!(view.contains("Warehouse sync"));
}
both_backends!(creating_an_application_shows_its_secret_once_and_stores_only_the_hash);

async fn the_plaintext_secret_is_in_no_database_row(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let secret = app
        .application("Scanner")
        .create_in_back_office()
        .await
        .secret;
    use tessera::db::schema::{audit_events, client_secrets, clients};
    let mut conn = app.conn();
    let mut text: Vec<String> = client_secrets::table
        .select(client_secrets::secret_hash)
        .load(&mut *conn)
        .unwrap();
    text.extend(
        client_secrets::table
            .select(client_secrets::prefix)
            .load::<String>(&mut *conn)
            .unwrap(),
    );
    text.extend(
        audit_events::table
            .select(audit_events::detail)
            .load::<String>(&mut *conn)
            .unwrap(),
    );
    text.extend(
        clients::table
            .select(clients::name)
            .load::<String>(&mut *conn)
            .unwrap(),
    );
    assert!(!text.is_empty());
    assert!(text.iter().all(|t| !t.contains(&secret)));
}
both_backends!(the_plaintext_secret_is_in_no_database_row);

async fn a_double_submitted_create_form_makes_one_application(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let owner = app.create_user("owner", "owner's long password", "backoffice", false);
    let page = app
        .get(&format!("{NEW_APPLICATION}?type=service"))
        .await
        .text()
        .await
        .unwrap();
    let owner_id = owner.id.to_string();
    let form = [
        ("csrf_token", csrf_token(&page)),
        ("creation_key", hidden_field(&page, "creation_key").unwrap()),
        ("name", "Twice".to_owned()),
        ("grants", "client_credentials".to_owned()),
        ("owner_user_id", owner_id),
    ];
    let submit = || app.http.post(app.url(NEW_APPLICATION)).form(&form).send();
    let (first, second) = tokio::join!(submit(), submit());
    let statuses = [
        first.unwrap().status().as_u16(),
        second.unwrap().status().as_u16(),
    ];
    assert_eq!(count_clients(&app), 1);
    assert!(statuses.contains(&200), "{statuses:?}");
    let again = submit().await.unwrap();
    assert_eq!(
        again.status(),
        303,
        "a third submission goes to the existing application"
    );
    assert!(location(&again).starts_with(&format!("{APPLICATIONS}/")));
    let view = app.get(&location(&again)).await.text().await.unwrap();
    assert!(view.contains("already submitted"));
    assert_eq!(count_clients(&app), 1);
}
both_backends!(a_double_submitted_create_form_makes_one_application);

async fn validation_errors_appear_beside_their_fields_and_nothing_is_saved(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let long = "x".repeat(256);
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("name", "  "), ("grants", "password")],
            "Enter an application name.",
        ),
        (
            &[("name", long.as_str()), ("grants", "password")],
            "Application name has at most 255 characters.",
        ),
        (&[("name", "No grants")], "Choose at least one grant type."),
        (
            &[("name", "Needs owner"), ("grants", "client_credentials")],
            "Choose the user the client credentials tokens act as.",
        ),
    ];
    for (fields, message) in cases {
        let response = create_via_form(&app, fields).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{message}");
        assert!(html.contains("class=\"field-error\""));
    }
    let kept = create_via_form(&app, &[("name", "Keep me"), ("frontend", "on")])
        .await
        .text()
        .await
        .unwrap();
    assert!(kept.contains("value=\"Keep me\""), "typed values are kept");
    assert_eq!(count_clients(&app), 0);
}
both_backends!(validation_errors_appear_beside_their_fields_and_nothing_is_saved);

async fn names_are_unique_per_organization_and_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let dup = app.application("Dup").create_in_back_office().await;
    let owner = dup.owner_user_id.unwrap();
    let again = create_via_form(
        &app,
        &[
            ("name", "Dup"),
            ("grants", "client_credentials"),
            ("owner_user_id", &owner.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        again.contains(
            "An application with this name already exists for this organization and owner."
        )
    );
    let other = app.create_user("other", "other's long password", "backoffice", false);
    let ok = create_via_form(
        &app,
        &[
            ("name", "Dup"),
            ("grants", "client_credentials"),
            ("owner_user_id", &other.id.to_string()),
        ],
    )
    .await;
    assert!(ok.text().await.unwrap().contains("client_secret"));
    assert_eq!(count_clients(&app), 2);
}
both_backends!(names_are_unique_per_organization_and_owner);

async fn the_owner_kind_must_match_the_frontend_flag(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let staff = app.create_user("staff", "staff's long password", "backoffice", false);
    let buyer = app.create_user("buyer", "buyer's long password", "customer", false);
    let frontend_staff = create_via_form(
        &app,
        &[
            ("name", "Shop"),
            ("grants", "password"),
            ("frontend", "on"),
            ("owner_user_id", &staff.id.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        frontend_staff.contains("The owner of a frontend application must be a customer user.")
    );
    let backoffice_buyer = create_via_form(
        &app,
        &[
            ("name", "Ops"),
            ("grants", "password"),
            ("owner_user_id", &buyer.id.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        backoffice_buyer
            .contains("The owner of a back-office application must be a back-office user.")
    );
    let fine = create_via_form(
        &app,
        &[
            ("name", "Shop"),
            ("grants", "password"),
            ("frontend", "on"),
            ("owner_user_id", &buyer.id.to_string()),
        ],
    )
    .await;
    assert!(fine.text().await.unwrap().contains("client_secret"));
}
both_backends!(the_owner_kind_must_match_the_frontend_flag);

async fn markup_in_a_name_is_shown_escaped_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let row = app
        .application("<script>alert(1)</script>")
        .create_in_back_office()
        .await;
    for path in [
        APPLICATIONS.to_owned(),
        application_path(row.id),
        application_action(row.id, "delete"),
    ] {
        let html = app.get(&path).await.text().await.unwrap();
        assert!(!html.contains("<script>alert(1)</script>"), "{path}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || html.contains("&lt;script&gt;"),
            "{path}"
        );
    }
}
both_backends!(markup_in_a_name_is_shown_escaped_everywhere);

async fn editing_changes_the_application_but_never_its_client_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let row = app.application("Before").create_in_back_office().await;
    let edit = app
        .get(&application_action(row.id, "edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains(&format!("value=\"{}\" readonly", row.client_id)));
    let response = app
        .post_form(
            &application_action(row.id, "edit"),
            &[
                ("csrf_token", &csrf),
                ("name", "After"),
                ("active", "on"),
                ("grants", "password"),
                ("owner_user_id", &row.owner_user_id.unwrap().to_string()),
                ("client_id", "forged"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let updated = app.application_row(row.id).unwrap();
    assert_eq!(updated.name, "After");
    assert_eq!(updated.grants, "password");
    assert_eq!(updated.client_id, row.client_id);
    let view = app.get(&location(&response)).await.text().await.unwrap();
    assert!(view.contains("Saved After."));
    assert!(view.contains("Edited"), "history shows the change");

    let refused = app
        .post_form(
            &application_action(row.id, "edit"),
            &[("csrf_token", &csrf), ("name", ""), ("grants", "password")],
        )
        .await;
    assert_eq!(refused.status(), 200);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Enter an application name.")
    );
}
both_backends!(editing_changes_the_application_but_never_its_client_id);

async fn handing_an_application_to_a_new_owner_tells_the_new_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let row = app.application("Handover").create_in_back_office().await;
    let heir = app.create_user("heir", "heir's long password", "backoffice", false);
    let response = app
        .post_form(
            &application_action(row.id, "edit"),
            &[
                ("csrf_token", &csrf),
                ("name", "Handover"),
                ("active", "on"),
                ("grants", "client_credentials"),
                ("owner_user_id", &heir.id.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let mails = crate::helpers::mail::outbox(&app);
    let to_heir: Vec<_> = mails
        .iter()
        .filter(|m| m.recipient == "heir@example.com")
        .collect();
    assert_eq!(to_heir.len(), 1);
    assert_eq!(to_heir[0].subject, crate::helpers::mail::ADDED);
    assert!(to_heir[0].body_text.contains(&row.client_id));
}
both_backends!(handing_an_application_to_a_new_owner_tells_the_new_owner);

async fn deactivating_asks_first_then_cuts_off_the_application_and_activate_restores_it(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let row = app.application("Toggle").create_in_back_office().await;
    let confirm = app.get(&application_action(row.id, "deactivate")).await;
    assert_eq!(confirm.status(), 200);
    assert!(
        app.application_row(row.id).unwrap().active,
        "GET changes nothing"
    );
    let done = app
        .post_form(
            &application_action(row.id, "deactivate"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(done.status(), 303);
    let off = app.application_row(row.id).unwrap();
    assert!(!off.active);
    assert!(
        off.tokens_revoked_before.is_some(),
        "issued tokens are cut off"
    );
    let grid = app.get(APPLICATIONS).await.text().await.unwrap();
    assert!(
        grid.contains(&application_action(row.id, "activate")),
        "only Activate applies now"
    );
    assert!(!grid.contains(&application_action(row.id, "deactivate")));
    app.post_form(
        &application_action(row.id, "activate"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert!(app.application_row(row.id).unwrap().active);
    let events = tessera::audit::history(
        &mut app.conn(),
        &[
            AuditAction::ClientCreated,
            AuditAction::ClientActivated,
            AuditAction::ClientDeactivated,
        ],
        row.id,
        10,
    )
    .unwrap();
    let actions: Vec<_> = events
        .iter()
        .map(|e| AuditAction::from_stored(&e.action))
        .collect();
    assert_eq!(
        actions,
        [
            Some(AuditAction::ClientActivated),
            Some(AuditAction::ClientDeactivated),
            Some(AuditAction::ClientCreated)
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.actor == ADMIN_USERNAME && e.ip.as_deref() == Some("127.0.0.1"))
    );
}
both_backends!(deactivating_asks_first_then_cuts_off_the_application_and_activate_restores_it);

async fn deleting_removes_the_application_and_everything_issued_to_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let row = app.application("Doomed").create_in_back_office().await;
    assert_eq!(
        app.get(&application_action(row.id, "delete"))
            .await
            .status(),
        200
    );
    let done = app
        .post_form(
            &application_action(row.id, "delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_redirects_to(&done, APPLICATIONS);
    let grid = app.get(APPLICATIONS).await.text().await.unwrap();
    assert!(grid.contains("Deleted Doomed."));
    assert!(app.application_row(row.id).is_none());
    let secrets: i64 = tessera::db::schema::client_secrets::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(secrets, 0);
    assert_eq!(app.get(&application_path(row.id)).await.status(), 404);
}
both_backends!(deleting_removes_the_application_and_everything_issued_to_it);

async fn every_state_change_needs_the_csrf_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let row = app.application("Guarded").create_in_back_office().await;
    for path in [
        NEW_APPLICATION.to_owned(),
        application_action(row.id, "edit"),
        application_action(row.id, "deactivate"),
        application_action(row.id, "activate"),
        application_action(row.id, "delete"),
        "/admin/users/new".to_owned(),
        user_action(row.owner_user_id.unwrap(), "disable"),
        "/admin/organizations".to_owned(),
    ] {
        let response = app
            .post_form(&path, &[("csrf_token", "forged"), ("name", "x")])
            .await;
        assert_eq!(response.status(), 403, "{path}");
    }
    assert!(app.application_row(row.id).unwrap().active);
}
both_backends!(every_state_change_needs_the_csrf_token);

#[test]
fn the_command_line_creates_and_lists_applications_as_json() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .current_dir(dir.path())
            .args(args)
            .env("TESSERA_USER_PASSWORD", "ann's long password")
            .env("RUST_LOG", "warn")
            .env_remove("TESSERA_DATABASE_URL")
            .output()
            .unwrap()
    };
    assert!(
        run(&[
            "users",
            "create",
            "--username",
            "ann",
            "--email",
            "ann@example.com"
        ])
        .status
        .success()
    );
    let out = run(&[
        "clients",
        "create",
        "--name",
        "Robot",
        "--grant",
        "client_credentials",
        "--owner",
        "ann",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("tsk_"));
    let list = run(&["clients", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed[0]["client_id"], created["client_id"]);
    assert_eq!(listed[0]["owner"], "ann");
    assert!(
        !String::from_utf8_lossy(&list.stdout).contains(secret),
        "the secret is printed once"
    );
    let refused = run(&[
        "clients",
        "create",
        "--name",
        "Orphan",
        "--grant",
        "client_credentials",
        "--json",
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("Choose the user the client credentials tokens act as.")
    );
}
