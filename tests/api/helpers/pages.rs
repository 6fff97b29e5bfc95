//! Where the back-office pages are, and reading what they answer.

/// The OAuth Applications grid.
pub const APPLICATIONS: &str = "/admin/oauth-applications";
/// The form that creates an application.
pub const NEW_APPLICATION: &str = "/admin/oauth-applications/new";
/// The form itself, for a web application (without a type the page asks for one).
pub const NEW_WEB_APPLICATION: &str = "/admin/oauth-applications/new?type=web";

/// The page of one application.
pub fn application_path(id: i64) -> String {
    format!("{APPLICATIONS}/{id}")
}

/// One of an application's actions: `edit`, `activate`, `deactivate`, `delete`.
pub fn application_action(id: i64, action: &str) -> String {
    format!("{APPLICATIONS}/{id}/{action}")
}

/// One of a user's pages: `edit`, `disable`.
pub fn user_action(id: i64, action: &str) -> String {
    format!("/admin/users/{id}/{action}")
}

/// System › Notifications, the mail outbox.
pub const NOTIFICATIONS: &str = "/admin/notifications";

/// Where the notice `id` is sent again.
pub fn notification_retry(id: i64) -> String {
    format!("{NOTIFICATIONS}/{id}/retry")
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_token(html: &str) -> String {
    hidden_field(html, "csrf_token").expect("a csrf_token field")
}

pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A `303 See Other` to `path`, the answer to every back-office form that succeeds.
#[track_caller]
pub fn assert_redirects_to(response: &reqwest::Response, path: &str) {
    assert_eq!(response.status(), 303, "a redirect to {path}");
    assert_eq!(location(response), path);
}
