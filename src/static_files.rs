//! The stylesheet and the one small script, compiled into the binary so the server runs
//! from any working directory and no page depends on a CDN.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const APP_CSS: &str = include_str!("../static/css/app.css");
const APP_JS: &str = include_str!("../static/js/app.js");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/css/app.css", web::get().to(css))
        .route("/static/js/app.js", web::get().to(js));
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
