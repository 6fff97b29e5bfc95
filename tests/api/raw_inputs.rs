//! Input actix cannot extract gets Tessera's own answers, never a plain-text default: a
//! styled page for people, RFC 6749 §5.2 JSON at `/oauth2-*`, 403 for a form without its
//! CSRF field (ASVS 3.5.1), and a sign-in redirect for anonymous requests to any
//! back-office address (RFC 9700 §4.12 for the 303).

use crate::both_backends;
use crate::helpers::*;

fn is_styled_page(content_type: &str, body: &str) -> bool {
    content_type.starts_with("text/html") && body.contains("<html") && body.contains("</html>")
}

async fn styled(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        is_styled_page(&content_type, &body),
        "{status} {content_type}: {body}"
    );
    (status, body)
}

async fn a_repeated_or_malformed_grid_parameter_gets_the_styled_400_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    for query in [
        "name=a&name=b",
        "page=1&page=2",
        "per_page=%FF%FE&per_page=1",
    ] {
        let (status, body) =
            styled(app.get(&format!("/admin/oauth-applications?{query}")).await).await;
        assert_eq!(status, 400, "{query}");
        assert!(body.contains("Bad request"), "{query}");
    }
    let (status, _) = styled(app.get("/admin/users/not-a-number").await).await;
    assert_eq!(status, 404, "a path of the wrong type names nothing");
}
both_backends!(a_repeated_or_malformed_grid_parameter_gets_the_styled_400_page);

async fn a_back_office_form_without_its_csrf_field_is_refused_with_a_styled_403(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let (status, body) = styled(
        app.post_form("/admin/organizations", &[("name", "Acme")])
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("Form expired"));
    let (status, _) = styled(app.post_form("/admin/logout", &[]).await).await;
    assert_eq!(status, 403, "a form of nothing but the CSRF field");
    let (status, _) = styled(
        reqwest::Client::new()
            .post(app.url("/admin/login"))
            .form(&[("username", "a"), ("password", "b")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "the sign-in form");
}
both_backends!(a_back_office_form_without_its_csrf_field_is_refused_with_a_styled_403);

async fn anonymous_gets_on_post_only_back_office_addresses_go_to_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/admin/logout",
        "/admin/oauth-applications/1/activate",
        "/admin/oauth-applications/1/delete",
        "/admin/users/1/enable",
        "/admin/notifications/1/retry",
        "/admin/organizations/1/edit",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/admin/login", "{path}");
    }
}
both_backends!(anonymous_gets_on_post_only_back_office_addresses_go_to_sign_in);

async fn the_name_filter_folds_case_beyond_ascii_and_sorts_alike_on_both_databases(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    for name in ["Ärzte Portal", "zahnärzte", "Apotheke", "ÖKO"] {
        app.application(name).grants(&["password"]).register();
    }
    let page = app
        .get("/admin/oauth-applications?name=%C3%A4rzte&sort=name")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Ärzte Portal") && page.contains("zahnärzte"),
        "ärzte finds Ärzte"
    );
    assert!(!page.contains("Apotheke"));
    let page = app
        .get("/admin/oauth-applications?name=%C3%B6ko")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("ÖKO"), "öko finds ÖKO");
    let page = app
        .get("/admin/oauth-applications?sort=name")
        .await
        .text()
        .await
        .unwrap();
    let at = |name: &str| page.find(name).unwrap_or_else(|| panic!("{name} listed"));
    assert!(
        at("Apotheke") < at("zahnärzte")
            && at("zahnärzte") < at("Ärzte Portal")
            && at("Ärzte Portal") < at("ÖKO"),
        "folded names sort by code point on both databases"
    );
}
both_backends!(the_name_filter_folds_case_beyond_ascii_and_sorts_alike_on_both_databases);

/// RFC 8414 §3.3 and RFC 9068 §4: the issuer is compared as a string, so a configured
/// trailing slash stays in `iss` and in the metadata, and tokens carrying it verify.
#[tokio::test]
async fn a_trailing_slash_in_the_issuer_is_kept_exactly() {
    use crate::oauth_support::{client_credentials, jwt_part, me, str_of};
    let app = TestApp::builder(Backend::Sqlite)
        .setting("TESSERA_ISSUER", "http://tessera.test/")
        .spawn()
        .await;
    let erp = app.back_office_app();
    let token = client_credentials(&app, &erp).await;
    let token = str_of(&token, "access_token");
    assert_eq!(jwt_part(token, 1)["iss"], "http://tessera.test/");
    assert_eq!(me(&app, "/api/me", token).await.status(), 200);
    let metadata: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], "http://tessera.test/");
}
