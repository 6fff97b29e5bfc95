//! The OAuth Applications back-office: grid, create, one-time secret, view, edit, activate,
//! delete, and the audit history (SECURITY.md 13, 21, 33–35).

use crate::both_backends;
use crate::helpers::*;
use diesel::prelude::*;
use tessera::db::models::{client, client_secret};
use tessera::domain::SecretHash;

/// Fills and submits the create form the way a browser would, after choosing the type the
/// fields name (`app_type`); without one, the form is posted as before types existed.
pub async fn create_via_form(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let kind = fields
        .iter()
        .find(|(k, _)| *k == "app_type")
        .map_or("service", |(_, v)| *v);
    let page = app
        .get(&format!("/admin/oauth-applications/new?type={kind}"))
        .await
        .text()
        .await
        .unwrap();
    let mut form = vec![
        ("csrf_token".to_owned(), csrf_token(&page)),
        (
            "creation_key".to_owned(),
            hidden_field(&page, "creation_key").unwrap(),
        ),
    ];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.http
        .post(app.url("/admin/oauth-applications/new"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Creates an application owned by a fresh back-office user and returns (row, secret).
pub async fn create_application(app: &TestApp, name: &str) -> (client::Client, String) {
    let owner = match tessera::db::models::user::find_by_username(&mut app.conn(), "owner").unwrap()
    {
        Some(u) => u,
        None => app.create_user("owner", "owner's long password", "backoffice", false),
    };
    let response = create_via_form(
        app,
        &[
            ("name", name),
            ("active", "on"),
            ("grants", "client_credentials"),
            ("grants", "password"),
            ("owner_user_id", &owner.id.to_string()),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let client_id = input_value(&html, "client_id");
    let secret = input_value(&html, "client_secret");
    let row = client::find_by_client_id(&mut app.conn(), &client_id)
        .unwrap()
        .unwrap();
    (row, secret)
}

fn input_value(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in page"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn count_clients(app: &TestApp) -> i64 {
    tessera::db::schema::clients::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}
both_backends! {
    async fn creating_an_application_shows_its_secret_once_and_stores_only_the_hash(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let owner = app.create_user("owner", "owner's long password", "backoffice", false);
        let response = create_via_form(
            &app,
            &[("name", "Warehouse sync"), ("active", "on"), ("grants", "client_credentials"),
              ("owner_user_id", &owner.id.to_string())],
        )
        .await;
        assert_eq!(response.status(), 200, "rendered directly, not redirected");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let html = response.text().await.unwrap();
        assert!(html.contains("It will not be shown again"));
        let client_id = input_value(&html, "client_id");
        let secret = input_value(&html, "client_secret");
        assert!(secret.starts_with("tsk_") && secret.len() == 4 + 43, "256 bits, prefixed");

        let row = client::find_by_client_id(&mut app.conn(), &client_id).unwrap().unwrap();
        let secrets = client_secret::valid_for_client(&mut app.conn(), row.id, app.state.now()).unwrap();
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets[0].secret_hash, SecretHash::of(&secret).as_str());

        for path in ["/admin/oauth-applications".to_owned(), format!("/admin/oauth-applications/{}", row.id),
                     format!("/admin/oauth-applications/{}/edit", row.id), "/admin/oauth-applications/new".to_owned()] {
            let page = app.get(&path).await.text().await.unwrap();
            assert!(!page.contains(&secret), "{path} never shows the secret");
        }
        let view = app.get(&format!("/admin/oauth-applications/{}", row.id)).await.text().await.unwrap();
        assert!(view.contains(&client_id));
        assert!(view.contains("Warehouse sync"));
    }

    async fn the_plaintext_secret_is_in_no_database_row(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let (_, secret) = create_application(&app, "Scanner").await;
        use tessera::db::schema::{audit_events, client_secrets, clients};
        let mut conn = app.conn();
        let mut text: Vec<String> = client_secrets::table.select(client_secrets::secret_hash).load(&mut *conn).unwrap();
        text.extend(client_secrets::table.select(client_secrets::prefix).load::<String>(&mut *conn).unwrap());
        text.extend(audit_events::table.select(audit_events::detail).load::<String>(&mut *conn).unwrap());
        text.extend(clients::table.select(clients::name).load::<String>(&mut *conn).unwrap());
        assert!(!text.is_empty());
        assert!(text.iter().all(|t| !t.contains(&secret)));
    }

    async fn a_double_submitted_create_form_makes_one_application(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let owner = app.create_user("owner", "owner's long password", "backoffice", false);
        let page = app.get("/admin/oauth-applications/new?type=service").await.text().await.unwrap();
        let owner_id = owner.id.to_string();
        let form = [
            ("csrf_token", csrf_token(&page)),
            ("creation_key", hidden_field(&page, "creation_key").unwrap()),
            ("name", "Twice".to_owned()),
            ("grants", "client_credentials".to_owned()),
            ("owner_user_id", owner_id),
        ];
        let submit = || app.http.post(app.url("/admin/oauth-applications/new")).form(&form).send();
        let (first, second) = tokio::join!(submit(), submit());
        let statuses = [first.unwrap().status().as_u16(), second.unwrap().status().as_u16()];
        assert_eq!(count_clients(&app), 1);
        assert!(statuses.contains(&200), "{statuses:?}");
        let again = submit().await.unwrap();
        assert_eq!(again.status(), 303, "a third submission goes to the existing application");
        assert!(location(&again).starts_with("/admin/oauth-applications/"));
        let view = app.get(&location(&again)).await.text().await.unwrap();
        assert!(view.contains("already submitted"));
        assert_eq!(count_clients(&app), 1);
    }

    async fn validation_errors_appear_beside_their_fields_and_nothing_is_saved(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let long = "x".repeat(256);
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("name", "  "), ("grants", "password")], "Enter an application name."),
            (&[("name", long.as_str()), ("grants", "password")], "Application name has at most 255 characters."),
            (&[("name", "No grants")], "Choose at least one grant type."),
            (&[("name", "Needs owner"), ("grants", "client_credentials")], "Choose the user the client credentials tokens act as."),
        ];
        for (fields, message) in cases {
            let response = create_via_form(&app, fields).await;
            assert_eq!(response.status(), 200);
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{message}");
            assert!(html.contains("class=\"field-error\""));
        }
        let kept = create_via_form(&app, &[("name", "Keep me"), ("frontend", "on")]).await.text().await.unwrap();
        assert!(kept.contains("value=\"Keep me\""), "typed values are kept");
        assert_eq!(count_clients(&app), 0);
    }

    async fn names_are_unique_per_organization_and_owner(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        create_application(&app, "Dup").await;
        let owner = tessera::db::models::user::find_by_username(&mut app.conn(), "owner").unwrap().unwrap();
        let again = create_via_form(
            &app,
            &[("name", "Dup"), ("grants", "client_credentials"), ("owner_user_id", &owner.id.to_string())],
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(again.contains("An application with this name already exists for this organization and owner."));
        let other = app.create_user("other", "other's long password", "backoffice", false);
        let ok = create_via_form(
            &app,
            &[("name", "Dup"), ("grants", "client_credentials"), ("owner_user_id", &other.id.to_string())],
        )
        .await;
        assert!(ok.text().await.unwrap().contains("client_secret"));
        assert_eq!(count_clients(&app), 2);
    }

    async fn the_owner_kind_must_match_the_frontend_flag(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let staff = app.create_user("staff", "staff's long password", "backoffice", false);
        let buyer = app.create_user("buyer", "buyer's long password", "customer", false);
        let frontend_staff = create_via_form(
            &app,
            &[("name", "Shop"), ("grants", "password"), ("frontend", "on"), ("owner_user_id", &staff.id.to_string())],
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(frontend_staff.contains("The owner of a frontend application must be a customer user."));
        let backoffice_buyer = create_via_form(
            &app,
            &[("name", "Ops"), ("grants", "password"), ("owner_user_id", &buyer.id.to_string())],
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(backoffice_buyer.contains("The owner of a back-office application must be a back-office user."));
        let fine = create_via_form(
            &app,
            &[("name", "Shop"), ("grants", "password"), ("frontend", "on"), ("owner_user_id", &buyer.id.to_string())],
        )
        .await;
        assert!(fine.text().await.unwrap().contains("client_secret"));
    }

    async fn markup_in_a_name_is_shown_escaped_everywhere(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let (row, _) = create_application(&app, "<script>alert(1)</script>").await;
        for path in ["/admin/oauth-applications".to_owned(), format!("/admin/oauth-applications/{}", row.id),
                     format!("/admin/oauth-applications/{}/delete", row.id)] {
            let html = app.get(&path).await.text().await.unwrap();
            assert!(!html.contains("<script>alert(1)</script>"), "{path}");
            assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || html.contains("&lt;script&gt;"), "{path}");
        }
    }

    async fn editing_changes_the_application_but_never_its_client_id(backend: Backend) {
        let app = spawn_app(backend).await;
        let csrf = app.signed_in_admin().await;
        let (row, _) = create_application(&app, "Before").await;
        let edit = app.get(&format!("/admin/oauth-applications/{}/edit", row.id)).await.text().await.unwrap();
        assert!(edit.contains(&format!("value=\"{}\" readonly", row.client_id)));
        let response = app.post_form(
            &format!("/admin/oauth-applications/{}/edit", row.id),
            &[("csrf_token", &csrf), ("name", "After"), ("active", "on"), ("grants", "password"),
              ("owner_user_id", &row.owner_user_id.unwrap().to_string()), ("client_id", "forged")],
        ).await;
        assert_eq!(response.status(), 303);
        let updated = client::get(&mut app.conn(), row.id).unwrap().unwrap();
        assert_eq!(updated.name, "After");
        assert_eq!(updated.grants, "password");
        assert_eq!(updated.client_id, row.client_id);
        let view = app.get(&location(&response)).await.text().await.unwrap();
        assert!(view.contains("Saved After."));
        assert!(view.contains("Edited"), "history shows the change");

        let refused = app.post_form(
            &format!("/admin/oauth-applications/{}/edit", row.id),
            &[("csrf_token", &csrf), ("name", ""), ("grants", "password")],
        ).await;
        assert_eq!(refused.status(), 200);
        assert!(refused.text().await.unwrap().contains("Enter an application name."));
    }

    async fn handing_an_application_to_a_new_owner_tells_the_new_owner(backend: Backend) {
        let app = spawn_app(backend).await;
        let csrf = app.signed_in_admin().await;
        let (row, _) = create_application(&app, "Handover").await;
        let heir = app.create_user("heir", "heir's long password", "backoffice", false);
        let response = app.post_form(
            &format!("/admin/oauth-applications/{}/edit", row.id),
            &[("csrf_token", &csrf), ("name", "Handover"), ("active", "on"), ("grants", "client_credentials"),
              ("owner_user_id", &heir.id.to_string())],
        ).await;
        assert_eq!(response.status(), 303);
        let mails = tessera::db::models::mail_outbox::list_recent(&mut app.conn(), None, 10).unwrap();
        let to_heir: Vec<_> = mails.iter().filter(|m| m.recipient == "heir@example.com").collect();
        assert_eq!(to_heir.len(), 1);
        assert_eq!(to_heir[0].subject, "OAuth application added to your account");
        assert!(to_heir[0].body_text.contains(&row.client_id));
    }

    async fn deactivating_asks_first_then_cuts_off_the_application_and_activate_restores_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let csrf = app.signed_in_admin().await;
        let (row, _) = create_application(&app, "Toggle").await;
        let confirm = app.get(&format!("/admin/oauth-applications/{}/deactivate", row.id)).await;
        assert_eq!(confirm.status(), 200);
        assert!(client::get(&mut app.conn(), row.id).unwrap().unwrap().active, "GET changes nothing");
        let done = app.post_form(&format!("/admin/oauth-applications/{}/deactivate", row.id), &[("csrf_token", &csrf)]).await;
        assert_eq!(done.status(), 303);
        let off = client::get(&mut app.conn(), row.id).unwrap().unwrap();
        assert!(!off.active);
        assert!(off.tokens_revoked_before.is_some(), "issued tokens are cut off");
        let grid = app.get("/admin/oauth-applications").await.text().await.unwrap();
        assert!(grid.contains(&format!("/admin/oauth-applications/{}/activate", row.id)), "only Activate applies now");
        assert!(!grid.contains(&format!("/admin/oauth-applications/{}/deactivate", row.id)));
        app.post_form(&format!("/admin/oauth-applications/{}/activate", row.id), &[("csrf_token", &csrf)]).await;
        assert!(client::get(&mut app.conn(), row.id).unwrap().unwrap().active);
        let events = tessera::db::models::audit_event::for_target(&mut app.conn(), "client", row.id, &["client_created", "client_activated", "client_deactivated"], 10).unwrap();
        let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["client_activated", "client_deactivated", "client_created"]);
        assert!(events.iter().all(|e| e.actor == ADMIN_USERNAME && e.ip.as_deref() == Some("127.0.0.1")));
    }

    async fn deleting_removes_the_application_and_everything_issued_to_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let csrf = app.signed_in_admin().await;
        let (row, _) = create_application(&app, "Doomed").await;
        assert_eq!(app.get(&format!("/admin/oauth-applications/{}/delete", row.id)).await.status(), 200);
        let done = app.post_form(&format!("/admin/oauth-applications/{}/delete", row.id), &[("csrf_token", &csrf)]).await;
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), "/admin/oauth-applications");
        let grid = app.get("/admin/oauth-applications").await.text().await.unwrap();
        assert!(grid.contains("Deleted Doomed."));
        assert!(client::get(&mut app.conn(), row.id).unwrap().is_none());
        let secrets: i64 = tessera::db::schema::client_secrets::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(secrets, 0);
        assert_eq!(app.get(&format!("/admin/oauth-applications/{}", row.id)).await.status(), 404);
    }

    async fn every_state_change_needs_the_csrf_token(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let (row, _) = create_application(&app, "Guarded").await;
        for path in [
            "/admin/oauth-applications/new".to_owned(),
            format!("/admin/oauth-applications/{}/edit", row.id),
            format!("/admin/oauth-applications/{}/deactivate", row.id),
            format!("/admin/oauth-applications/{}/activate", row.id),
            format!("/admin/oauth-applications/{}/delete", row.id),
            "/admin/users/new".to_owned(),
            format!("/admin/users/{}/disable", row.owner_user_id.unwrap()),
            "/admin/organizations".to_owned(),
        ] {
            let response = app.post_form(&path, &[("csrf_token", "forged"), ("name", "x")]).await;
            assert_eq!(response.status(), 403, "{path}");
        }
        assert!(client::get(&mut app.conn(), row.id).unwrap().unwrap().active);
    }
}

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
