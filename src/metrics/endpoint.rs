//! The metrics listener's one page, `GET /metrics`, and the back-office latency timer: the
//! parts of the metrics that read the application state.

use super::CONTENT_TYPE;
use crate::db::models::mail_outbox;
use crate::db::{self, DbFailure};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::time::Instant;

/// Serves `GET /metrics` on the metrics listener.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(scrape));
}

async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let metrics = &state.metrics;
    let pool = state.pool.state();
    metrics.pool_size.set(i64::from(pool.connections));
    metrics
        .pool_in_use
        .set(i64::from(pool.connections - pool.idle_connections));
    let waiting = db::run(&state.pool, |conn| {
        mail_outbox::waiting(conn).map_err(DbFailure::from)
    })
    .await;
    match waiting {
        Ok((count, oldest)) => {
            metrics.outbox_waiting.set(count);
            let age = oldest.map_or(0, |t| (state.now() - t).num_seconds().max(0));
            metrics.outbox_oldest_waiting.set(age);
        }
        // The rest of the exposition is still worth having; the gauges keep their last value.
        Err(error) => tracing::warn!(%error, "metrics: cannot read the outbox"),
    }
    match metrics.encode() {
        Ok(text) => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CONTENT_TYPE, CONTENT_TYPE))
            .body(text),
        Err(error) => {
            tracing::error!(%error, "metrics: cannot encode");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body("metrics could not be encoded")
        }
    }
}

/// Times every back-office request.
pub async fn time_back_office(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await;
    if let Some(state) = state {
        state
            .metrics
            .back_office_latency
            .observe(started.elapsed().as_secs_f64());
    }
    response
}
