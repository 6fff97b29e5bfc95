//! The `tessera` binary itself: subcommands, settings errors, database URL errors.

use std::path::Path;
use std::process::{Command, Output};

pub fn tessera(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.current_dir(dir).args(args).env("RUST_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("TESSERA_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run tessera")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["keys", "generate", "--help"],
        &["orgs", "create", "--help"],
        &["users", "create", "--help"],
    ] {
        let out = tessera(dir.path(), args, &[]);
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn migrate_creates_the_default_sqlite_database_in_var() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(dir.path(), &["migrate"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("var/tessera.db").is_file());
}

#[test]
fn keys_generate_adds_keys_beside_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    for alg in ["ES256", "RS256", "EdDSA"] {
        let out = tessera(dir.path(), &["keys", "generate", "--alg", alg], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = tessera(dir.path(), &["keys", "generate"], &[]);
    assert!(out.status.success());
    let names: Vec<String> = std::fs::read_dir(dir.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4);
    assert_eq!(names.iter().filter(|n| n.starts_with("es256-")).count(), 2);
    let refused = tessera(dir.path(), &["keys", "generate", "--alg", "HS256"], &[]);
    assert!(!refused.status.success());
}

#[test]
fn orgs_and_users_are_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(dir.path(), &["orgs", "create", "Acme"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created organization Acme"));
    let dup = tessera(dir.path(), &["orgs", "create", "Acme"], &[]);
    assert!(!dup.status.success());
    assert!(text(&dup.stderr).contains("already exists"));

    let out = tessera(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "Ann",
            "--email",
            "ann@example.com",
            "--org",
            "Acme",
            "--admin",
        ],
        &[("TESSERA_USER_PASSWORD", "ann's long password")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created back-office user ann"));
    assert!(text(&out.stdout).contains("administrator"));

    let weak = tessera(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "bob",
            "--email",
            "bob@example.com",
        ],
        &[("TESSERA_USER_PASSWORD", "short")],
    );
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("at least 8 characters"));

    let bad_org = tessera(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "cy",
            "--email",
            "cy@example.com",
            "--org",
            "Nope",
            "--customer",
        ],
        &[("TESSERA_USER_PASSWORD", "cy's long password")],
    );
    assert!(!bad_org.status.success());
    assert!(text(&bad_org.stderr).contains("no organization named Nope"));
}

#[test]
fn users_create_stores_the_language_of_notices_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let create = |username: &str, locale: &str| {
        tessera(
            dir.path(),
            &[
                "users",
                "create",
                "--username",
                username,
                "--email",
                &format!("{username}@example.com"),
                "--locale",
                locale,
            ],
            &[("TESSERA_USER_PASSWORD", "a long enough password")],
        )
    };
    let out = create("greta", "de");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bad = create("hans", "not a locale");
    assert!(!bad.status.success(), "a malformed locale is refused");
    assert!(
        text(&bad.stderr).contains("language code"),
        "the refusal names the locale: {}",
        text(&bad.stderr)
    );

    let url = format!("sqlite://{}", dir.path().join("var/tessera.db").display());
    let url = tessera::db::DatabaseUrl::parse(&url).unwrap();
    let mut conn = tessera::db::connect_one(&url).unwrap();
    let greta = tessera::db::models::user::find_by_username(&mut conn, "greta")
        .unwrap()
        .expect("greta was created");
    assert_eq!(greta.locale, "de");
    assert!(
        tessera::db::models::user::find_by_username(&mut conn, "hans")
            .unwrap()
            .is_none(),
        "nothing is written for a refused command"
    );
}

#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("TESSERA_BIND", "not-an-address"),
        ("TESSERA_DATABASE_URL", "mysql://x/y"),
        ("TESSERA_SIGNING_ALG", "HS256"),
        ("TESSERA_ACCESS_TOKEN_TTL", "soon"),
        ("TESSERA_REFRESH_TOKENS", "perhaps"),
        ("TESSERA_MAIL_FROM", "not an address"),
    ] {
        let out = tessera(dir.path(), &["serve"], &[(key, value)]);
        assert!(!out.status.success(), "{key}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{key}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid setting {key}")),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn the_settings_file_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tessera.toml"), "bind = \"nonsense\"\n").unwrap();
    let out = tessera(dir.path(), &["migrate"], &[]);
    assert!(text(&out.stderr).contains("invalid setting TESSERA_BIND"));
    let out = tessera(dir.path(), &["migrate"], &[("TESSERA_BIND", "127.0.0.1:0")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_sqlite_url_in_a_missing_directory_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(
        dir.path(),
        &["migrate"],
        &[("TESSERA_DATABASE_URL", "sqlite://no/such/dir/t.db")],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("directory of the SQLite file no/such/dir/t.db does not exist"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_postgres_server_fails_clearly_and_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = tessera(
        dir.path(),
        &["migrate"],
        &[("TESSERA_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(
        stderr.contains("127.0.0.1"),
        "the driver's own words: {stderr}"
    );
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn serve_logs_the_one_time_setup_link_on_first_start() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .current_dir(dir.path())
        .env("TESSERA_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the log on a thread, so a server that never prints the link fails the test
    // instead of hanging it.
    let stderr = child.stderr.take().unwrap();
    let (lines, seen_lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    while let Some(wait) = deadline.checked_duration_since(std::time::Instant::now()) {
        let Ok(line) = seen_lines.recv_timeout(wait) else {
            break;
        };
        let done = line.contains("/admin/setup?token=");
        seen.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let log = seen.join("\n");
    assert!(log.contains("generated one"), "keys generated: {log}");
    assert!(log.contains("/admin/setup?token="), "{log}");
    assert!(dir.path().join("var/tessera.db").is_file());
    let pem = |entry: &std::io::Result<std::fs::DirEntry>| {
        let path = entry.as_ref().unwrap().path();
        path.extension().is_some_and(|e| e == "pem")
    };
    assert_eq!(
        std::fs::read_dir(dir.path().join("keys"))
            .unwrap()
            .filter(|e| pem(e))
            .count(),
        1
    );
}

#[test]
fn typed_applications_scopes_and_secret_rotation_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = tessera(dir.path(), args, &[]);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    run(&[
        "scopes",
        "create",
        "orders:read",
        "--category",
        "Orders",
        "--description",
        "See your orders",
    ]);
    let scopes: serde_json::Value =
        serde_json::from_str(&run(&["scopes", "list", "--json"])).unwrap();
    assert_eq!(scopes[0]["name"], "orders:read");
    assert_eq!(scopes[0]["category"], "Orders");

    let spa: serde_json::Value = serde_json::from_str(&run(&[
        "clients",
        "create",
        "--name",
        "SPA",
        "--type",
        "public",
        "--redirect-uri",
        "https://spa.example/cb",
        "--origin",
        "https://spa.example",
        "--scope",
        "orders:read",
        "--json",
    ]))
    .unwrap();
    assert!(
        spa["client_secret"].is_null(),
        "a public client has no secret: {spa}"
    );
    let bad = tessera(
        dir.path(),
        &[
            "clients",
            "create",
            "--name",
            "Bad",
            "--type",
            "web",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        &[],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("must use https"),
        "{}",
        text(&bad.stderr)
    );

    let web: serde_json::Value = serde_json::from_str(&run(&[
        "clients",
        "create",
        "--name",
        "Shop",
        "--type",
        "web",
        "--redirect-uri",
        "https://shop.example/cb",
        "--json",
    ]))
    .unwrap();
    let client_id = web["client_id"].as_str().unwrap();
    let first = web["client_secret"].as_str().unwrap();
    let added: serde_json::Value = serde_json::from_str(&run(&[
        "clients",
        "secrets",
        "add",
        client_id,
        "--expire-old",
        "7d",
        "--json",
    ]))
    .unwrap();
    assert_ne!(added["client_secret"], first);
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["clients", "secrets", "list", client_id, "--json"])).unwrap();
    let statuses: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "expiring"]);
    assert!(
        !listed.to_string().contains(first),
        "the list never holds a secret"
    );
    run(&["clients", "secrets", "disable", client_id, &first[..8]]);
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["clients", "secrets", "list", client_id, "--json"])).unwrap();
    assert_eq!(listed[1]["status"], "disabled");

    let legacy = run(&[
        "clients",
        "create",
        "--name",
        "Old style",
        "--grant",
        "password",
    ]);
    assert!(
        legacy.contains("client_secret: tsk_"),
        "today's --grant keeps working"
    );
}
