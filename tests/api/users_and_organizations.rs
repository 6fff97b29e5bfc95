//! Users and organizations in the back-office, and what disabling or resetting a user does.

use crate::both_backends;
use crate::helpers::*;

async fn a_users_page_lists_their_applications_and_prefills_the_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let row = app.application("Owned").create_in_back_office().await;
    let owner_id = row.owner_user_id.unwrap();
    let page = app
        .get(&format!("/admin/users/{owner_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Owned"));
    assert!(page.contains(&format!("{NEW_APPLICATION}?owner={owner_id}")));
    let chooser = app
        .get(&format!("{NEW_APPLICATION}?owner={owner_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        chooser.contains(&format!("name=\"owner\" value=\"{owner_id}\"")),
        "the owner goes through the type choice"
    );
    let form = app
        .get(&format!("{NEW_APPLICATION}?type=service&owner={owner_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains(&format!("<option value=\"{owner_id}\" selected>")));
    let me = app.existing_user(ADMIN_USERNAME);
    let mine = app
        .get(&format!("{APPLICATIONS}?owner={}", me.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(mine.contains("My OAuth applications"));
    assert!(mine.contains("No OAuth applications match these filters."));
}
both_backends!(a_users_page_lists_their_applications_and_prefills_the_owner);

async fn administrators_create_and_edit_users_with_inline_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let bad = app
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", &csrf),
                ("username", "a b"),
                ("email", "nope"),
                ("kind", "customer"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 200);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("A username may use letters, digits and . _ - @ only."));
    assert!(bad.contains("Enter an email address like name@example.com."));
    assert!(bad.contains("A password has at least 8 characters."));
    let created = app
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", &csrf),
                ("username", "Carol"),
                ("email", "carol@example.com"),
                ("full_name", "Carol C"),
                ("kind", "customer"),
                ("password", "carol's password"),
                ("password_confirm", "carol's password"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let carol = app.existing_user("carol");
    assert_eq!(carol.kind, "customer");
    assert!(carol.password_hash.starts_with("$argon2id$"));
    let taken = app
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", &csrf),
                ("username", "carol"),
                ("email", "c2@example.com"),
                ("kind", "customer"),
                ("password", "carol's password"),
                ("password_confirm", "carol's password"),
            ],
        )
        .await;
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("This username is taken.")
    );
    let edited = app
        .post_form(
            &user_action(carol.id, "edit"),
            &[
                ("csrf_token", &csrf),
                ("email", "new@example.com"),
                ("full_name", ""),
                ("kind", "customer"),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let carol = app.user_row(carol.id);
    assert_eq!(carol.email, "new@example.com");
    let users = app.get("/admin/users").await.text().await.unwrap();
    assert!(users.contains("carol") && users.contains("Customer"));
    let me = app.existing_user(ADMIN_USERNAME);
    let demoted = app
        .post_form(
            &user_action(me.id, "edit"),
            &[
                ("csrf_token", &csrf),
                ("email", "admin@example.com"),
                ("kind", "backoffice"),
            ],
        )
        .await;
    assert!(
        demoted
            .text()
            .await
            .unwrap()
            .contains("You cannot take away your own administrator access.")
    );
    assert!(app.user_row(me.id).is_admin);
}
both_backends!(administrators_create_and_edit_users_with_inline_errors);

async fn disabling_a_user_ends_their_sessions_and_cuts_off_their_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user("second", "second's long password", "backoffice", true);
    let other = app
        .another_session("second", "second's long password")
        .await;
    assert_eq!(other.get("/admin").await.status(), 200);

    let csrf = app.signed_in_admin().await;
    let second = app.existing_user("second");
    assert_eq!(
        app.get(&user_action(second.id, "disable")).await.status(),
        200
    );
    let done = app
        .post_form(&user_action(second.id, "disable"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        other.get("/admin").await.status(),
        303,
        "their session is gone"
    );
    let second = app.user_row(second.id);
    assert!(!second.enabled && second.tokens_revoked_before.is_some());

    let me = app.existing_user(ADMIN_USERNAME);
    let myself = app
        .post_form(&user_action(me.id, "disable"), &[("csrf_token", &csrf)])
        .await;
    let page = app.get(&location(&myself)).await.text().await.unwrap();
    assert!(page.contains("You cannot disable your own account."));
}
both_backends!(disabling_a_user_ends_their_sessions_and_cuts_off_their_tokens);

async fn a_new_password_ends_the_users_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = app.create_user("second", "second's long password", "backoffice", true);
    let other = app
        .another_session("second", "second's long password")
        .await;
    assert_eq!(other.get("/admin").await.status(), 200);

    let csrf = app.signed_in_admin().await;
    let reset = app
        .post_form(
            &user_action(second.id, "edit"),
            &[
                ("csrf_token", &csrf),
                ("email", "second@example.com"),
                ("kind", "backoffice"),
                ("is_admin", "on"),
                ("password", "a brand new password"),
                ("password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(reset.status(), 303);
    assert_eq!(
        other.get("/admin").await.status(),
        303,
        "signed out by the reset"
    );
    let second = app.user_row(second.id);
    assert!(
        second.tokens_revoked_before.is_some(),
        "tokens acting as the user are cut off"
    );
    assert_eq!(
        app.sign_in("second", "a brand new password").await.status(),
        303
    );
}
both_backends!(a_new_password_ends_the_users_sessions);

async fn organizations_are_created_and_renamed_with_unique_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    assert_eq!(
        app.post_form(
            "/admin/organizations",
            &[("csrf_token", &csrf), ("name", "Acme")]
        )
        .await
        .status(),
        303
    );
    let dup = app
        .post_form(
            "/admin/organizations",
            &[("csrf_token", &csrf), ("name", "Acme")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(dup.contains("An organization with this name already exists."));
    let acme = tessera::db::models::organization::find_by_name(&mut app.conn(), "Acme")
        .unwrap()
        .unwrap();
    app.post_form(
        &format!("/admin/organizations/{}/edit", acme.id),
        &[("csrf_token", &csrf), ("name", "Acme Corp")],
    )
    .await;
    assert_eq!(
        tessera::db::models::organization::get(&mut app.conn(), acme.id)
            .unwrap()
            .unwrap()
            .name,
        "Acme Corp"
    );
    let form = app
        .get(&format!("{NEW_APPLICATION}?type=web"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("name=\"organization_id\""),
        "with two organizations the form asks which"
    );
    let missing = create_via_form(&app, &[("name", "Where"), ("grants", "password")])
        .await
        .text()
        .await
        .unwrap();
    assert!(missing.contains("Choose an organization."));
}
both_backends!(organizations_are_created_and_renamed_with_unique_names);
