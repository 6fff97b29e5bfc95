//! A small W3C WebDriver client over reqwest: enough to drive headless Chromium through the
//! back-office the way a person would.

use crate::helpers::free_port;
use base64::Engine;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(15);

pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

pub struct Element {
    id: String,
}

/// Why the browser test cannot run here; CI installs both.
pub fn missing_browser() -> Option<String> {
    ["/usr/bin/chromium", "/usr/bin/chromedriver"]
        .into_iter()
        .find(|bin| !std::path::Path::new(bin).exists())
        .map(|bin| format!("{bin} is not installed"))
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(started.elapsed() < WAIT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1400,1000",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        // A first session start occasionally fails while Chromium warms up: retry once.
        let mut session = None;
        for _ in 0..2 {
            let response: Value = http
                .post(format!("{base}/session"))
                .json(&capabilities)
                .send()
                .await
                .expect("new session")
                .json()
                .await
                .expect("session json");
            if let Some(id) = response["value"]["sessionId"].as_str() {
                session = Some(id.to_owned());
                break;
            }
        }
        Browser {
            http,
            base,
            session: session.expect("a browser session"),
            driver,
            _profile: profile,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method.clone(), url);
        let request = if method == reqwest::Method::GET {
            request
        } else {
            request.json(&body)
        };
        let response: Value = request
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        response["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    pub async fn current_url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.command(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits for the element to appear: after a click, the next page is known by what only
    /// it has.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            let value = self
                .command(
                    reqwest::Method::POST,
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = value[ELEMENT_KEY].as_str() {
                return Element { id: id.to_owned() };
            }
            assert!(
                started.elapsed() < WAIT,
                "no element {css} on {}:\n{}",
                self.current_url().await,
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        let value = self
            .command(
                reqwest::Method::POST,
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        value.as_array().map_or(0, Vec::len)
    }

    pub async fn click(&self, element: &Element) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.id),
            json!({}),
        )
        .await;
    }

    pub async fn type_into(&self, element: &Element, text: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/clear", element.id),
            json!({}),
        )
        .await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.id),
            json!({"text": text}),
        )
        .await;
    }

    /// Clicks the first element `css` finds.
    pub async fn press(&self, css: &str) {
        self.click(&self.find(css).await).await;
    }

    /// Types `text` into the first element `css` finds.
    pub async fn fill(&self, css: &str, text: &str) {
        self.type_into(&self.find(css).await, text).await;
    }

    /// Fills a sign-in form (back-office or account) on the current page and submits it.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.press("button[type=submit].primary").await;
    }

    pub async fn value(&self, element: &Element) -> String {
        self.string(&format!("/element/{}/property/value", element.id))
            .await
    }

    pub async fn text(&self, element: &Element) -> String {
        self.string(&format!("/element/{}/text", element.id)).await
    }

    /// An attribute as the page wrote it (`data-copy`), empty when absent.
    pub async fn attribute(&self, element: &Element, name: &str) -> String {
        self.string(&format!("/element/{}/attribute/{name}", element.id))
            .await
    }

    async fn string(&self, path: &str) -> String {
        self.command(reqwest::Method::GET, path, Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let png = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("png");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write screenshot");
        path
    }

    /// Closes the session before stopping chromedriver, so Chromium exits cleanly.
    pub async fn quit(mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
