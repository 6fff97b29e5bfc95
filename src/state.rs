//! What every handler shares: the pool, the settings, the clock, the signing keys, the
//! password verifier, the throttles and the mail worker's wake-up.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Pool;
use crate::domain::SecretHash;
use crate::metrics::{Metrics, Throttled};
use crate::oauth::error::OAuthError;
use crate::oauth::keys::{KeyError, KeyStore};

use crate::oauth::throttles::TokenThrottles;
use crate::passwords::PasswordVerifier;
use crate::readmodel::ReadModel;
use crate::throttle::Throttle;
use crate::usage::Usage;
use chrono::{NaiveDateTime, TimeDelta};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub clock: Arc<dyn Clock>,
    /// `Err` holds why tokens cannot be signed: the back-office shows a banner and the token
    /// endpoint answers with a clear error instead of failing at start.
    pub keys: Result<KeyStore, KeyError>,
    pub passwords: Arc<PasswordVerifier>,
    pub sign_in_by_user: Throttle,
    pub sign_in_by_address: Throttle,
    /// Client-authentication and password-grant failures at the token endpoint.
    pub token_throttles: TokenThrottles,
    /// Hash of the one-time first-run link; taken when the first administrator is created.
    pub setup_token: Mutex<Option<SecretHash>>,
    /// Wakes the mail worker; see `mail_queued`.
    pub mail_wakeup: Notify,
    /// Applications, secrets and owners in memory for the token endpoint.
    pub read_model: Arc<ReadModel>,
    pub metrics: Metrics,
    pub usage: Usage,
    /// Set at start when a private key file is readable by group or others: a banner on
    /// every back-office page until it is fixed and Tessera restarted.
    pub key_files_warning: Option<String>,
    /// Whether the mail worker runs and the outbox moves, for `/readyz`.
    pub mail_health: crate::mail::health::MailHealth,
}

impl AppState {
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    /// The signing keys, or the token endpoint's clear error when there are none.
    pub fn signing_keys(&self) -> Result<&KeyStore, OAuthError> {
        self.keys.as_ref().map_err(|why| {
            tracing::warn!(reason = %why, "token request refused: no signing key");
            OAuthError::KeysUnavailable
        })
    }

    /// Call after committing a change that queued mail: the worker sends it now instead of
    /// at its next poll, up to a second later.
    pub fn mail_queued(&self) {
        self.mail_wakeup.notify_one();
    }

    /// A request refused by a throttle: counted in the metrics and the usage.
    pub fn throttled(&self, what: Throttled) {
        self.metrics.throttled(what);
        self.usage.throttled();
    }
}

/// Back-office sign-in: 5 failures for one username within 15 minutes lock it for 15
/// minutes after the last failure.
pub fn sign_in_by_user_throttle() -> Throttle {
    Throttle::new(
        "sign_in_user",
        5,
        TimeDelta::minutes(15),
        TimeDelta::minutes(15),
    )
}

/// One address may fail 20 times across usernames before it is locked the same way.
pub fn sign_in_by_address_throttle() -> Throttle {
    Throttle::new(
        "sign_in_address",
        20,
        TimeDelta::minutes(15),
        TimeDelta::minutes(15),
    )
}
