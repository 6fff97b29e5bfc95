//! `GET /api/me` and `GET /api/frontend/me`: who a token acts for. The smallest use of the
//! bearer guard, and what an API client calls to check its token works.

use crate::oauth::bearer::{BackOfficeCaller, Caller, CustomerCaller};
use crate::oauth::error::no_store;
use actix_web::HttpResponse;
use serde_json::json;

pub async fn back_office(caller: BackOfficeCaller) -> HttpResponse {
    describe(&caller.0)
}

pub async fn customer(caller: CustomerCaller) -> HttpResponse {
    describe(&caller.0)
}

fn describe(caller: &Caller) -> HttpResponse {
    let user = &caller.user;
    no_store(&mut HttpResponse::Ok()).json(json!({
        "sub": caller.claims.sub,
        "client_id": caller.claims.client_id,
        "scope": caller.claims.scope,
        "user": {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "full_name": user.full_name,
            "kind": user.kind().as_str(),
        },
    }))
}
