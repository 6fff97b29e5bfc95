//! An administrator edits a notice template in headless Chromium with the preview beside the
//! form, and saves it (ASVS 6.5.2: the preview shows sample values, never real data).

use crate::helpers::*;
use crate::webdriver::{Browser, missing_browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_edits_a_template_with_the_preview_beside_it_in_a_real_browser() {
    if let Some(why) = missing_browser() {
        eprintln!("skipped: {why}");
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    app.create_user(ADMIN_USERNAME, ADMIN_PASSWORD, "backoffice", true);
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

    browser.goto(&app.url("/admin/emails/templates")).await;
    browser
        .click(
            &browser
                .find("[data-testid=template-application_deactivated-en]")
                .await,
        )
        .await;
    let shipped = browser.find("[data-testid=preview-subject]").await;
    assert_eq!(
        browser.text(&shipped).await,
        "OAuth application on your account deactivated"
    );
    browser
        .type_into(
            &browser.find("#subject").await,
            "Switched off: {{ application }}",
        )
        .await;
    browser
        .click(&browser.find("[data-testid=preview]").await)
        .await;
    // The answer to Preview is the same page: wait until it shows the typed subject.
    let mut shown = false;
    for _ in 0..100 {
        if browser
            .source()
            .await
            .contains("data-testid=\"preview-subject\">Switched off: Sample application<")
        {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        shown,
        "the preview shows the typed subject with sample values"
    );
    assert_eq!(browser.count("[data-testid=preview-html]").await, 1);
    browser.screenshot("notice-template-preview.png").await;

    browser
        .click(&browser.find("[data-testid=save]").await)
        .await;
    let flash = browser.find("[data-testid=flash]").await;
    assert!(browser.text(&flash).await.starts_with("Saved the"));
    let origin = browser.find("[data-testid=template-origin]").await;
    assert!(browser.text(&origin).await.starts_with("Saved by admin"));
    browser.screenshot("notice-template-saved.png").await;
    browser.quit().await;
}
