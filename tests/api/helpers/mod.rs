//! What the tests stand on. `spawn_app()`: a real Tessera on port 0 with its own SQLite file
//! (or PostgreSQL database), keys folder and outbox, torn down when the test ends; the
//! databases and `both_backends!` (`backend`), fixtures (`fixtures`), the back-office paths
//! (`pages`), the mail outbox (`mail`) and a MIME reader (`mime`).

use std::collections::HashMap;
use std::sync::Arc;
use tempfile::TempDir;
use tessera::clock::{Clock, ManualClock};
use tessera::config::Settings;
use tessera::db::models::user::{self, NewUser};
use tessera::startup::Application;
use tessera::state::AppState;

mod backend;
mod fixtures;
pub mod mail;
pub mod mime;
mod pages;

use backend::PgDatabase;
pub use backend::{Backend, postgres_url};
pub use fixtures::*;
pub use pages::*;

pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Whether a test must skip because a tool it drives is missing (`why`). Outside CI it says
/// so on stderr and skips; under `CI=true` nothing may be skipped, so it fails instead.
pub fn skip_when_missing(missing: Option<String>) -> bool {
    let Some(why) = missing else {
        return false;
    };
    let in_ci = std::env::var("CI").is_ok_and(|ci| ci == "true");
    assert!(!in_ci, "CI=true, and this test cannot run: {why}");
    eprintln!("skipped: {why}");
    true
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub setup_link: Option<String>,
    pub state: actix_web::web::Data<AppState>,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
    handle: actix_web::dev::ServerHandle,
    _database: Option<PgDatabase>,
    /// The settings it was built with, for `restart`.
    values: HashMap<String, String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sending the stop command is enough; the workers wind down on their own threads.
        drop(self.handle.stop(false));
    }
}

pub struct TestAppBuilder {
    backend: Backend,
    values: HashMap<String, String>,
    dir: TempDir,
}

pub fn spawn_app(backend: Backend) -> impl Future<Output = TestApp> {
    TestApp::builder(backend).spawn()
}

impl TestApp {
    pub fn builder(backend: Backend) -> TestAppBuilder {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut values = HashMap::new();
        let mut set = |k: &str, v: String| values.insert(k.to_owned(), v);
        set("TESSERA_BIND", "127.0.0.1:0".into());
        set("TESSERA_ISSUER", "http://tessera.test".into());
        set(
            "TESSERA_KEYS_DIR",
            dir.path().join("keys").display().to_string(),
        );
        set(
            "TESSERA_OUTBOX_DIR",
            dir.path().join("outbox").display().to_string(),
        );
        set("TESSERA_WORKERS", "2".into());
        TestAppBuilder {
            backend,
            values,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Creates a user directly in the database, as `tessera users create` would.
    pub fn create_user(
        &self,
        username: &str,
        password: &str,
        kind: &str,
        is_admin: bool,
    ) -> user::User {
        let hash = tessera::passwords::hash(password).expect("hash");
        let now = self.clock.now();
        let mut conn = self.state.pool.get().expect("connection");
        let org = tessera::db::models::organization::find_by_name(&mut conn, DEFAULT_ORGANIZATION)
            .expect("query")
            .map(|o| o.id);
        user::create(
            &mut conn,
            &NewUser {
                username,
                email: &format!("{username}@example.com"),
                full_name: "",
                password_hash: &hash,
                kind,
                is_admin,
                enabled: true,
                organization_id: org,
                created_at: now,
                updated_at: now,
            },
        )
        .expect("create user")
    }

    /// Signs in through the sign-in form and returns the session's CSRF token.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        let page = self.get("/admin/login").await.text().await.expect("body");
        let csrf = csrf_token(&page);
        self.post_form(
            "/admin/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }

    /// A second browser with its own cookies, after signing in as `username`.
    pub async fn another_session(&self, username: &str, password: &str) -> OtherBrowser {
        let other = OtherBrowser {
            http: browser_like_client(),
            address: self.address.clone(),
        };
        let page = other.get("/admin/login").await.text().await.expect("body");
        let form = [
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf_token(&page)),
        ];
        let url = other.url("/admin/login");
        other.http.post(url).form(&form).send().await.expect("POST");
        other
    }

    /// An administrator signed in, ready to use the back-office; returns the CSRF token.
    pub async fn signed_in_admin(&self) -> String {
        self.create_user(ADMIN_USERNAME, ADMIN_PASSWORD, "backoffice", true);
        let response = self.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in redirects");
        self.csrf().await
    }

    /// The CSRF token of the current session, read from the dashboard.
    pub async fn csrf(&self) -> String {
        csrf_token(&self.get("/admin").await.text().await.expect("body"))
    }

    pub fn conn(&self) -> tessera::db::PooledConn {
        self.state.pool.get().expect("connection")
    }

    /// A second server over the same database, settings, folders and clock, serving beside
    /// this one, as another instance behind a load balancer would. Drop it before this one.
    pub async fn another_instance(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        launch(self.values.clone(), dir, None, self.clock.clone()).await
    }

    /// Stops this server and starts a new one over the same database, folders, settings
    /// and clock, as a restart of the process would.
    pub async fn restart(mut self) -> TestApp {
        self.handle.stop(true).await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let database = self._database.take();
        let values = std::mem::take(&mut self.values);
        launch(values, dir, database, self.clock.clone()).await
    }
}

impl TestAppBuilder {
    pub fn setting(mut self, key: &str, value: impl Into<String>) -> Self {
        self.values.insert(key.to_owned(), value.into());
        self
    }

    pub async fn spawn(mut self) -> TestApp {
        let database = match self.backend {
            Backend::Sqlite => {
                let path = self.dir.path().join("tessera.db");
                self.values.insert(
                    "TESSERA_DATABASE_URL".into(),
                    format!("sqlite://{}", path.display()),
                );
                None
            }
            Backend::Postgres => {
                let (db, url) = PgDatabase::create();
                self.values.insert("TESSERA_DATABASE_URL".into(), url);
                Some(db)
            }
        };
        let clock = Arc::new(ManualClock::starting_now());
        launch(self.values, self.dir, database, clock).await
    }
}

/// Builds and serves an application over `values`; a restart calls it again with the same
/// database, folders and clock.
async fn launch(
    values: HashMap<String, String>,
    dir: TempDir,
    database: Option<PgDatabase>,
    clock: Arc<ManualClock>,
) -> TestApp {
    let settings = Settings::from_values(&values).expect("settings");
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("build the application");
    let port = app.port();
    let handle = app.handle();
    let state = app.state();
    let setup_link = app.setup_link().map(|l| {
        l.replacen(
            "http://tessera.test",
            &format!("http://127.0.0.1:{port}"),
            1,
        )
    });
    tokio::spawn(app.run_until_stopped());
    let http = browser_like_client();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        http,
        setup_link,
        state,
        clock,
        dir,
        handle,
        _database: database,
        values,
    }
}

/// Another browser on the same Tessera, with cookies of its own.
pub struct OtherBrowser {
    http: reqwest::Client,
    address: String,
}

impl OtherBrowser {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }
}

/// An HTTP client that keeps cookies and does not follow redirects, so tests see the 303s.
fn browser_like_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client")
}
