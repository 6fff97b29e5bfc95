//! The server killed with SIGKILL under token load loses no refresh token
//! that reached a client — each is committed before its answer is sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "ann's long password";

fn tessera(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("TESSERA_")) {
        cmd.env_remove(key);
    }
    cmd.current_dir(dir)
        .env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}/tessera.db", dir.display()),
        )
        .env("TESSERA_BIND", "127.0.0.1:0")
        .env("TESSERA_ISSUER", "http://tessera.test")
        .env("RUST_LOG", "info");
    cmd
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = tessera(dir)
        .args(args)
        .env("TESSERA_USER_PASSWORD", PASSWORD)
        .output()
        .expect("run tessera");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts `tessera serve` and returns it with its base URL, read from its log.
async fn serve(dir: &Path, log: &str) -> (Child, String) {
    let log_path = dir.join(log);
    let mut child = tessera(dir)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("start tessera");
    for _ in 0..200 {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(port) = text
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .filter(|p| !p.is_empty())
        {
            return (child, format!("http://127.0.0.1:{port}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "the server did not start: {}",
        std::fs::read_to_string(&log_path).unwrap()
    );
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    basic: &str,
    form: &[(&str, &str)],
) -> Option<Value> {
    let response = http
        .post(format!("{base}/oauth2-token"))
        .header("authorization", basic)
        .form(form)
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

#[tokio::test]
async fn refresh_tokens_that_reached_their_client_survive_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    run(
        dir,
        &[
            "users",
            "create",
            "--username",
            "ann",
            "--email",
            "ann@example.com",
        ],
    );
    let created: Value = serde_json::from_str(&run(
        dir,
        &[
            "clients", "create", "--name", "app", "--grant", "password", "--json",
        ],
    ))
    .unwrap();
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            created["client_id"].as_str().unwrap(),
            created["client_secret"].as_str().unwrap()
        ))
    );
    let (mut server, base) = serve(dir, "first.log").await;
    let http = reqwest::Client::new();
    let sign_in = [
        ("grant_type", "password"),
        ("username", "ann"),
        ("password", PASSWORD),
    ];

    // Tokens that reached this client and were then kept, while other clients rotate theirs.
    let kept: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut load = Vec::new();
    for worker in 0..4 {
        let (http, base, basic, kept) = (http.clone(), base.clone(), basic.clone(), kept.clone());
        load.push(tokio::spawn(async move {
            while let Some(grant) = token(&http, &base, &basic, &sign_in).await {
                let mut refresh = grant["refresh_token"].as_str().unwrap().to_owned();
                if worker == 0 {
                    kept.lock().unwrap().push(refresh);
                    continue;
                }
                for _ in 0..5 {
                    let form = [
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh.as_str()),
                    ];
                    let Some(next) = token(&http, &base, &basic, &form).await else {
                        return;
                    };
                    refresh = next["refresh_token"].as_str().unwrap().to_owned();
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    for task in load {
        task.await.unwrap();
    }
    let kept = kept.lock().unwrap().clone();
    assert!(kept.len() >= 3, "the load ran: {} tokens kept", kept.len());

    let (mut server, base) = serve(dir, "second.log").await;
    for refresh in &kept {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ];
        assert!(
            token(&http, &base, &basic, &form).await.is_some(),
            "a kept refresh token was lost"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
