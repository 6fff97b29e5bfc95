//! A property of the whole server, checked over HTTP against the real binary: whatever
//! arrives — any method, headers of any bytes, any content type, bodies up to and past the
//! limits, invalid UTF-8 and NUL bytes — the answer is never a 5xx, nothing panics in the
//! log, and `/healthz` still answers afterwards (RFC 9110 §15.5: client errors are 4xx;
//! ASVS 16.5.3, fail securely). Seeded and bounded: set `TESSERA_PROPERTY_SEED` to replay
//! a run, `TESSERA_PROPERTY_CASES` to change how many requests it sends (2000).

use futures_util::future::join_all;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// xorshift64*: small, seedable and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

const PATHS: [&str; 24] = [
    "/oauth2-token",
    "/oauth2-revoke",
    "/oauth2-introspect",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
    "/api/me",
    "/api/frontend/me",
    "/healthz",
    "/readyz",
    "/static/css/app.css",
    "/admin",
    "/admin/login",
    "/admin/logout",
    "/admin/setup",
    "/admin/oauth-applications",
    "/admin/oauth-applications/new",
    "/admin/oauth-applications/1/edit",
    "/admin/oauth-applications/1/deactivate",
    "/admin/users/new",
    "/admin/users/1/edit",
    "/admin/organizations",
    "/admin/notifications",
    "/admin/notifications/1/retry",
    "/nowhere",
];

const QUERIES: [&str; 6] = [
    "",
    "?name=a&name=b",
    "?page=-1&per_page=99999999999999999999&sort=%00",
    "?client_secret=x",
    "?owner=%FF%FE&status=%C3%28",
    "?token=%",
];

const CONTENT_TYPES: [&str; 8] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=\"\"; boundary",
    "",
    "*/*",
];

const FIELDS: [&str; 14] = [
    "grant_type",
    "client_id",
    "client_secret",
    "username",
    "password",
    "refresh_token",
    "scope",
    "token",
    "name",
    "grants",
    "owner_user_id",
    "organization_id",
    "kind",
    "csrf_token",
];

/// The form limit of the back-office is 64 KiB and the token endpoint's 16 KiB; bodies go
/// a little past both.
const LONGEST_BODY: usize = 66 * 1024;

fn body(rng: &mut Rng, csrf: &str) -> Vec<u8> {
    match rng.below(6) {
        0 => Vec::new(),
        1 => {
            let len = rng.below(LONGEST_BODY);
            rng.bytes(len)
        }
        2 => {
            // A form of known fields with values of random bytes, sometimes percent-encoded
            // badly, sometimes repeated, sometimes with a valid CSRF token.
            let mut out = Vec::new();
            if rng.below(2) == 0 {
                out.extend_from_slice(format!("csrf_token={csrf}&").as_bytes());
            }
            for _ in 0..rng.below(8) {
                out.extend_from_slice(rng.pick(&FIELDS).as_bytes());
                out.push(b'=');
                let len = rng.below(40);
                out.extend(rng.bytes(len).into_iter().map(|b| match b % 5 {
                    0 => b'%',
                    1 => 0,
                    _ => b,
                }));
                out.push(b'&');
            }
            out
        }
        3 => {
            let key = rng.pick(&FIELDS);
            let len = rng.below(30);
            let value = String::from_utf8_lossy(&rng.bytes(len)).into_owned();
            let mut json =
                format!("{{\"{key}\": {value:?}, \"{key}\": [1, {{}}, null]}}").into_bytes();
            json.insert(rng.below(json.len()), 0xFF);
            json
        }
        4 => vec![0u8; rng.below(LONGEST_BODY)],
        _ => b"grant_type=client_credentials&client_id=%00%FF&client_secret=\xC3\x28".to_vec(),
    }
}

fn header_value(rng: &mut Rng) -> reqwest::header::HeaderValue {
    let len = rng.below(64);
    let noise = rng.bytes(len);
    let dots = rng.below(3000);
    let candidates: [Vec<u8>; 6] = [
        b"Basic \xFF\xFE".to_vec(),
        b"Basic Og==".to_vec(),
        format!("Bearer {}", "a.".repeat(dots)).into_bytes(),
        b"Bearer eyJhbGciOiJub25lIn0.e30.".to_vec(),
        noise
            .into_iter()
            .map(|b| b.clamp(0x20, 0xFE))
            .filter(|b| *b != 0x7F)
            .collect(),
        b"\xC3\x28 \x80".to_vec(),
    ];
    let raw = rng.pick(&candidates).clone();
    reqwest::header::HeaderValue::from_bytes(&raw)
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("x"))
}

struct Server {
    child: Child,
    log: Arc<Mutex<String>>,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &std::path::Path) -> Server {
    let admin = crate::cli::tessera(
        dir,
        &[
            "users",
            "create",
            "--username",
            "admin",
            "--email",
            "a@example.com",
            "--admin",
        ],
        &[("TESSERA_USER_PASSWORD", crate::helpers::ADMIN_PASSWORD)],
    );
    assert!(
        admin.status.success(),
        "{}",
        crate::cli::text(&admin.stderr)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .current_dir(dir)
        .env("TESSERA_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("TESSERA_WORKERS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().unwrap();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("listening on http://") {
                let _ = port_tx.send(rest.trim().to_owned());
            }
            kept.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    let address = port_rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the server did not start: {}", log.lock().unwrap()));
    Server {
        child,
        log,
        address: format!("http://{address}"),
    }
}

#[tokio::test]
async fn no_request_of_any_shape_gets_a_5xx_or_panics_the_server() {
    let seed = std::env::var("TESSERA_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7e55_e7a0_u64);
    let cases: usize = std::env::var("TESSERA_PROPERTY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/admin/login", server.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signed_in = http
        .post(format!("{}/admin/login", server.address))
        .form(&[
            ("username", "admin"),
            ("password", crate::helpers::ADMIN_PASSWORD),
            ("csrf_token", &crate::helpers::csrf_token(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let dashboard = http
        .get(format!("{}/admin", server.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_token(&dashboard);

    let mut rng = Rng(seed | 1);
    let began = Instant::now();
    let requests: Vec<_> = (0..cases)
        .map(|i| {
            let method = reqwest::Method::from_bytes(rng.pick(&METHODS).as_bytes()).unwrap();
            let url = format!(
                "{}{}{}",
                server.address,
                rng.pick(&PATHS),
                rng.pick(&QUERIES)
            );
            let mut request = http
                .request(method.clone(), &url)
                .body(body(&mut rng, &csrf));
            let content_type = rng.pick(&CONTENT_TYPES);
            if !content_type.is_empty() {
                request = request.header("content-type", *content_type);
            }
            for name in [
                "authorization",
                "origin",
                "x-forwarded-for",
                "cookie",
                "accept",
            ] {
                if rng.below(3) == 0 {
                    request = request.header(name, header_value(&mut rng));
                }
            }
            (i, format!("{method} {url}"), request)
        })
        .collect();
    let mut failures = Vec::new();
    let mut transport_errors = 0;
    let mut requests = requests.into_iter().peekable();
    while requests.peek().is_some() {
        let chunk: Vec<_> = requests.by_ref().take(8).collect();
        let answers = join_all(
            chunk
                .into_iter()
                .map(|(i, what, request)| async move { (i, what, request.send().await) }),
        )
        .await;
        for (i, what, answer) in answers {
            match answer {
                Ok(response) if response.status().is_server_error() => {
                    failures.push(format!("#{i} {what}: {}", response.status()));
                }
                Ok(_) => {}
                // A body past the limit may be refused before it is all sent.
                Err(e) => {
                    transport_errors += 1;
                    eprintln!("#{i} {what}: {e:?}");
                }
            }
        }
    }
    let elapsed = began.elapsed();
    let health = reqwest::get(format!("{}/healthz", server.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "/healthz answers afterwards");
    let log = server.log.lock().unwrap().clone();
    assert!(failures.is_empty(), "seed {seed}: {failures:#?}\n{log}");
    assert!(
        !log.contains("panicked"),
        "seed {seed}: a panic in the log:\n{log}"
    );
    assert!(
        transport_errors < cases / 10,
        "seed {seed}: {transport_errors} requests got no answer"
    );
    eprintln!("{cases} requests, seed {seed}, in {elapsed:?}; {transport_errors} refused mid-body");
}
