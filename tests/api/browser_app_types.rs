//! In headless Chromium: a web application with two redirect URIs and two scopes from two
//! categories, a second secret, and the first one disabled.

use crate::helpers::*;
use crate::webdriver::{Browser, missing_browser};
use tessera::clock::Clock;
use tessera::domain::{CategoryName, ScopeDescription, ScopeToken};
use tessera::scopes::{self, ScopeSpec};

fn catalog_scope(app: &TestApp, name: &str, category: &str, description: &str) {
    scopes::create(
        &mut app.conn(),
        &ScopeSpec {
            name: ScopeToken::parse(name).unwrap(),
            category: CategoryName::parse(category).unwrap(),
            description: ScopeDescription::parse(description).unwrap(),
        },
        &actor(),
        app.clock.now(),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_registers_a_web_application_and_rotates_its_secret_in_a_real_browser() {
    if let Some(why) = missing_browser() {
        eprintln!("skipped: {why}");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    app.create_user(ADMIN_USERNAME, ADMIN_PASSWORD, "backoffice", true);
    catalog_scope(&app, "orders:read", "Orders", "See your orders");
    catalog_scope(
        &app,
        "customers:read",
        "Customers",
        "See your customer profile",
    );
    catalog_scope(&app, "orders:write", "Orders", "Place orders for you");
    let browser = Browser::start().await;

    browser.goto(&app.url("/admin")).await;
    browser
        .type_into(&browser.find("#username").await, ADMIN_USERNAME)
        .await;
    browser
        .type_into(&browser.find("#password").await, ADMIN_PASSWORD)
        .await;
    browser
        .click(&browser.find("button[type=submit].primary").await)
        .await;
    browser.find("[data-testid=signed-in-user]").await;

    browser
        .goto(&app.url("/admin/oauth-applications/new"))
        .await;
    browser
        .click(&browser.find("[data-testid=type-web]").await)
        .await;
    browser.screenshot("app-type-choice.png").await;
    browser
        .click(&browser.find("[data-testid=continue]").await)
        .await;
    browser
        .type_into(&browser.find("[data-testid=name]").await, "Storefront")
        .await;
    assert_eq!(
        browser.count("[data-testid=origins]").await,
        0,
        "a web application has no JavaScript origins"
    );
    browser
        .type_into(
            &browser.find("[data-testid=redirect-uris]").await,
            "https://shop.example/callback\nhttp://127.0.0.1/callback",
        )
        .await;
    browser
        .click(&browser.find("[data-testid=scope-orders\\:read]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=scope-customers\\:read]").await)
        .await;
    // Without an owner there is nobody to send the secret to: shown now.
    browser
        .click(&browser.find("[data-testid=deliver-show]").await)
        .await;
    browser.screenshot("web-application-form.png").await;
    browser
        .click(&browser.find("[data-testid=save]").await)
        .await;

    let first = browser
        .value(&browser.find("[data-testid=client-secret]").await)
        .await;
    assert!(first.starts_with("tsk_"));
    browser.click(&browser.find("a.button.primary").await).await;
    let uris = browser
        .text(&browser.find("[data-testid=redirect-uris]").await)
        .await;
    assert!(
        uris.contains("https://shop.example/callback")
            && uris.contains("http://127.0.0.1/callback"),
        "{uris}"
    );
    let scopes = browser
        .text(&browser.find("[data-testid=scopes]").await)
        .await;
    assert_eq!(scopes, "customers:read, orders:read");
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=app-type]").await)
            .await,
        "Web application"
    );

    browser
        .click(&browser.find("[data-testid=new-secret]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=expire-7d]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=add-secret]").await)
        .await;
    let second = browser
        .value(&browser.find("[data-testid=client-secret]").await)
        .await;
    assert!(second.starts_with("tsk_") && second != first);
    browser.screenshot("second-secret.png").await;
    browser.click(&browser.find("a.button.primary").await).await;
    assert_eq!(browser.count("[data-testid=secrets] tbody tr").await, 2);

    browser
        .click(
            &browser
                .find(&format!("[data-testid=disable-{}]", &first[..8]))
                .await,
        )
        .await;
    browser
        .click(&browser.find("[data-testid=confirm]").await)
        .await;
    let flash = browser
        .text(&browser.find("[data-testid=flash]").await)
        .await;
    assert_eq!(
        flash,
        format!("Disabled the secret {}… of Storefront.", &first[..8])
    );
    let row = browser
        .text(
            &browser
                .find(&format!("[data-testid=secret-{}]", &first[..8]))
                .await,
        )
        .await;
    assert!(row.contains("Disabled"), "{row}");
    let page = browser.source().await;
    assert!(
        !page.contains(&first) && !page.contains(&second),
        "secrets are shown once only"
    );
    browser.screenshot("secrets-after-disable.png").await;
    browser.quit().await;
}
