//! `/healthz`: the process answers. `/readyz`: the database answers too.

use crate::db::DbFailure;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ready = crate::db::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1").map_err(DbFailure::from)
    })
    .await;
    match ready {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
