//! Writing the counts: about once a minute, and at a clean stop.

use super::CHECK_EVERY;
use crate::db::models::usage;
use crate::db::{self, DbFailure};
use crate::state::AppState;

/// Writes what was counted since the last flush and drops rows past the retention.
/// Returns how many rows were written.
pub async fn flush(state: &AppState) -> Result<usize, DbFailure> {
    let now = state.now();
    let rows = state.usage.take(now);
    let cutoff = now - state.usage.retention;
    let written = rows.clone();
    let result = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let inserted = usage::insert(conn, &written)?;
            usage::delete_before(conn, cutoff)?;
            Ok::<_, diesel::result::Error>(inserted)
        })
        .map_err(DbFailure::from)
    })
    .await;
    if result.is_err() {
        state.usage.restore(&rows);
    }
    result
}

/// Flushes within a second of each minute's end, by the server's clock, for as long as the
/// server runs.
pub async fn run(state: actix_web::web::Data<AppState>) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        if !state.usage.minute_ended(state.now()) {
            continue;
        }
        if let Err(error) = flush(&state).await {
            tracing::warn!(%error, "usage counts not written; kept for the next minute");
        }
    }
}
