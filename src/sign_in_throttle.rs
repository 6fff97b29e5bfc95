//! The rule both sign-in pages share, the back-office's and the account dialog's: the
//! username as it is counted, an attempt that counts before its password is verified, and
//! the `429` page a locked sign-in answers with (a documented addition).

use crate::metrics::Throttled;
use crate::state::AppState;
use crate::throttle::{self, Attempt, OnSuccess, retry_after_seconds};
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use chrono::NaiveDateTime;

/// The typed username as the throttles and the lookup see it: trimmed, lower case, and
/// bounded like a real username, so a huge form cannot grow the throttle's memory.
pub fn username(typed: &str) -> String {
    typed.trim().to_lowercase().chars().take(64).collect()
}

/// A sign-in the throttles refused.
pub struct Locked {
    retry_after_seconds: i64,
}

impl Locked {
    /// What the sign-in page says instead of checking the password.
    pub fn message(&self) -> String {
        let minutes = (self.retry_after_seconds + 59) / 60;
        format!(
            "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        )
    }

    /// Makes the page that says so a `429` with `Retry-After` in whole seconds.
    pub fn mark(&self, response: &mut HttpResponse) {
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(self.retry_after_seconds),
        );
    }
}

/// Takes the attempt's place in the username's and the address's counts before the password
/// is verified, so concurrent guesses cannot outrun the count; or refuses it while either is
/// locked or full of attempts in flight.
pub fn reserve<'a>(
    state: &'a AppState,
    username: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Attempt<'a>, Locked> {
    let user_key = format!("user:{username}");
    let address_key = format!("ip:{}", ip.unwrap_or("-"));
    let holds = [
        state
            .sign_in_by_user
            .hold(user_key.clone(), OnSuccess::Clear),
        state.sign_in_by_address.hold(address_key, OnSuccess::Keep),
    ];
    throttle::reserve(now, holds).map_err(|wait| {
        let what = match state.sign_in_by_user.retry_after(&user_key, now) {
            Some(_) => Throttled::SignInUser,
            None => Throttled::SignInAddress,
        };
        state.throttled(what);
        Locked {
            retry_after_seconds: retry_after_seconds(wait),
        }
    })
}
