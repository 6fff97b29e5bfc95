use super::Invalid;
use chrono::TimeDelta;

/// A token lifetime an administrator set for one application, in seconds; blank means the
/// server's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime(i32);

/// Access tokens cannot be revoked once read by an API that does not introspect, so they
/// stay short: one minute to one day.
pub const ACCESS_TOKEN_RANGE: (i32, i32) = (60, 86_400);
/// Refresh tokens: one minute to one year (the family's absolute lifetime still applies).
pub const REFRESH_TOKEN_RANGE: (i32, i32) = (60, 31_536_000);

impl Lifetime {
    /// Whole seconds within `range`; blank is `None`, the server default.
    pub fn parse_optional(
        raw: &str,
        what: &str,
        range: (i32, i32),
    ) -> Result<Option<Self>, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let (min, max) = range;
        let message = || {
            Invalid::new(format!(
                "The {what} lifetime is a whole number of seconds from {min} to {max}, or blank for the server default."
            ))
        };
        let seconds: i32 = raw.parse().map_err(|_| message())?;
        if !(min..=max).contains(&seconds) {
            return Err(message());
        }
        Ok(Some(Self(seconds)))
    }

    pub fn access_token(raw: &str) -> Result<Option<Self>, Invalid> {
        Self::parse_optional(raw, "access token", ACCESS_TOKEN_RANGE)
    }

    pub fn refresh_token(raw: &str) -> Result<Option<Self>, Invalid> {
        Self::parse_optional(raw, "refresh token", REFRESH_TOKEN_RANGE)
    }

    pub fn seconds(self) -> i32 {
        self.0
    }

    pub fn as_delta(self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.0))
    }
}

/// How long the secrets an application already has keep working after a new one is added:
/// `1d`, `7d`, `30d` (any count of `s`, `m`, `h` or `d`), or `never` (until disabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireOld {
    Never,
    After(TimeDelta),
}

impl ExpireOld {
    /// What the back-office offers.
    pub const CHOICES: [(&'static str, &'static str); 4] = [
        ("never", "until I disable it"),
        ("1d", "for 1 day"),
        ("7d", "for 7 days"),
        ("30d", "for 30 days"),
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        let message = || {
            Invalid::new(
                "Give how long the old secrets keep working: never, or a number followed by s, m, h or d (7d).",
            )
        };
        if raw.eq_ignore_ascii_case("never") || raw.is_empty() {
            return Ok(Self::Never);
        }
        let split = raw.len().checked_sub(1).ok_or_else(message)?;
        let (count, unit) = raw.split_at(split);
        let count: i64 = count.parse().map_err(|_| message())?;
        let seconds = match unit {
            "s" => Some(count),
            "m" => count.checked_mul(60),
            "h" => count.checked_mul(3600),
            "d" => count.checked_mul(86_400),
            _ => None,
        }
        .filter(|s| (0..=10 * 365 * 86_400).contains(s))
        .ok_or_else(message)?;
        Ok(Self::After(TimeDelta::seconds(seconds)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_lifetimes_run_from_a_minute_to_a_day_and_blank_is_the_default() {
        assert_eq!(Lifetime::access_token(" ").unwrap(), None);
        assert_eq!(Lifetime::access_token("60").unwrap().unwrap().seconds(), 60);
        assert_eq!(
            Lifetime::access_token("86400").unwrap().unwrap().seconds(),
            86_400
        );
        for bad in ["59", "86401", "-1", "1h", "3.5", "99999999999"] {
            assert!(Lifetime::access_token(bad).is_err(), "{bad}");
        }
        assert!(Lifetime::refresh_token("2592000").unwrap().is_some());
        assert!(Lifetime::refresh_token("31536001").is_err());
    }

    #[test]
    fn old_secrets_expire_after_a_count_of_units_or_never() {
        assert_eq!(ExpireOld::parse("never").unwrap(), ExpireOld::Never);
        assert_eq!(
            ExpireOld::parse("7d").unwrap(),
            ExpireOld::After(TimeDelta::days(7))
        );
        assert_eq!(
            ExpireOld::parse("90m").unwrap(),
            ExpireOld::After(TimeDelta::minutes(90))
        );
        assert_eq!(
            ExpireOld::parse("0s").unwrap(),
            ExpireOld::After(TimeDelta::zero())
        );
        for bad in ["d", "7", "7w", "-1d", "x1d", "99999999999d"] {
            assert!(ExpireOld::parse(bad).is_err(), "{bad}");
        }
        for (value, _) in ExpireOld::CHOICES {
            assert!(ExpireOld::parse(value).is_ok());
        }
    }
}
