//! An administrator in headless Chromium: sign in, create an application, read the secret
//! once, filter the grid, deactivate, delete.

use crate::helpers::*;
use crate::webdriver::{Browser, missing_browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_manages_an_application_in_a_real_browser() {
    if skip_when_missing(missing_browser()) {
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    app.create_user(ADMIN_USERNAME, ADMIN_PASSWORD, "backoffice", true);
    let owner = app.create_user("robot-owner", "owner's long password", "backoffice", false);
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
    let who = browser.find("[data-testid=signed-in-user]").await;
    assert_eq!(browser.text(&who).await, ADMIN_USERNAME);

    browser.goto(&app.url(APPLICATIONS)).await;
    browser
        .click(&browser.find("[data-testid=create-application]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=type-service]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=continue]").await)
        .await;
    browser
        .type_into(&browser.find("[data-testid=name]").await, "Browser robot")
        .await;
    browser
        .click(
            &browser
                .find(&format!("#owner_user_id option[value=\"{}\"]", owner.id))
                .await,
        )
        .await;
    // The secret goes to the owner by default; this administrator takes it now.
    browser
        .click(&browser.find("[data-testid=deliver-show]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=save]").await)
        .await;

    let secret_field = browser.find("[data-testid=client-secret]").await;
    let secret = browser.value(&secret_field).await;
    let client_id = browser
        .value(&browser.find("[data-testid=client-id]").await)
        .await;
    assert!(
        secret.starts_with("tsk_"),
        "the secret is on the page once: {secret}"
    );
    browser.screenshot("one-time-secret.png").await;

    // Coming back to the page (and to every other page) no longer shows it.
    browser.goto(&browser.current_url().await).await;
    browser.find("[data-testid=continue]").await;
    assert!(!browser.source().await.contains(&secret));

    browser.goto(&app.url(APPLICATIONS)).await;
    browser
        .type_into(&browser.find("[data-testid=filter-name]").await, "ROBOT")
        .await;
    browser
        .click(&browser.find("[data-testid=apply-filters]").await)
        .await;
    browser.find("[data-testid=applications-grid]").await;
    assert_eq!(browser.count("[data-testid=application-row]").await, 1);
    let grid = browser.source().await;
    assert!(grid.contains(&client_id) && !grid.contains(&secret));
    assert!(
        browser.current_url().await.contains("name=ROBOT"),
        "the filter is bookmarkable"
    );
    browser.screenshot("applications-grid.png").await;

    browser
        .click(&browser.find("details.more summary").await)
        .await;
    browser
        .click(&browser.find("details.more a[href$=\"/deactivate\"]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=confirm]").await)
        .await;
    let status = browser.find("[data-testid=status]").await;
    assert_eq!(browser.text(&status).await, "Inactive");

    browser
        .click(&browser.find("[data-testid=delete]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=confirm]").await)
        .await;
    let flash = browser.find("[data-testid=flash]").await;
    assert_eq!(browser.text(&flash).await, "Deleted Browser robot.");
    assert!(app.find_application(&client_id).is_none());

    browser.quit().await;
}
