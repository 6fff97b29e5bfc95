//! Client authentication: `client_secret_basic` or `client_secret_post`, exactly one of them
//! (RFC 6749 §2.3); or, for a public client where the endpoint and grant allow it, the
//! `client_id` alone (`token_endpoint_auth_method` `none`, RFC 7591 §2). A public client
//! presenting a secret, or a confidential one presenting none, fails authentication.
//!
//! A success is usually decided from memory (`crate::readmodel`). An unknown client, a wrong
//! secret and an inactive client all get the same 401, after the same work: one query, a
//! constant-time comparison (against a dummy hash when there is nothing to compare with),
//! and an audit row.

use crate::audit::{self, Actor, AuditAction};
use crate::db::models::client::{self, Client, ForAuthentication};
use crate::db::models::user::User;
use crate::domain::secret::constant_time_eq;
use crate::domain::{PlainSecret, SecretHash};
use crate::metrics::{ClientAuthFailure, Throttled};
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::throttles;
use crate::readmodel::Entry;
use crate::state::AppState;
use crate::throttle::{self, OnSuccess, retry_after_seconds};
use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::NaiveDateTime;
use std::sync::Arc;

/// Standard base64; some clients drop the padding, which changes nothing about the value.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Compared against when there is no stored secret: the SHA-256 of nothing anyone sends.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How much of a presented client id the audit log keeps.
const MAX_AUDITED_ID: usize = 64;

/// Credentials as presented, before anything is looked up. A public client sends no secret.
#[derive(Debug)]
pub struct Credentials {
    pub client_id: String,
    pub secret: Option<PlainSecret>,
}

/// Whether the endpoint, for the grant asked for, accepts a public client identified by its
/// `client_id` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicClients {
    Accepted,
    Refused,
}

/// A client that proved who it is, with the user its `client_credentials` tokens act for.
pub struct AuthenticatedClient {
    /// The in-memory entry it was authenticated from, shared and not copied; or one made of
    /// the rows read. It keeps Last Used At's one-write-a-minute rule without reading the row.
    pub entry: Arc<Entry>,
    /// Which of the application's secrets was presented; none for a public client.
    pub secret_id: Option<i64>,
}

impl AuthenticatedClient {
    pub fn client(&self) -> &Client {
        &self.entry.client
    }

    /// The application, for work that outlives the request's borrow (a blocking query).
    pub fn shared_client(&self) -> Arc<Client> {
        Arc::clone(&self.entry.client)
    }

    pub fn owner(&self) -> Option<&User> {
        self.entry.owner.as_deref()
    }
}

/// Picks the one set of credentials the request carries.
pub fn credentials(req: &HttpRequest, params: &Params) -> Result<Credentials, OAuthError> {
    let basic = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => Some(parse_basic(value.as_bytes())?),
        None => None,
    };
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    match basic {
        Some(_) if body_secret.is_some() => Err(OAuthError::invalid_request(
            "Use one client authentication method, not the Authorization header and client_secret together.",
        )),
        Some((id, _)) if body_id.is_some_and(|b| b != id) => Err(OAuthError::invalid_request(
            "The client_id in the body differs from the one in the Authorization header.",
        )),
        // Some libraries send a public client's id as `id:` in Basic: no secret.
        Some((client_id, secret)) => Ok(Credentials {
            client_id,
            secret: Some(secret)
                .filter(|s| !s.is_empty())
                .map(|s| PlainSecret::presented(&s)),
        }),
        None => match (body_id, body_secret) {
            (Some(client_id), secret) => Ok(Credentials {
                client_id: client_id.to_owned(),
                secret: secret.map(PlainSecret::presented),
            }),
            (None, Some(_)) => Err(OAuthError::invalid_request(
                "client_secret was sent without client_id.",
            )),
            _ => Err(OAuthError::InvalidClient),
        },
    }
}

/// RFC 6749 §2.3.1 and Appendix B: base64 of `id:secret`, split at the first colon, each half
/// form-urlencoded. Another scheme is a failed client authentication (401); a Basic header
/// that cannot be read is a malformed request (400).
pub fn parse_basic(value: &[u8]) -> Result<(String, String), OAuthError> {
    let malformed = || OAuthError::invalid_request("The Basic Authorization header is malformed.");
    let value = std::str::from_utf8(value).map_err(|_| malformed())?.trim();
    let (scheme, encoded) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidClient);
    }
    let decoded = BASIC.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_urldecode(id).ok_or_else(malformed)?;
    let secret = form_urldecode(secret).ok_or_else(malformed)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id, secret))
}

/// `application/x-www-form-urlencoded` decoding of one value, strict about `%`: `+` is a
/// space, `%XX` a byte, and the bytes must be UTF-8.
fn form_urldecode(text: &str) -> Option<String> {
    if !text.contains(['+', '%']) {
        return Some(text.to_owned());
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut input = text.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = (input.next()? as char).to_digit(16)?;
                let lo = (input.next()? as char).to_digit(16)?;
                bytes.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// Why authentication failed, for the audit log only: the caller always sees the same 401.
#[derive(Clone, Copy)]
enum Failure {
    UnknownClient,
    WrongSecret,
    NoSecret,
    PublicWithSecret,
    PublicRefused,
    Inactive,
}

impl Failure {
    fn metric(self) -> ClientAuthFailure {
        match self {
            Self::UnknownClient => ClientAuthFailure::UnknownClient,
            Self::WrongSecret => ClientAuthFailure::WrongSecret,
            Self::NoSecret | Self::PublicWithSecret | Self::PublicRefused => {
                ClientAuthFailure::WrongMethod
            }
            Self::Inactive => ClientAuthFailure::Inactive,
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown client",
            Self::WrongSecret => "wrong secret",
            Self::NoSecret => "confidential client without a secret",
            Self::PublicWithSecret => "public client presented a secret",
            Self::PublicRefused => "public client where only confidential ones are accepted",
            Self::Inactive => "inactive client",
        }
    }
}

/// Authenticates the client of a token, revocation or introspection request.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    params: &Params,
    public: PublicClients,
    now: NaiveDateTime,
) -> Result<AuthenticatedClient, OAuthError> {
    let credentials = credentials(req, params)?;
    let ip = crate::client_address::of(req);
    let limits = &state.token_throttles;
    let holds = [
        limits.client.hold(
            throttles::client_key(&credentials.client_id, ip.as_deref()),
            OnSuccess::Clear,
        ),
        limits
            .client_address
            .hold(throttles::address_key(ip.as_deref()), OnSuccess::Keep),
    ];
    let throttled = |wait| OAuthError::Throttled {
        retry_after_seconds: retry_after_seconds(wait),
    };
    if let Some(wait) = throttle::refused(now, &holds) {
        let what = match holds[0].refusal(now) {
            Some(_) => Throttled::Client,
            None => Throttled::ClientAddress,
        };
        state.throttled(what);
        return Err(throttled(wait));
    }

    let presented = credentials.secret.as_ref().map(PlainSecret::hash);
    // The common case, from memory: a known, active, confidential application and one of its
    // live secrets. Anything else goes to the database, which also records the failure.
    if let Some(presented) = &presented
        && let Some(entry) = state.read_model.client(&credentials.client_id)
        && entry.client.active
        && entry.client.confidential
        && let Some(secret_id) = entry.matching_secret(presented, now)
    {
        // A success clears the pair's failures, as one from the database does.
        throttle::succeeded(&holds);
        crate::oauth::cors::remember(req, &entry.client);
        return Ok(AuthenticatedClient {
            entry,
            secret_id: Some(secret_id),
        });
    }
    let client_id = credentials.client_id;
    let lookup = client_id.clone();
    let found = crate::db::query(&state.pool, move |conn| {
        client::find_for_authentication(conn, &lookup, now)
    })
    .await?;
    // The secret is compared while the counts are locked and a failure counted before they
    // are unlocked, so concurrent guesses cannot outrun the count; a comparison takes
    // nanoseconds, so legitimate requests in flight together never wait for each other.
    let verdict = throttle::decide(now, &holds, || verify(found, presented.as_ref(), public))
        .map_err(throttled)?;
    let (failure, target) = match verdict {
        Ok((found, secret_id)) => {
            crate::oauth::cors::remember(req, &found.client);
            return Ok(AuthenticatedClient {
                entry: Arc::new(Entry::read(found.client, found.owner)),
                secret_id,
            });
        }
        Err(failure) => failure,
    };
    state.metrics.client_auth_failed(failure.metric());
    state.usage.failure(target);
    let claimed: String = client_id.chars().take(MAX_AUDITED_ID).collect();
    crate::db::query(&state.pool, move |conn| {
        audit::record(
            conn,
            &Actor::anonymous(claimed, ip),
            AuditAction::ClientAuthFailed,
            target,
            failure.detail(),
            now,
        )
    })
    .await?;
    Err(OAuthError::InvalidClient)
}

/// Compares the presented secret with every stored hash, without stopping at a match; with
/// none, a dummy takes their place so the work is the same. Then applies the method rules:
/// a confidential client presents a secret, a public one none, and only where `public`
/// accepts it (RFC 6749 §2.1, §3.2.1). A failure comes with the id of the client it was
/// about, for the audit log.
fn verify(
    found: Option<ForAuthentication>,
    presented: Option<&SecretHash>,
    public: PublicClients,
) -> Result<(ForAuthentication, Option<i64>), (Failure, Option<i64>)> {
    let stored: &[(i64, String)] = found.as_ref().map_or(&[], |f| &f.secrets);
    let dummy = [(0, DUMMY_HASH.to_owned())];
    let candidates = if stored.is_empty() {
        &dummy[..]
    } else {
        stored
    };
    let mut matched = None;
    if let Some(presented) = presented {
        for (id, hash) in candidates {
            if constant_time_eq(hash.as_bytes(), presented.as_str().as_bytes()) {
                matched = Some(*id);
            }
        }
    }
    let matched = matched.filter(|_| !stored.is_empty());
    let Some(found) = found else {
        return Err((Failure::UnknownClient, None));
    };
    let confidential = found.client.confidential;
    let failure = if confidential && presented.is_none() {
        Some(Failure::NoSecret)
    } else if confidential && matched.is_none() {
        Some(Failure::WrongSecret)
    } else if !confidential && presented.is_some() {
        Some(Failure::PublicWithSecret)
    } else if !confidential && public == PublicClients::Refused {
        Some(Failure::PublicRefused)
    } else if !found.client.active {
        Some(Failure::Inactive)
    } else {
        None
    };
    match failure {
        Some(failure) => Err((failure, Some(found.client.id))),
        None => Ok((found, matched)),
    }
}

/// Revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1) start alike: read the body,
/// authenticate the client, take the `token` parameter.
pub async fn token_request(
    req: &HttpRequest,
    state: &AppState,
    payload: actix_web::web::Payload,
    public: PublicClients,
) -> Result<(AuthenticatedClient, String), OAuthError> {
    let params = Params::read(req, payload).await?;
    let auth = authenticate(state, req, &params, public, state.now()).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required."))?
        .to_owned();
    Ok((auth, token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    fn is_invalid_request(result: Result<(String, String), OAuthError>) -> bool {
        matches!(result, Err(OAuthError::InvalidRequest(_)))
    }

    #[test]
    fn basic_credentials_split_at_the_first_colon_and_are_form_decoded() {
        let (id, secret) =
            parse_basic(basic("my%3Aclient:s%25e+c%2Bret:x%20y").as_bytes()).unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "s%e c+ret:x y");
    }

    #[test]
    fn the_basic_scheme_is_case_insensitive_and_padding_is_optional() {
        let header = basic("id:secret").replace("Basic", "bAsIc");
        assert_eq!(
            parse_basic(header.as_bytes()).unwrap(),
            ("id".into(), "secret".into())
        );
        let unpadded = format!(
            "Basic {}",
            STANDARD.encode("id:secre").trim_end_matches('=')
        );
        assert_eq!(parse_basic(unpadded.as_bytes()).unwrap().1, "secre");
    }

    #[test]
    fn an_empty_secret_is_a_wrong_secret_not_a_malformed_header() {
        assert_eq!(
            parse_basic(basic("id:").as_bytes()).unwrap(),
            ("id".into(), String::new())
        );
    }

    #[test]
    fn malformed_basic_headers_are_invalid_requests() {
        assert!(is_invalid_request(parse_basic(b"Basic !!!notbase64")));
        assert!(is_invalid_request(parse_basic(
            basic("no-colon").as_bytes()
        )));
        assert!(is_invalid_request(parse_basic(basic(":secret").as_bytes())));
        assert!(is_invalid_request(parse_basic(
            basic("id:bad%zz").as_bytes()
        )));
        assert!(is_invalid_request(parse_basic(
            basic("id:cut%4").as_bytes()
        )));
        assert!(is_invalid_request(parse_basic(basic("id:%ff").as_bytes())));
        assert!(is_invalid_request(parse_basic(b"Basic")));
    }

    #[test]
    fn another_scheme_is_a_failed_client_authentication() {
        assert!(matches!(
            parse_basic(b"Bearer abc"),
            Err(OAuthError::InvalidClient)
        ));
    }
}
