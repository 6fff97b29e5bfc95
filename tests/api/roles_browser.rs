//! An application manager in headless Chromium: one organization's grid, creating an
//! application, and no way to delete it. (ASVS 5.0 8.2.1: function-level authorization.)

use crate::helpers::*;
use crate::webdriver::{Browser, missing_browser};
use tessera::access::Role;
use tessera::clock::Clock;

const MANAGER: &str = "manager";
const PASSWORD: &str = "the manager's long password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_manager_sees_one_organization_creates_an_application_and_cannot_delete_it()
{
    if skip_when_missing(missing_browser()) {
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    let manager = app.create_user(MANAGER, PASSWORD, "backoffice", false);
    let own = manager.organization_id.expect("the default organization");
    let now = app.clock.now();
    tessera::roles::grant(
        &mut app.conn(),
        manager.id,
        own,
        Role::AppManager,
        &actor(),
        now,
    )
    .expect("granted");
    app.application("Local").organization(own).register();
    let other = app.organization("Other");
    // An owner must belong to the application's organization.
    let stranger = app.create_user("stranger", PASSWORD, "backoffice", false);
    {
        use diesel::prelude::*;
        use tessera::db::schema::users;
        diesel::update(users::table.find(stranger.id))
            .set(users::organization_id.eq(other))
            .execute(&mut app.conn())
            .expect("moved");
    }
    app.application("Foreign")
        .organization(other)
        .owner(stranger.id)
        .register();
    let browser = Browser::start().await;

    browser.goto(&app.url("/admin")).await;
    browser
        .type_into(&browser.find("#username").await, MANAGER)
        .await;
    browser
        .type_into(&browser.find("#password").await, PASSWORD)
        .await;
    browser
        .click(&browser.find("button[type=submit].primary").await)
        .await;
    browser.find("[data-testid=signed-in-user]").await;

    browser.goto(&app.url(APPLICATIONS)).await;
    browser.find("[data-testid=applications-grid]").await;
    assert_eq!(browser.count("[data-testid=application-row]").await, 1);
    let grid = browser.source().await;
    assert!(grid.contains("Local") && !grid.contains("Foreign"));
    assert_eq!(
        browser.count("select[name=organization]").await,
        0,
        "one organization, no filter"
    );
    assert_eq!(
        browser.count("a[href=\"/admin/organizations\"]").await,
        0,
        "no Organizations in the menu"
    );
    browser.screenshot("application-manager-grid.png").await;

    browser
        .click(&browser.find("[data-testid=create-application]").await)
        .await;
    // A service account: its one grant is client credentials.
    browser
        .click(&browser.find("[data-testid=type-service]").await)
        .await;
    browser
        .click(&browser.find("[data-testid=continue]").await)
        .await;
    browser
        .type_into(&browser.find("[data-testid=name]").await, "Managed")
        .await;
    browser
        .click(
            &browser
                .find(&format!("#owner_user_id option[value=\"{}\"]", manager.id))
                .await,
        )
        .await;
    browser
        .click(&browser.find("[data-testid=save]").await)
        .await;
    let client_id = browser
        .value(&browser.find("[data-testid=client-id]").await)
        .await;
    let created = app.find_application(&client_id).expect("created");
    assert_eq!(created.organization_id, own);

    browser.goto(&app.url(&application_path(created.id))).await;
    browser.find("[data-testid=status]").await;
    assert_eq!(
        browser.count("[data-testid=delete]").await,
        0,
        "no Delete button"
    );
    browser
        .screenshot("application-manager-no-delete.png")
        .await;
    browser
        .goto(&app.url(&application_action(created.id, "delete")))
        .await;
    assert!(browser.source().await.contains("Not allowed"));
    browser.quit().await;
    assert!(app.application_row(created.id).is_some(), "still there");
}
