//! The address a request came from, for the audit log and per-address throttling. Both
//! faces and the authorization server ask it the same way.

use crate::state::AppState;
use actix_web::{HttpRequest, web};

/// The address a request came from, for the audit log and per-address throttling.
///
/// Behind a reverse proxy every request arrives from the proxy, and per-address throttling
/// would lock everyone out at once; so when the peer is one of `TESSERA_TRUSTED_PROXIES`,
/// the address is the nearest one in `X-Forwarded-For` that is not itself a trusted proxy.
/// From anyone else the header is ignored: it is trivially forged.
pub fn of(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[][..], |state| &state.settings.trusted_proxies[..]);
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let client = forwarded
        .iter()
        .rev()
        .filter_map(|a| a.parse::<std::net::IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer);
    Some(client.to_string())
}
