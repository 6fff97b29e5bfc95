//! In headless Chromium: an administrator creates an application for a customer and sends
//! its credentials to the owner; the customer opens the link from the message the SMTP
//! server received, signs in, collects the secret and copies it (ASVS 5.0 V2.7: the secret
//! travels out of band, once, to the person it belongs to).

use crate::credentials_delivery::{link_in_message, mailing_app};
use crate::helpers::*;
use crate::oauth_support::client_credentials;
use crate::webdriver::{Browser, missing_browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_collects_and_copies_the_secret_an_administrator_sent_in_a_real_browser() {
    if skip_when_missing(missing_browser()) {
        return;
    }
    let (app, sink) = mailing_app(Backend::Sqlite).await;
    let customer = app.create_user("owner", OWNER_PASSWORD, "customer", false);
    let browser = Browser::start().await;

    browser.goto(&app.url("/admin")).await;
    browser.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    browser.find("[data-testid=signed-in-user]").await;
    let form = format!("{NEW_APPLICATION}?type=service");
    browser.goto(&app.url(&form)).await;
    browser.fill("[data-testid=name]", "Storefront sync").await;
    let owner = format!("#owner_user_id option[value=\"{}\"]", customer.id);
    browser.press(&owner).await;
    browser.press("input[name=frontend]").await;
    let send = browser.find("[data-testid=deliver-owner]").await;
    assert_eq!(
        browser.attribute(&send, "checked").await,
        "true",
        "sending to the owner is the default when the owner is someone else"
    );
    browser.screenshot("collect-create-form.png").await;
    browser.press("[data-testid=save]").await;
    let waiting = browser.find("[data-testid=credentials-waiting]").await;
    let notice = browser.text(&waiting).await;
    assert!(notice.contains("Credentials not yet collected"), "{notice}");
    browser.screenshot("collect-application-waiting.png").await;

    // The customer opens the link of the message, signs in, and collects.
    let (link, _) = link_in_message(&sink, 1).await;
    browser.goto(&app.url(&link)).await;
    browser.find("[data-testid=sign-in-title]").await;
    browser.sign_in("owner", OWNER_PASSWORD).await;
    browser.find("[data-testid=collect]").await;
    browser.screenshot("collect-ready.png").await;
    browser.press("[data-testid=collect]").await;

    let secret = browser
        .value(&browser.find("[data-testid=client-secret]").await)
        .await;
    assert!(secret.starts_with("tsk_"), "{secret}");
    let copy = browser.find("[data-testid=copy-client-secret]").await;
    let target = browser.attribute(&copy, "data-copy").await;
    let copied = browser
        .value(&browser.find(&format!("#{target}")).await)
        .await;
    assert_eq!(copied, secret, "Copy copies the secret");
    browser.click(&copy).await;
    browser.screenshot("collect-secret.png").await;

    let client_id = browser
        .value(&browser.find("[data-testid=client-id]").await)
        .await;
    let row = app.find_application(&client_id).expect("the application");
    let id = row.id;
    client_credentials(&app, &TestClient::new(row, secret.clone())).await;

    // Once only; and the administrator never sees it.
    browser.goto(&app.url(&link)).await;
    browser.find("[data-testid=authorize-error]").await;
    assert!(browser.source().await.contains("This link does not work"));
    browser.screenshot("collect-used-link.png").await;
    browser.goto(&app.url(&application_path(id))).await;
    browser.find("[data-testid=secrets]").await;
    assert!(!browser.source().await.contains(&secret));

    browser.quit().await;
}
