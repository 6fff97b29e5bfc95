//! Tokens follow every change to the facts they were issued under: the owner an
//! application's tokens act as, its grants and kind, the user's kind and organization
//! (ASVS 10.4.9; RFC 6749 §4.4 and §6; RFC 6750 §3.1).

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::{client_credentials, error_of, me, password_grant, refresh, str_of};
use diesel::prelude::*;
use tessera::clients::{self, ClientError, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::{client, organization, user as user_model};
use tessera::domain::{ClientName, Email, Grants, UserKind};
use tessera::users::{self, AccountChanges};

fn other_organization(app: &TestApp) -> i64 {
    let mut conn = app.conn();
    match organization::find_by_name(&mut conn, "Other").unwrap() {
        Some(org) => org.id,
        None => {
            organization::create(&mut conn, "Other", app.clock.now())
                .unwrap()
                .id
        }
    }
}

fn default_organization(app: &TestApp) -> i64 {
    organization::find_by_name(&mut app.conn(), organization::DEFAULT_NAME)
        .unwrap()
        .unwrap()
        .id
}

fn spec_of(app: &TestApp, client: &TestClient) -> ClientSpec {
    let row = client::get(&mut app.conn(), client.id).unwrap().unwrap();
    ClientSpec {
        active: row.active,
        app_type: row.app_type(),
        ..ClientSpec::legacy(
            row.organization_id,
            ClientName::parse(&row.name).unwrap(),
            row.grants(),
            row.owner_user_id,
            row.frontend,
        )
    }
}

fn update_client(app: &TestApp, client: &TestClient, spec: &ClientSpec) {
    clients::update(&mut app.conn(), client.id, spec, &actor(), app.clock.now()).unwrap();
}

fn move_user(app: &TestApp, user: &user_model::User, kind: UserKind, organization_id: i64) {
    let changes = AccountChanges {
        email: Email::parse(&user.email).unwrap(),
        full_name: None,
        kind,
        is_admin: user.is_admin,
        organization_id: Some(organization_id),
        password_hash: None,
        locale: tessera::domain::Locale::parse(&user.locale).unwrap(),
    };
    users::update(
        &mut app.conn(),
        user.id,
        &changes,
        &actor(),
        app.clock.now(),
    )
    .unwrap();
}

/// JWT times are whole seconds: step past the second of a cut-off before the next step.
fn tick(app: &TestApp) {
    app.clock.advance(chrono::TimeDelta::seconds(2));
}

async fn an_owner_from_another_organization_is_refused_on_create_and_edit(backend: Backend) {
    // Client credentials tokens act as the owner (RFC 6749 §4.4), so in the owner's
    // organization: an owner of another one would carry the tokens across (ASVS 8.2.2).
    let app = spawn_app(backend).await;
    let stranger = app.create_user("stranger", "a stranger's password", "backoffice", false);
    let other = other_organization(&app);
    diesel::update(tessera::db::schema::users::table.find(stranger.id))
        .set(tessera::db::schema::users::organization_id.eq(other))
        .execute(&mut *app.conn())
        .unwrap();
    let spec = ClientSpec::legacy(
        default_organization(&app),
        ClientName::parse("Crossing").unwrap(),
        Grants::parse(["client_credentials"]).unwrap(),
        Some(stranger.id),
        false,
    );
    let refused = clients::register(&mut app.conn(), &spec, None, &actor(), app.clock.now());
    assert!(
        matches!(refused, Err(ClientError::OwnerInOtherOrganization)),
        "create"
    );

    let existing = app
        .application("home")
        .grants(&["client_credentials"])
        .register();
    let mut moved = spec_of(&app, &existing);
    moved.owner_user_id = Some(stranger.id);
    let refused = clients::update(
        &mut app.conn(),
        existing.id,
        &moved,
        &actor(),
        app.clock.now(),
    );
    assert!(
        matches!(refused, Err(ClientError::OwnerInOtherOrganization)),
        "edit"
    );

    let csrf = app.signed_in_admin().await;
    let page = app
        .post_form(
            &format!("/admin/oauth-applications/{}/edit", existing.id),
            &[
                ("csrf_token", &csrf),
                ("name", "home"),
                ("grants", "client_credentials"),
                ("owner_user_id", &stranger.id.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status(), 200, "the form is shown again");
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("The owner must be a member of this organization.")
    );
}
both_backends!(an_owner_from_another_organization_is_refused_on_create_and_edit);

async fn refresh_and_the_bearer_guard_recheck_the_users_organization(backend: Backend) {
    // The password grant refuses a user of another organization; a refresh (RFC 6749 §6)
    // and a presented token (RFC 6750 §3.1) must too, even when nothing cut them off.
    let app = spawn_app(backend).await;
    let erp = app.application("erp").grants(&["password"]).register();
    let ann = app.user("ann", "backoffice");
    let tokens = password_grant(&app, &erp, "ann").await;
    let other = other_organization(&app);
    diesel::update(tessera::db::schema::users::table.find(ann.id))
        .set(tessera::db::schema::users::organization_id.eq(other))
        .execute(&mut *app.conn())
        .unwrap();
    let (status, body) =
        error_of(refresh(&app, &erp, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!((status, str_of(&body, "error")), (400, "invalid_grant"));
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401
    );
}
both_backends!(refresh_and_the_bearer_guard_recheck_the_users_organization);

async fn changing_a_users_organization_or_kind_cuts_off_their_tokens_even_after_changing_back(
    backend: Backend,
) {
    // ASVS 10.4.9: tokens issued under the old facts end with them, as on disabling.
    let app = spawn_app(backend).await;
    let erp = app.application("erp").grants(&["password"]).register();
    let ann = app.user("ann", "backoffice");
    let home = default_organization(&app);
    let other = other_organization(&app);

    let tokens = password_grant(&app, &erp, "ann").await;
    tick(&app);
    move_user(&app, &ann, UserKind::Backoffice, other);
    move_user(&app, &ann, UserKind::Backoffice, home);
    tick(&app);
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401,
        "organization: access token"
    );
    let (status, _) = error_of(refresh(&app, &erp, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!(status, 400, "organization: refresh token");

    let tokens = password_grant(&app, &erp, "ann").await;
    tick(&app);
    move_user(&app, &ann, UserKind::Customer, home);
    move_user(&app, &ann, UserKind::Backoffice, home);
    tick(&app);
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401,
        "kind: access token"
    );
    let (status, _) = error_of(refresh(&app, &erp, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!(status, 400, "kind: refresh token");

    let untouched = password_grant(&app, &erp, "ann").await;
    tick(&app);
    let renamed = user_model::get(&mut app.conn(), ann.id).unwrap().unwrap();
    move_user(&app, &renamed, UserKind::Backoffice, home);
    assert_eq!(
        me(&app, "/api/me", str_of(&untouched, "access_token"))
            .await
            .status(),
        200,
        "an edit that changes neither keeps them"
    );
}
both_backends!(
    changing_a_users_organization_or_kind_cuts_off_their_tokens_even_after_changing_back
);

async fn a_new_owner_new_grants_or_a_flipped_frontend_flag_cut_off_the_applications_tokens(
    backend: Backend,
) {
    // ASVS 10.4.9: each change leaves no token acting under the old facts.
    let app = spawn_app(backend).await;
    let erp = app
        .application("erp")
        .grants(&["client_credentials", "password"])
        .register();
    app.user("ann", "backoffice");

    // A new owner: the client credentials token acted as the old one.
    let token = str_of(&client_credentials(&app, &erp).await, "access_token").to_owned();
    tick(&app);
    let heir = app.create_user("heir", "the heir's long password", "backoffice", false);
    let mut spec = spec_of(&app, &erp);
    spec.owner_user_id = Some(heir.id);
    update_client(&app, &erp, &spec);
    tick(&app);
    assert_eq!(me(&app, "/api/me", &token).await.status(), 401, "new owner");

    // Other grants: what was issued under the old ones ends, refresh tokens too.
    let tokens = password_grant(&app, &erp, "ann").await;
    tick(&app);
    spec.grants = Grants::parse(["password"]).unwrap();
    update_client(&app, &erp, &spec);
    tick(&app);
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401,
        "new grants"
    );
    let (status, _) = error_of(refresh(&app, &erp, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!(status, 400, "new grants: refresh token");

    // The frontend flag switched and back: still cut off.
    let tokens = password_grant(&app, &erp, "ann").await;
    tick(&app);
    let mut flipped = spec_of(&app, &erp);
    flipped.frontend = true;
    flipped.grants = Grants::parse(["password"]).unwrap();
    flipped.owner_user_id = None;
    update_client(&app, &erp, &flipped);
    update_client(&app, &erp, &spec);
    tick(&app);
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401,
        "frontend flag"
    );
    let (status, _) = error_of(refresh(&app, &erp, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!(status, 400, "frontend flag: refresh token");

    // A rename changes none of the facts: tokens keep working.
    let kept = str_of(&password_grant(&app, &erp, "ann").await, "access_token").to_owned();
    tick(&app);
    spec.name = ClientName::parse("erp renamed").unwrap();
    update_client(&app, &erp, &spec);
    assert_eq!(me(&app, "/api/me", &kept).await.status(), 200, "rename");
}
both_backends!(a_new_owner_new_grants_or_a_flipped_frontend_flag_cut_off_the_applications_tokens);

#[test]
fn the_command_line_refuses_an_owner_from_another_organization_with_a_clear_error() {
    use crate::cli::{tessera, text};
    let dir = tempfile::tempdir().unwrap();
    let password = [("TESSERA_USER_PASSWORD", "a stranger's password")];
    assert!(
        tessera(dir.path(), &["orgs", "create", "Other"], &[])
            .status
            .success()
    );
    let out = tessera(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "stranger",
            "--email",
            "s@example.com",
            "--org",
            "Other",
        ],
        &password,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = tessera(
        dir.path(),
        &[
            "clients",
            "create",
            "--name",
            "Crossing",
            "--grant",
            "client_credentials",
            "--owner",
            "stranger",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("The owner must be a member of this organization."),
        "{}",
        text(&out.stderr)
    );
}
