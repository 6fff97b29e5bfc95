//! The scope catalog: the back-office page, the rules about scopes in use, and the
//! migration of the free-form scopes applications had before the catalog.

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tessera::db::DbConn;
use tessera::db::models::scope;
use tessera::db::schema::{client_scopes, clients, scope_categories, scopes};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies only the first migration, as a database from before the catalog.
fn foundation_only(conn: &mut DbConn) {
    match conn {
        DbConn::Sqlite(c) => drop(c.run_next_migration(SQLITE).unwrap()),
        DbConn::Pg(c) => drop(c.run_next_migration(POSTGRES).unwrap()),
    }
}

fn fresh_connection(backend: Backend, dir: &std::path::Path) -> (DbConn, Option<String>) {
    match backend {
        Backend::Sqlite => {
            let path = dir.join("migration.db");
            (
                DbConn::Sqlite(SqliteConnection::establish(path.to_str().unwrap()).unwrap()),
                None,
            )
        }
        Backend::Postgres => {
            let admin = postgres_url().unwrap();
            let name = format!("t_{}", tessera::domain::secret::random_hex(8));
            let mut conn = PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .unwrap();
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(b, _)| b)
                .to_owned();
            (
                DbConn::Pg(PgConnection::establish(&format!("{base}/{name}")).unwrap()),
                Some(name),
            )
        }
    }
}

async fn a_scope_in_use_cannot_be_deleted_nor_renamed_and_says_by_how_many_applications(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let erp = app.back_office_app();
    let shop = app
        .application("shop")
        .grants(&["client_credentials"])
        .register();
    set_scopes(&app, &erp, "orders:read");
    set_scopes(&app, &shop, "orders:read");
    let read = scope::find_by_name(&mut app.conn(), "orders:read")
        .unwrap()
        .unwrap();

    let refused = app
        .post_form(
            &format!("/admin/scopes/{}/delete", read.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.status(), 200);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains(
            "This scope is used by 2 application(s): remove it from them before deleting it."
        ),
        "{page}"
    );
    assert!(scope::get(&mut app.conn(), read.id).unwrap().is_some());

    let renamed = app
        .post_form(
            &format!("/admin/scopes/{}/edit", read.id),
            &[
                ("csrf_token", &csrf),
                ("name", "orders:list"),
                ("category", "Orders"),
                ("description", "See your orders"),
            ],
        )
        .await;
    assert!(
        renamed
            .text()
            .await
            .unwrap()
            .contains("it cannot be renamed")
    );
    let described = app
        .post_form(
            &format!("/admin/scopes/{}/edit", read.id),
            &[
                ("csrf_token", &csrf),
                ("name", "orders:read"),
                ("category", "Orders"),
                ("description", "See your orders"),
            ],
        )
        .await;
    assert_eq!(
        described.status(),
        303,
        "the description and category may change"
    );
    let list = app.get("/admin/scopes").await.text().await.unwrap();
    assert!(
        list.contains("See your orders")
            && list.contains("2 application(s)")
            && list.contains(">Orders</h2>")
    );

    set_scopes(&app, &erp, "");
    set_scopes(&app, &shop, "");
    let deleted = app
        .post_form(
            &format!("/admin/scopes/{}/delete", read.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status(), 303, "unused, it goes");
    assert!(scope::get(&mut app.conn(), read.id).unwrap().is_none());
}
both_backends!(a_scope_in_use_cannot_be_deleted_nor_renamed_and_says_by_how_many_applications);

async fn catalog_scopes_are_scope_tokens_of_rfc_6749_section_3_3_and_fill_scopes_supported_of_rfc_8414_section_2(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let bad = app
        .post_form(
            "/admin/scopes",
            &[
                ("csrf_token", &csrf),
                ("name", "read write"),
                ("category", ""),
                ("description", ""),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("A scope name is one word"));
    assert!(bad.contains("Enter a category name."));
    assert!(bad.contains("Enter a description."));
    for (name, category) in [("orders:read", "Orders"), ("profile", "Customers")] {
        let created = app
            .post_form(
                "/admin/scopes",
                &[
                    ("csrf_token", &csrf),
                    ("name", name),
                    ("category", category),
                    ("description", "Something"),
                ],
            )
            .await;
        assert_eq!(created.status(), 303);
    }
    let twice = app
        .post_form(
            "/admin/scopes",
            &[
                ("csrf_token", &csrf),
                ("name", "profile"),
                ("category", "Orders"),
                ("description", "Again"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(twice.contains("A scope with this name already exists."));
    let metadata: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["scopes_supported"],
        serde_json::json!(["orders:read", "profile"])
    );
}
both_backends!(catalog_scopes_are_scope_tokens_of_rfc_6749_section_3_3_and_fill_scopes_supported_of_rfc_8414_section_2);

async fn the_migration_moves_free_form_scopes_into_the_catalog_under_uncategorized(
    backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let (mut conn, pg_name) = fresh_connection(backend, dir.path());
    foundation_only(&mut conn);
    diesel::sql_query(
        "INSERT INTO organizations (name, created_at) VALUES ('Default', '2026-01-01 00:00:00')",
    )
    .execute(&mut conn)
    .unwrap();
    for (name, grants, scopes) in [
        ("sync", "client_credentials", "read write"),
        ("portal", "password", "write  admin"),
        ("bare", "password", ""),
    ] {
        diesel::sql_query(format!("INSERT INTO clients (organization_id, name, client_id, grants, scopes, created_at, updated_at) \
            VALUES (1, '{name}', '{name}-id', '{grants}', '{scopes}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            .execute(&mut conn).unwrap();
    }
    tessera::db::run_migrations(&mut conn).unwrap();

    let categories: Vec<String> = scope_categories::table
        .select(scope_categories::name)
        .load(&mut conn)
        .unwrap();
    assert_eq!(categories, ["Uncategorized"]);
    let mut names: Vec<String> = scopes::table.select(scopes::name).load(&mut conn).unwrap();
    names.sort();
    assert_eq!(names, ["admin", "read", "write"]);
    let mut links: Vec<(String, String)> = client_scopes::table
        .inner_join(clients::table)
        .inner_join(scopes::table)
        .select((clients::name, scopes::name))
        .load(&mut conn)
        .unwrap();
    links.sort();
    assert_eq!(
        links,
        [
            ("portal".into(), "admin".into()),
            ("portal".into(), "write".into()),
            ("sync".into(), "read".into()),
            ("sync".into(), "write".into())
        ]
    );
    let mut types: Vec<(String, String)> = clients::table
        .select((clients::name, clients::app_type))
        .load(&mut conn)
        .unwrap();
    types.sort();
    assert_eq!(
        types,
        [
            ("bare".into(), "web".into()),
            ("portal".into(), "web".into()),
            ("sync".into(), "service".into())
        ]
    );
    drop(conn);
    if let Some(name) = pg_name {
        let mut admin = PgConnection::establish(&postgres_url().unwrap()).unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
    }
}
both_backends!(the_migration_moves_free_form_scopes_into_the_catalog_under_uncategorized);
