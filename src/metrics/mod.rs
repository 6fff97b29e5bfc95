//! Prometheus metrics, served in the OpenMetrics text format on their own listener
//! (`TESSERA_METRICS_BIND`), never on the public one.
//!
//! Every label value is one of a fixed set (a grant, an algorithm, an RFC error code, what
//! was throttled, an outcome): no secret, username, client id or other unbounded value. The
//! token path touches atomics only, through counters created once at start; the latency
//! histograms take the crate's short lock per observation.

mod endpoint;

pub use endpoint::{routes, time_back_office};

use crate::domain::GrantType;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The media type of the OpenMetrics text format, which Prometheus scrapes.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Seconds; from half a millisecond (a cached token) to argon2 runs under load.
const LATENCY_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

type Labels1 = [(&'static str, &'static str); 1];
type Labels2 = [(&'static str, &'static str); 2];

/// What a throttle refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// One client id from one address, at client authentication.
    Client,
    /// One address across client ids.
    ClientAddress,
    /// One username at the password grant.
    PasswordUser,
    /// One address across usernames at the password grant.
    PasswordAddress,
    /// One username at the back-office sign-in.
    SignInUser,
    /// One address at the back-office sign-in.
    SignInAddress,
}

impl Throttled {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::ClientAddress => "client_address",
            Self::PasswordUser => "password_user",
            Self::PasswordAddress => "password_address",
            Self::SignInUser => "sign_in_user",
            Self::SignInAddress => "sign_in_address",
        }
    }
}

/// How an authorization request (RFC 6749 §4.1.1, §4.2.1) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationOutcome {
    /// A code went back to the redirect URI.
    Code,
    /// An implicit token went back to the redirect URI.
    Token,
    /// The user denied consent (`access_denied`).
    Denied,
    /// An error went back to the redirect URI (RFC 6749 §4.1.2.1).
    Error,
    /// Refused with a page, never redirected: unknown client or bad redirect URI.
    Refused,
}

impl AuthorizationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Token => "token",
            Self::Denied => "denied",
            Self::Error => "error",
            Self::Refused => "refused",
        }
    }
}

/// Why a client failed to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthFailure {
    UnknownClient,
    WrongSecret,
    /// A confidential client without a secret, a public one with one, or a public one where
    /// only confidential clients are accepted.
    WrongMethod,
    Inactive,
}

impl ClientAuthFailure {
    fn as_str(self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown_client",
            Self::WrongSecret => "wrong_secret",
            Self::WrongMethod => "wrong_method",
            Self::Inactive => "inactive_client",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    /// One counter per grant, of the configured signing algorithm, in `GrantType::ALL` order.
    tokens_issued: Vec<Counter>,
    token_errors: Family<Labels1, Counter>,
    client_auth_failures: Family<Labels1, Counter>,
    throttled: Family<Labels1, Counter>,
    refresh_token_reuse: Counter,
    authorization_requests: Family<Labels1, Counter>,
    notices_queued: Counter,
    notices_sent: Counter,
    notices_failed: Family<Labels1, Counter>,
    outbox_waiting: Gauge,
    outbox_oldest_waiting: Gauge,
    pool_in_use: Gauge,
    pool_size: Gauge,
    token_latency: Histogram,
    back_office_latency: Histogram,
}

impl Metrics {
    /// `password_checks` is the password verifier's own counter, registered here.
    pub fn new(signing_alg: &'static str, password_checks: Counter) -> Self {
        let mut registry = Registry::with_prefix("tessera");
        let issued = Family::<Labels2, Counter>::default();
        registry.register(
            "tokens_issued",
            "Access tokens issued, by grant and signing algorithm",
            issued.clone(),
        );
        let tokens_issued = GrantType::ALL
            .iter()
            .map(|g| issued.get_or_create_owned(&[("grant", g.as_str()), ("alg", signing_alg)]))
            .collect();
        let metrics = Self {
            registry,
            tokens_issued,
            token_errors: Family::default(),
            client_auth_failures: Family::default(),
            throttled: Family::default(),
            refresh_token_reuse: Counter::default(),
            authorization_requests: Family::default(),
            notices_queued: Counter::default(),
            notices_sent: Counter::default(),
            notices_failed: Family::default(),
            outbox_waiting: Gauge::default(),
            outbox_oldest_waiting: Gauge::default(),
            pool_in_use: Gauge::default(),
            pool_size: Gauge::default(),
            token_latency: Histogram::new(LATENCY_BUCKETS),
            back_office_latency: Histogram::new(LATENCY_BUCKETS),
        };
        metrics.register_all(password_checks)
    }

    fn register_all(mut self, password_checks: Counter) -> Self {
        let r = &mut self.registry;
        r.register(
            "token_errors",
            "Token endpoint error answers, by RFC 6749 error code",
            self.token_errors.clone(),
        );
        r.register(
            "client_auth_failures",
            "Failed client authentications at the token, revocation and introspection endpoints, by reason",
            self.client_auth_failures.clone(),
        );
        r.register(
            "throttled_requests",
            "Requests refused by a throttle, by what was throttled",
            self.throttled.clone(),
        );
        r.register(
            "password_checks",
            "Password verifications run (argon2id)",
            password_checks,
        );
        r.register(
            "refresh_token_reuse",
            "Spent refresh tokens presented again (each revokes its family)",
            self.refresh_token_reuse.clone(),
        );
        r.register(
            "authorization_requests",
            "Authorization requests, by outcome",
            self.authorization_requests.clone(),
        );
        r.register(
            "notices_queued",
            "Notices taken from the outbox for their first attempt (queued by any process, or retried from Notifications)",
            self.notices_queued.clone(),
        );
        r.register(
            "notices_sent",
            "Notices delivered",
            self.notices_sent.clone(),
        );
        r.register(
            "notices_failed",
            "Failed delivery attempts, by outcome: retrying or given_up",
            self.notices_failed.clone(),
        );
        r.register(
            "outbox_waiting",
            "Outbox rows waiting to be sent",
            self.outbox_waiting.clone(),
        );
        r.register(
            "outbox_oldest_waiting_seconds",
            "Age of the oldest outbox row waiting to be sent",
            self.outbox_oldest_waiting.clone(),
        );
        r.register(
            "db_pool_connections_in_use",
            "Database connections lent out",
            self.pool_in_use.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database connections open",
            self.pool_size.clone(),
        );
        r.register(
            "token_request_duration_seconds",
            "Time to answer POST /oauth2-token",
            self.token_latency.clone(),
        );
        r.register(
            "backoffice_request_duration_seconds",
            "Time to answer a back-office request",
            self.back_office_latency.clone(),
        );
        self
    }

    pub fn token_issued(&self, grant: GrantType) {
        if let Some(i) = GrantType::ALL.iter().position(|g| *g == grant) {
            self.tokens_issued[i].inc();
        }
    }

    pub fn token_error(&self, code: &'static str) {
        self.token_errors.get_or_create(&[("error", code)]).inc();
    }

    pub fn token_latency(&self, elapsed: Duration) {
        self.token_latency.observe(elapsed.as_secs_f64());
    }

    pub fn client_auth_failed(&self, why: ClientAuthFailure) {
        self.client_auth_failures
            .get_or_create(&[("reason", why.as_str())])
            .inc();
    }

    pub fn throttled(&self, what: Throttled) {
        self.throttled
            .get_or_create(&[("what", what.as_str())])
            .inc();
    }

    pub fn refresh_token_reused(&self) {
        self.refresh_token_reuse.inc();
    }

    /// Call once per authorization request, when its answer is decided.
    pub fn authorization_request(&self, outcome: AuthorizationOutcome) {
        self.authorization_requests
            .get_or_create(&[("outcome", outcome.as_str())])
            .inc();
    }

    pub fn notice_queued(&self) {
        self.notices_queued.inc();
    }

    pub fn notice_sent(&self) {
        self.notices_sent.inc();
    }

    pub fn notice_failed(&self, given_up: bool) {
        let outcome = if given_up { "given_up" } else { "retrying" };
        self.notices_failed
            .get_or_create(&[("outcome", outcome)])
            .inc();
    }

    /// The exposition in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
