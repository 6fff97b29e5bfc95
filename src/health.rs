//! `/healthz`: the process answers. `/readyz`: the database answers, and mail is being
//! delivered (see `mail::health` for what that means exactly).

use crate::db::DbFailure;
use crate::db::models::mail_outbox;
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
    let now = state.now();
    let ready = crate::db::run(&state.pool, move |conn| {
        conn.batch_execute("SELECT 1").map_err(DbFailure::from)?;
        mail_outbox::oldest_due(conn, now).map_err(DbFailure::from)
    })
    .await;
    match ready {
        Ok(oldest_due) => match state.mail_health.problem(oldest_due, now) {
            None => HttpResponse::Ok().content_type("text/plain").body("ready"),
            Some(problem) => {
                tracing::warn!(problem, "readiness check failed");
                HttpResponse::ServiceUnavailable()
                    .content_type("text/plain")
                    .body(problem)
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
