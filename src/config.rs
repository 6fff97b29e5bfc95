//! Typed settings from `TESSERA_*` environment variables over an optional `tessera.toml`.
//! A bad value stops the start with one line that names the setting.

use crate::db::DatabaseUrl;
use crate::oauth::keys::SigningAlg;
use chrono::TimeDelta;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://var/tessera.db";
const DEFAULT_BIND: &str = "127.0.0.1:8080";
const CONFIG_FILE: &str = "tessera.toml";

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {reason}")]
pub struct ConfigError {
    pub setting: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    /// The embedded default may create its own `var/` folder; a URL someone typed may not.
    pub database_url_is_default: bool,
    pub bind: SocketAddr,
    /// Public base URL without a trailing slash: the JWT `iss` and the base of every link.
    pub issuer: String,
    pub keys_dir: PathBuf,
    pub generate_keys: bool,
    pub signing_alg: SigningAlg,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_notify_override: Option<String>,
    pub outbox_dir: PathBuf,
    pub access_token_ttl: TimeDelta,
    pub refresh_tokens: bool,
    pub refresh_token_ttl: TimeDelta,
    /// Refresh tokens rotate, but a family lives no longer than this (ASVS 10.4.8).
    pub refresh_token_absolute_ttl: TimeDelta,
    pub session_idle_timeout: TimeDelta,
    /// Back-office users without a role may manage the applications they own.
    pub self_service: bool,
    pub session_absolute_timeout: TimeDelta,
    pub workers: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where `/metrics` is served; `None`: nowhere.
    pub metrics_bind: Option<SocketAddr>,
    /// How long usage rows are kept.
    pub usage_retention: TimeDelta,
    /// How long an authorization code may wait for its exchange (RFC 6749 §4.1.2).
    pub authorization_code_ttl: TimeDelta,
    /// How long a person has to sign in and consent before the request must start again.
    pub authorization_request_ttl: TimeDelta,
    /// PKCE for every application (RFC 9700 §2.1.1), or only for public ones.
    pub pkce_required_for_all: bool,
    pub sso_idle_timeout: TimeDelta,
    pub sso_absolute_timeout: TimeDelta,
    /// How long a one-time link to collect an application's credentials works.
    pub credential_link_ttl: TimeDelta,
}

impl Settings {
    /// Reads `tessera.toml` (or the file named by `TESSERA_CONFIG`) and then the environment,
    /// which wins.
    pub fn load() -> Result<Self, ConfigError> {
        let mut values = HashMap::new();
        let file = std::env::var("TESSERA_CONFIG").unwrap_or_else(|_| CONFIG_FILE.to_owned());
        match std::fs::read_to_string(&file) {
            Ok(text) => values.extend(parse_toml(&file, &text)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(error("TESSERA_CONFIG", format!("cannot read {file}: {e}"))),
        }
        values.extend(std::env::vars().filter(|(k, _)| k.starts_with("TESSERA_")));
        Self::from_values(&values)
    }

    pub fn from_values(values: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |key: &str| values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());

        let database_url_raw = get("TESSERA_DATABASE_URL");
        let database_url = DatabaseUrl::parse(database_url_raw.unwrap_or(DEFAULT_DATABASE_URL))
            .map_err(|r| error("TESSERA_DATABASE_URL", r))?;
        let bind: SocketAddr = get("TESSERA_BIND")
            .unwrap_or(DEFAULT_BIND)
            .parse()
            .map_err(|_| error("TESSERA_BIND", "expected an address like 127.0.0.1:8080"))?;
        let issuer = match get("TESSERA_ISSUER") {
            Some(url) => parse_issuer(url)?,
            None => format!("http://{bind}"),
        };
        let signing_alg = match get("TESSERA_SIGNING_ALG") {
            Some(alg) => alg.parse().map_err(|r| error("TESSERA_SIGNING_ALG", r))?,
            None => SigningAlg::Es256,
        };
        let mail_from = get("TESSERA_MAIL_FROM")
            .unwrap_or("Tessera <tessera@localhost>")
            .to_owned();
        lettre_address_check(&mail_from)?;

        Ok(Self {
            database_url,
            database_url_is_default: database_url_raw.is_none(),
            bind,
            issuer,
            keys_dir: PathBuf::from(get("TESSERA_KEYS_DIR").unwrap_or("keys")),
            generate_keys: parse_bool(values, "TESSERA_GENERATE_KEYS", true)?,
            signing_alg,
            smtp_url: get("TESSERA_SMTP_URL").map(str::to_owned),
            mail_from,
            mail_notify_override: get("TESSERA_MAIL_NOTIFY_OVERRIDE").map(str::to_owned),
            outbox_dir: PathBuf::from(get("TESSERA_OUTBOX_DIR").unwrap_or("var/outbox")),
            access_token_ttl: parse_seconds(values, "TESSERA_ACCESS_TOKEN_TTL", 3600)?,
            refresh_tokens: parse_bool(values, "TESSERA_REFRESH_TOKENS", true)?,
            refresh_token_ttl: parse_seconds(values, "TESSERA_REFRESH_TOKEN_TTL", 30 * 86_400)?,
            refresh_token_absolute_ttl: parse_seconds(
                values,
                "TESSERA_REFRESH_TOKEN_ABSOLUTE_TTL",
                90 * 86_400,
            )?,
            session_idle_timeout: parse_seconds(values, "TESSERA_SESSION_IDLE_TIMEOUT", 1800)?,
            self_service: parse_bool(values, "TESSERA_SELF_SERVICE", true)?,
            session_absolute_timeout: parse_seconds(
                values,
                "TESSERA_SESSION_ABSOLUTE_TIMEOUT",
                12 * 3600,
            )?,
            workers: match get("TESSERA_WORKERS") {
                Some(n) => n
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| error("TESSERA_WORKERS", "expected a positive number"))?,
                None => std::thread::available_parallelism().map_or(2, |n| n.get()),
            },
            trusted_proxies: get("TESSERA_TRUSTED_PROXIES")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.parse().map_err(|_| {
                        error(
                            "TESSERA_TRUSTED_PROXIES",
                            format!("`{a}` is not an IP address"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            metrics_bind: get("TESSERA_METRICS_BIND")
                .map(|a| {
                    a.parse().map_err(|_| {
                        error(
                            "TESSERA_METRICS_BIND",
                            "expected an address like 127.0.0.1:9464",
                        )
                    })
                })
                .transpose()?,
            usage_retention: match get("TESSERA_USAGE_RETENTION_DAYS") {
                Some(days) => days
                    .parse::<i64>()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .map(TimeDelta::days)
                    .ok_or_else(|| {
                        error(
                            "TESSERA_USAGE_RETENTION_DAYS",
                            "expected a number of days from 1 to 3650",
                        )
                    })?,
                None => TimeDelta::days(90),
            },
            authorization_code_ttl: parse_seconds(values, "TESSERA_AUTHORIZATION_CODE_TTL", 60)?,
            authorization_request_ttl: parse_seconds(
                values,
                "TESSERA_AUTHORIZATION_REQUEST_TTL",
                600,
            )?,
            pkce_required_for_all: match get("TESSERA_PKCE_REQUIRED") {
                None | Some("all") => true,
                Some("public") => false,
                Some(_) => {
                    return Err(error("TESSERA_PKCE_REQUIRED", "expected `all` or `public`"));
                }
            },
            sso_idle_timeout: parse_seconds(values, "TESSERA_SSO_IDLE_TIMEOUT", 3600)?,
            sso_absolute_timeout: parse_seconds(values, "TESSERA_SSO_ABSOLUTE_TIMEOUT", 8 * 3600)?,
            credential_link_ttl: parse_seconds(values, "TESSERA_CREDENTIAL_LINK_TTL", 48 * 3600)?,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The issuer without a trailing slash, for building Tessera's own URLs.
    pub fn base_url(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }
}

fn error(setting: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        reason: reason.into(),
    }
}

fn parse_issuer(url: &str) -> Result<String, ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| error("TESSERA_ISSUER", "expected an http:// or https:// URL"))?;
    if rest.is_empty() || url.contains(['?', '#', ' ']) {
        return Err(error(
            "TESSERA_ISSUER",
            "expected a URL without query or fragment",
        ));
    }
    // RFC 8414 §3.3 and RFC 9068 §4: the issuer is compared as a string, so it is kept
    // exactly as configured, a trailing slash included.
    Ok(url.to_owned())
}

fn parse_bool(
    values: &HashMap<String, String>,
    key: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match values
        .get(key)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(_) => Err(error(key, "expected true or false")),
    }
}

fn parse_seconds(
    values: &HashMap<String, String>,
    key: &str,
    default: i64,
) -> Result<TimeDelta, ConfigError> {
    let seconds = match values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => default,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|s| *s > 0 && *s <= 10 * 365 * 86_400)
            .ok_or_else(|| error(key, "expected a number of seconds greater than zero"))?,
    };
    Ok(TimeDelta::seconds(seconds))
}

fn lettre_address_check(from: &str) -> Result<(), ConfigError> {
    from.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| error("TESSERA_MAIL_FROM", format!("not a mail address: {e}")))
}

/// `tessera.toml` holds the same settings as the environment, named without the prefix:
/// `database_url = "postgres://..."`.
fn parse_toml(file: &str, text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e| error("TESSERA_CONFIG", format!("{file}: {e}")))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(error(
                        "TESSERA_CONFIG",
                        format!("{file}: `{key}` has an unsupported value {other}"),
                    ));
                }
            };
            Ok((format!("TESSERA_{}", key.to_ascii_uppercase()), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let values = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_values(&values)
    }

    #[test]
    fn defaults_are_the_embedded_installation() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, DatabaseUrl::Sqlite("var/tessera.db".into()));
        assert!(s.database_url_is_default);
        assert_eq!(s.issuer, "http://127.0.0.1:8080");
        assert_eq!(s.access_token_ttl, TimeDelta::seconds(3600));
        assert!(s.refresh_tokens);
        assert!(s.smtp_url.is_none());
        assert_eq!(s.credential_link_ttl, TimeDelta::hours(48));
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        let e = settings(&[("TESSERA_BIND", "nowhere")]).unwrap_err();
        assert_eq!(e.setting, "TESSERA_BIND");
        let e = settings(&[("TESSERA_ACCESS_TOKEN_TTL", "-5")]).unwrap_err();
        assert_eq!(e.setting, "TESSERA_ACCESS_TOKEN_TTL");
        let e = settings(&[("TESSERA_SIGNING_ALG", "HS256")]).unwrap_err();
        assert_eq!(e.setting, "TESSERA_SIGNING_ALG");
        let e = settings(&[("TESSERA_TRUSTED_PROXIES", "10.0.0.1, proxy")]).unwrap_err();
        assert_eq!(e.setting, "TESSERA_TRUSTED_PROXIES");
        let e = settings(&[("TESSERA_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid setting TESSERA_DATABASE_URL")
        );
    }

    #[test]
    fn the_issuer_is_used_exactly_with_its_trailing_slash_rfc_8414_section_3_3() {
        let s = settings(&[("TESSERA_ISSUER", "https://auth.example.com/")]).unwrap();
        assert_eq!(s.issuer, "https://auth.example.com/");
        assert_eq!(s.base_url(), "https://auth.example.com");
        assert!(s.secure_cookies());
    }

    #[test]
    fn toml_keys_map_to_their_environment_names() {
        let values = parse_toml("t", "database_url = \"postgres://x/y\"\nworkers = 3").unwrap();
        assert_eq!(values["TESSERA_DATABASE_URL"], "postgres://x/y");
        assert_eq!(values["TESSERA_WORKERS"], "3");
    }
}
