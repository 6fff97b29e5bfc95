//! The OAuth Applications grid over 10,000 applications on the embedded SQLite database:
//! the first page in each sort order, a name filter, and the row count every page shows.

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::prelude::*;
use std::hint::black_box;
use tessera::clock::{Clock, SystemClock};
use tessera::db::models::client::{self, GridFilter, GridSort, NewClient};
use tessera::db::models::organization;
use tessera::db::schema::clients;
use tessera::db::{self, DatabaseUrl};
use tessera::domain::GrantType;

const APPLICATIONS: usize = 10_000;

fn seeded_pool(dir: &std::path::Path) -> db::Pool {
    let url = DatabaseUrl::Sqlite(dir.join("grid.db"));
    let pool = db::connect(&url, 2).expect("pool");
    let mut conn = pool.get().expect("connection");
    db::run_migrations(&mut conn).expect("migrations");
    let now = SystemClock.now();
    let org = organization::create(&mut conn, "Bench", now).expect("organization");
    let rows: Vec<(String, String)> = (0..APPLICATIONS)
        .map(|i| (format!("Application {i:05}"), format!("{i:032x}")))
        .collect();
    conn.transaction(|conn| {
        for (i, (name, client_id)) in rows.iter().enumerate() {
            diesel::insert_into(clients::table)
                .values(&NewClient {
                    organization_id: org.id,
                    name,
                    client_id,
                    active: i % 3 != 0,
                    frontend: i % 2 == 0,
                    confidential: true,
                    grants: if i % 2 == 0 {
                        "client_credentials"
                    } else {
                        "password"
                    },
                    owner_user_id: None,
                    creation_key: None,
                    name_folded: &tessera::domain::fold(name),
                    created_at: now - chrono::TimeDelta::seconds(i as i64),
                    updated_at: now,
                    app_type: if i % 2 == 0 { "service" } else { "web" },
                    scopes: "",
                    redirect_uris: "",
                    allowed_origins: "",
                    implicit_allowed: false,
                    access_token_ttl: None,
                    refresh_token_ttl: None,
                })
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .expect("seed");
    pool
}

fn grid(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = seeded_pool(dir.path());
    let mut conn = pool.get().expect("connection");
    let all = GridFilter::default();
    let named = GridFilter {
        name: Some("application 09".into()),
        active: Some(true),
        grant: Some(GrantType::Password),
        ..GridFilter::default()
    };
    let cases = [
        (
            "grid/10k/created_desc_page_1",
            &all,
            GridSort::Created,
            true,
            0,
        ),
        ("grid/10k/name_asc_page_1", &all, GridSort::Name, false, 0),
        (
            "grid/10k/last_used_desc_page_1",
            &all,
            GridSort::LastUsed,
            true,
            0,
        ),
        (
            "grid/10k/name_asc_page_200",
            &all,
            GridSort::Name,
            false,
            199 * 50,
        ),
        (
            "grid/10k/filtered_name_status_grant",
            &named,
            GridSort::Name,
            false,
            0,
        ),
    ];
    for (name, filter, sort, descending, offset) in cases {
        c.bench_function(name, |b| {
            b.iter(|| {
                let (rows, total) =
                    client::grid(&mut conn, filter, sort, descending, offset, 50).expect("grid");
                black_box((rows.len(), total))
            })
        });
    }
}

criterion_group!(benches, grid);
criterion_main!(benches);
