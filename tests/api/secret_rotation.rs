//! Client-secret rotation in the back-office and its effect at the authorization server.

use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use chrono::TimeDelta;
use tessera::audit::AuditAction;
use tessera::db::models::{client_secret, mail_outbox};

fn input_value(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in page"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Adds a secret through the back-office and returns it as the one-time page shows it.
async fn add_secret(app: &TestApp, csrf: &str, client: &TestClient, expire_old: &str) -> String {
    let response = app
        .post_form(
            &format!("/admin/oauth-applications/{}/secrets", client.id),
            &[("csrf_token", csrf), ("expire_old", expire_old)],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "cache-control"),
        "no-store",
        "the secret's page is never stored"
    );
    let html = response.text().await.unwrap();
    input_value(&html, "client_secret")
}

fn with_secret(client: &TestClient, secret: &str) -> TestClient {
    client.with_secret(secret)
}

async fn status_with(app: &TestApp, client: &TestClient, secret: &str) -> u16 {
    token_request(
        app,
        &with_secret(client, secret),
        &[("grant_type", "client_credentials")],
    )
    .await
    .status()
    .as_u16()
}

async fn two_secrets_both_work_and_the_old_one_is_refused_once_its_expiry_passes_rfc_6749_section_2_3_1(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = app.back_office_app();
    let second = add_secret(&app, &csrf, &client, "1d").await;
    assert!(second.starts_with("tsk_") && second != client.secret);
    assert_eq!(
        status_with(&app, &client, &client.secret).await,
        200,
        "the old secret keeps working for a day"
    );
    assert_eq!(status_with(&app, &client, &second).await, 200);

    let page = app
        .get(&format!("/admin/oauth-applications/{}", client.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&second[..8]) && page.contains(&client.secret[..8]),
        "both prefixes are listed"
    );
    assert!(page.contains("Active until it expires"));
    assert!(
        !page.contains(&second) && !page.contains(&client.secret),
        "never the secrets themselves"
    );

    app.clock
        .advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    let (status, body) =
        error_of(token_request(&app, &client, &[("grant_type", "client_credentials")]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "expired is refused like a wrong secret"
    );
    assert_eq!(status_with(&app, &client, &second).await, 200);
    app.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await; // the day outlasted the session
    let page = app
        .get(&format!("/admin/oauth-applications/{}", client.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Expired"));
}
both_backends!(
    two_secrets_both_work_and_the_old_one_is_refused_once_its_expiry_passes_rfc_6749_section_2_3_1
);

async fn a_disabled_secret_is_refused_at_once_at_the_token_revocation_and_introspection_endpoints(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = app.back_office_app();
    let second = add_secret(&app, &csrf, &client, "never").await;
    let token = client_credentials(&app, &client).await;
    let access = str_of(&token, "access_token").to_owned();
    let first = client_secret::list_for_client(&mut app.conn(), client.id)
        .unwrap()
        .into_iter()
        .find(|s| client.secret.starts_with(&s.prefix))
        .unwrap();

    let confirm = app
        .get(&format!(
            "/admin/oauth-applications/{}/secrets/{}/disable",
            client.id, first.id
        ))
        .await;
    assert_eq!(confirm.status(), 200);
    assert!(
        confirm
            .text()
            .await
            .unwrap()
            .contains("refused from the moment you confirm")
    );
    let done = app
        .post_form(
            &format!(
                "/admin/oauth-applications/{}/secrets/{}/disable",
                client.id, first.id
            ),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(done.status(), 303);

    assert_eq!(status_with(&app, &client, &client.secret).await, 401);
    for path in ["/oauth2-revoke", "/oauth2-introspect"] {
        let refused = post_as(&app, path, &client, &[("token", &access)]).await;
        assert_eq!(refused.status(), 401, "{path}");
    }
    let fresh = with_secret(&client, &second);
    assert_eq!(status_with(&app, &client, &second).await, 200);
    let introspected = post_as(&app, "/oauth2-introspect", &fresh, &[("token", &access)]).await;
    assert_eq!(
        introspected.status(),
        200,
        "the other secret still introspects"
    );

    let secret_changes = [
        AuditAction::ClientSecretAdded,
        AuditAction::ClientSecretDisabled,
    ];
    let actions: Vec<_> = tessera::audit::history(&mut app.conn(), &secret_changes, client.id, 10)
        .unwrap()
        .into_iter()
        .map(|e| AuditAction::from_stored(&e.action))
        .collect();
    assert_eq!(
        actions,
        [
            Some(AuditAction::ClientSecretDisabled),
            Some(AuditAction::ClientSecretAdded)
        ]
    );
    let mails = mail_outbox::list_recent(&mut app.conn(), None, 20).unwrap();
    let notices: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.to_lowercase().contains("secret"))
        .collect();
    assert_eq!(notices.len(), 2, "one notice per change");
    for notice in notices {
        assert!(notice.body_text.contains("erp"), "names the application");
        assert!(!notice.body_text.contains(&client.secret) && !notice.body_text.contains(&second));
        assert!(!notice.body_html.contains(&client.secret) && !notice.body_html.contains(&second));
    }
    assert!(
        mails
            .iter()
            .any(|m| m.body_text.contains(&format!("({}…)", first.prefix))),
        "the notice names the secret by its prefix"
    );
}
both_backends!(
    a_disabled_secret_is_refused_at_once_at_the_token_revocation_and_introspection_endpoints
);

async fn an_application_holds_at_most_five_live_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = app.back_office_app();
    for _ in 0..4 {
        add_secret(&app, &csrf, &client, "never").await;
    }
    let sixth = app
        .post_form(
            &format!("/admin/oauth-applications/{}/secrets", client.id),
            &[("csrf_token", &csrf), ("expire_old", "never")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(sixth.contains("This application already has 5 working secrets: disable one first."));
    assert!(!sixth.contains("id=\"client_secret\""));
    assert_eq!(
        client_secret::list_for_client(&mut app.conn(), client.id)
            .unwrap()
            .len(),
        5
    );
}
both_backends!(an_application_holds_at_most_five_live_secrets);
