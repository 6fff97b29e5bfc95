//! What the tests set up before they act: users, applications, and the changes the
//! back-office makes to them. Every call into Tessera's services goes through here.

use super::TestApp;
use super::pages::{NEW_APPLICATION, csrf_token, hidden_field};
use chrono::NaiveDateTime;
use tessera::audit::Actor;
use tessera::clients::{self, ClientSpec};
use tessera::clock::Clock;
use tessera::db::models::{client, organization, user::User};
use tessera::domain::{ClientName, Grants};

pub use tessera::clients::ClientError;

/// The organization every database starts with.
pub const DEFAULT_ORGANIZATION: &str = "Default";
/// Who makes the changes the fixtures make through the services.
pub const ACTOR: &str = "Ada Admin";
/// The password of every application owner a fixture creates.
pub const OWNER_PASSWORD: &str = "the owner's long password";
/// The password of every user `TestApp::user` creates.
pub const USER_PASSWORD: &str = "a user's long password";

/// The actor of the fixtures' changes: a named administrator without an address.
pub fn actor() -> Actor {
    Actor::anonymous(ACTOR, None)
}

/// A port nothing listens on now, for a server that is down and comes up later.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// An application as its developer knows it, with the one-time secret.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: i64,
    pub client_id: String,
    pub secret: String,
    pub owner_user_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl TestClient {
    pub fn new(row: client::Client, secret: String) -> Self {
        Self {
            id: row.id,
            client_id: row.client_id,
            secret,
            owner_user_id: row.owner_user_id,
            created_at: row.created_at,
        }
    }

    /// The same application presenting another secret.
    pub fn with_secret(&self, secret: &str) -> Self {
        Self {
            secret: secret.to_owned(),
            ..self.clone()
        }
    }
}

/// Who owns an application the fixture makes.
enum Owner {
    /// A fresh user named after the application, of the kind its frontend flag asks for.
    Named,
    User(i64),
    Nobody,
}

/// An application to make, through the service (`register`) or the back-office form
/// (`create_in_back_office`). By default: active, both grants, a back-office application in
/// the default organization, owned by a fresh user named after it (`erp-owner` for `erp`,
/// `alpha-shop-owner` for `Alpha Shop`) with `OWNER_PASSWORD`.
pub struct ApplicationFixture<'a> {
    app: &'a TestApp,
    name: String,
    grants: Vec<String>,
    frontend: bool,
    owner: Owner,
    organization_id: Option<i64>,
}

impl ApplicationFixture<'_> {
    pub fn grants(mut self, grants: &[&str]) -> Self {
        self.grants = grants.iter().map(|g| (*g).to_owned()).collect();
        self
    }

    pub fn frontend(mut self) -> Self {
        self.frontend = true;
        self
    }

    pub fn owner(mut self, user_id: i64) -> Self {
        self.owner = Owner::User(user_id);
        self
    }

    pub fn without_owner(mut self) -> Self {
        self.owner = Owner::Nobody;
        self
    }

    pub fn organization(mut self, organization_id: i64) -> Self {
        self.organization_id = Some(organization_id);
        self
    }

    /// The owner's username when the fixture makes one: the name in lower case, with a `-`
    /// for each character other than a letter or a digit.
    fn owner_username(&self) -> String {
        let slug: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("{slug}-owner")
    }

    fn owner_id(&self) -> Option<i64> {
        match self.owner {
            Owner::Named => {
                let kind = if self.frontend {
                    "customer"
                } else {
                    "backoffice"
                };
                let username = self.owner_username();
                Some(
                    self.app
                        .create_user(&username, OWNER_PASSWORD, kind, false)
                        .id,
                )
            }
            Owner::User(id) => Some(id),
            Owner::Nobody => None,
        }
    }

    fn spec(&self, owner_user_id: Option<i64>) -> ClientSpec {
        let organization_id = self.organization_id.unwrap_or_else(|| {
            organization::find_by_name(&mut self.app.conn(), DEFAULT_ORGANIZATION)
                .expect("query")
                .expect("the default organization")
                .id
        });
        ClientSpec::legacy(
            organization_id,
            ClientName::parse(&self.name).expect("a valid name"),
            Grants::parse(self.grants.iter().map(String::as_str)).expect("grants"),
            owner_user_id,
            self.frontend,
        )
    }

    /// Registers the application through the service, as the back-office does, and wakes
    /// the mail worker for the owner's notice.
    pub fn try_register(self) -> Result<TestClient, ClientError> {
        let spec = self.spec(self.owner_id());
        let now = self.app.clock.now();
        let (row, secret) = clients::register(&mut self.app.conn(), &spec, None, &actor(), now)?;
        self.app.state.mail_queued();
        Ok(TestClient::new(
            row,
            secret.map(|s| s.expose().to_owned()).unwrap_or_default(),
        ))
    }

    pub fn register(self) -> TestClient {
        self.try_register().expect("the application is registered")
    }

    /// Gives the existing application `id` this name, grants and owner, through the service.
    pub fn update(self, id: i64) {
        let current = client::get(&mut self.app.conn(), id).expect("query");
        let spec = ClientSpec {
            active: current.is_some_and(|c| c.active),
            ..self.spec(self.owner_id())
        };
        let now = self.app.clock.now();
        clients::update(&mut self.app.conn(), id, &spec, &actor(), now).expect("updated");
        self.app.state.mail_queued();
    }

    /// Creates the application through the form of the signed-in administrator.
    pub async fn create_in_back_office(self) -> TestClient {
        let owner = self.owner_id().map(|id| id.to_string());
        let mut fields = vec![("name", self.name.as_str()), ("active", "on")];
        fields.extend(self.grants.iter().map(|g| ("grants", g.as_str())));
        if self.frontend {
            fields.push(("frontend", "on"));
        }
        if let Some(owner) = &owner {
            fields.push(("owner_user_id", owner));
        }
        let organization = self.organization_id.map(|id| id.to_string());
        if let Some(organization) = &organization {
            fields.push(("organization_id", organization));
        }
        let response = create_via_form(self.app, &fields).await;
        assert_eq!(response.status(), 200, "the one-time secret page");
        let html = response.text().await.expect("body");
        let client_id = input_value(&html, "client_id");
        let secret = input_value(&html, "client_secret");
        let row = self
            .app
            .find_application(&client_id)
            .expect("the new application");
        TestClient::new(row, secret)
    }
}

/// Fills and submits the create form the way a browser would, after choosing the type the
/// fields name (`app_type`, a service account when they name none).
pub async fn create_via_form(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let kind = fields
        .iter()
        .find(|(k, _)| *k == "app_type")
        .map_or("service", |(_, v)| *v);
    let page = app
        .get(&format!("{NEW_APPLICATION}?type={kind}"))
        .await
        .text()
        .await
        .expect("body");
    let mut form = vec![
        ("csrf_token".to_owned(), csrf_token(&page)),
        (
            "creation_key".to_owned(),
            hidden_field(&page, "creation_key").expect("a creation key"),
        ),
    ];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.http
        .post(app.url(NEW_APPLICATION))
        .form(&form)
        .send()
        .await
        .expect("POST")
}

/// The value of the input with this id in a page.
pub fn input_value(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in page"))
        + marker.len();
    let end = html[start..].find('"').expect("a closing quote");
    html[start..start + end].to_owned()
}

impl TestApp {
    /// An application to make; see `ApplicationFixture`.
    pub fn application(&self, name: &str) -> ApplicationFixture<'_> {
        ApplicationFixture {
            app: self,
            name: name.to_owned(),
            grants: vec!["client_credentials".into(), "password".into()],
            frontend: false,
            owner: Owner::Named,
            organization_id: None,
        }
    }

    /// The back-office application "erp" with both grants, owned by `erp-owner`.
    pub fn back_office_app(&self) -> TestClient {
        self.application("erp").register()
    }

    /// A user of this kind with `USER_PASSWORD`, created the first time it is asked for.
    pub fn user(&self, username: &str, kind: &str) -> User {
        let found =
            tessera::db::models::user::find_by_username(&mut self.conn(), username).expect("query");
        found.unwrap_or_else(|| self.create_user(username, USER_PASSWORD, kind, false))
    }

    /// A user that must exist already.
    pub fn existing_user(&self, username: &str) -> User {
        tessera::db::models::user::find_by_username(&mut self.conn(), username)
            .expect("query")
            .unwrap_or_else(|| panic!("no user {username}"))
    }

    /// The user's row as it is now.
    pub fn user_row(&self, id: i64) -> User {
        tessera::db::models::user::get(&mut self.conn(), id)
            .expect("query")
            .expect("the user")
    }

    /// Turns only the user's enabled flag off, in the database; the service does more.
    pub fn disable_user(&self, id: i64) {
        self.set_user_enabled(id, false);
    }

    pub fn enable_user(&self, id: i64) {
        self.set_user_enabled(id, true);
    }

    fn set_user_enabled(&self, id: i64, enabled: bool) {
        let now = self.clock.now();
        let mut conn = self.conn();
        let changed = if enabled {
            tessera::users::enable(&mut conn, id, &actor(), now)
        } else {
            tessera::users::disable(&mut conn, id, &actor(), now)
        };
        changed.expect("changed");
    }

    pub fn deactivate_application(&self, id: i64) {
        self.set_application_active(id, false);
    }

    pub fn activate_application(&self, id: i64) {
        self.set_application_active(id, true);
    }

    fn set_application_active(&self, id: i64, active: bool) {
        let now = self.clock.now();
        let mut conn = self.conn();
        let changed = if active {
            clients::activate(&mut conn, id, &actor(), now)
        } else {
            clients::deactivate(&mut conn, id, &actor(), now)
        };
        changed.expect("changed");
        self.state.mail_queued();
    }

    pub fn delete_application(&self, id: i64) {
        let now = self.clock.now();
        clients::delete(&mut self.conn(), id, &actor(), now).expect("deleted");
        self.state.mail_queued();
    }

    /// A new organization; returns its id.
    pub fn organization(&self, name: &str) -> i64 {
        let now = self.clock.now();
        organization::create(&mut self.conn(), name, now)
            .expect("the organization is created")
            .id
    }

    /// The application with this Client ID, if it exists.
    pub fn find_application(&self, client_id: &str) -> Option<client::Client> {
        client::find_by_client_id(&mut self.conn(), client_id).expect("query")
    }

    /// The application's row as it is now, if it still exists.
    pub fn application_row(&self, id: i64) -> Option<client::Client> {
        client::get(&mut self.conn(), id).expect("query")
    }
}
