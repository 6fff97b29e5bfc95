//! What Tessera writes to disk is its own user's only (ASVS 13.3.1 secrets stored
//! protected, ASVS 14.2.4 sensitive data not readable by others): the `var/` folder 0700,
//! the SQLite database with its WAL and shared-memory files 0600, the `.eml` outbox files
//! 0600; a private key others can read is a warning in the log and a back-office banner.

use crate::cli::{tessera, text};
use crate::helpers::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_var_folder_and_the_database_made_by_the_command_line_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(dir.path(), &["migrate"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&dir.path().join("var")), 0o700);
    assert_eq!(mode(&dir.path().join("var/tessera.db")), 0o600);
}

#[tokio::test]
async fn the_database_its_wal_and_shared_memory_files_and_eml_files_are_created_0600() {
    let app = spawn_app(Backend::Sqlite).await;
    let erp = app.back_office_app();
    crate::oauth_support::client_credentials(&app, &erp).await;
    for file in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        assert_eq!(mode(&app.dir.path().join(file)), 0o600, "{file}");
    }
    let outbox = app.dir.path().join("outbox");
    assert_eq!(mode(&outbox), 0o700, "the outbox folder");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let eml = loop {
        let found = std::fs::read_dir(&outbox)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "eml"));
        match found {
            Some(path) => break path,
            None if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            None => panic!("no .eml file was written"),
        }
    };
    assert_eq!(mode(&eml), 0o600, "{}", eml.display());
}

/// A keys folder holding one key its owner alone may read, then opened up to `key_mode`.
fn keys_with_mode(key_mode: u32) -> tempfile::TempDir {
    let keys = tempfile::tempdir().unwrap();
    let kid = tessera::oauth::keys::KeyStore::generate(
        keys.path(),
        tessera::oauth::keys::SigningAlg::Es256,
    )
    .unwrap();
    let key = keys.path().join(format!("{kid}.pem"));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(key_mode)).unwrap();
    keys
}

#[tokio::test]
async fn a_private_key_readable_by_others_shows_a_banner_in_the_back_office() {
    let keys = keys_with_mode(0o644);
    let app = TestApp::builder(Backend::Sqlite)
        .setting("TESSERA_KEYS_DIR", keys.path().display().to_string())
        .spawn()
        .await;
    app.signed_in_admin().await;
    let page = app.get("/admin").await.text().await.unwrap();
    assert!(page.contains("data-testid=\"key-files-warning\""), "{page}");
    assert!(page.contains("chmod 600"));

    let private = keys_with_mode(0o600);
    let app = TestApp::builder(Backend::Sqlite)
        .setting("TESSERA_KEYS_DIR", private.path().display().to_string())
        .spawn()
        .await;
    app.signed_in_admin().await;
    let page = app.get("/admin").await.text().await.unwrap();
    assert!(
        !page.contains("key-files-warning"),
        "no banner for a 0600 key"
    );
}

#[test]
fn a_private_key_readable_by_others_is_a_warning_in_the_log() {
    let keys = keys_with_mode(0o640);
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = keys.path().display().to_string();
    // `migrate` does not load keys; `serve` does, and stops here at once on a taken port.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = blocker.local_addr().unwrap().to_string();
    let out = tessera(
        dir.path(),
        &["serve"],
        &[
            ("TESSERA_KEYS_DIR", &keys_dir),
            ("TESSERA_BIND", &bind),
            ("RUST_LOG", "warn"),
        ],
    );
    let log = text(&out.stderr) + &text(&out.stdout);
    assert!(
        log.contains("can be read by other users of this machine"),
        "{log}"
    );
}
