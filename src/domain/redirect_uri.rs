use super::Invalid;
use url::{Host, Url};

/// How many redirect URIs (and JavaScript origins) one application may register.
pub const MAX_PER_APPLICATION: usize = 20;

/// Longer than any address a browser keeps reliably.
const MAX_LENGTH: usize = 2000;

/// The loopback hosts of RFC 8252 §7.3, as `url` writes them.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "[::1]", "localhost"];

/// Whether `url` is `http` on a loopback host, where a native application listens on a
/// port of its choosing (RFC 8252 §7.3).
fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http" && url.host_str().is_some_and(|h| LOOPBACK_HOSTS.contains(&h))
}

/// What is refused in any registered address: blanks, control characters, wildcards.
fn check_characters(raw: &str, what: &str) -> Result<(), Invalid> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(format!(
            "{what} cannot contain spaces or control characters."
        )));
    }
    if raw.contains('*') {
        return Err(Invalid::new(format!(
            "{what} cannot contain wildcards (*): register each address in full."
        )));
    }
    if raw.len() > MAX_LENGTH {
        return Err(Invalid::new(format!(
            "{what} has at most {MAX_LENGTH} characters."
        )));
    }
    Ok(())
}

/// A registered redirect URI, kept exactly as written: an authorization request's
/// `redirect_uri` must equal it character for character (RFC 6749 §3.1.2.3, RFC 9700
/// §4.1.3), loopback ports aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// An absolute URI without fragment (RFC 6749 §3.1.2) and without wildcards: `https`,
    /// `http` on a loopback address (RFC 8252 §7.3), or a private-use scheme named after a
    /// reversed domain (`com.example.app:/cb`, RFC 8252 §7.1).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        check_characters(raw, "A redirect URI")?;
        if raw.contains('#') {
            return Err(Invalid::new(
                "A redirect URI cannot have a fragment (#...), RFC 6749 section 3.1.2.",
            ));
        }
        let url = Url::parse(raw).map_err(|_| {
            Invalid::new("A redirect URI must be absolute, starting with https://.")
        })?;
        match url.scheme() {
            "https" => {
                if url.host().is_none() {
                    return Err(Invalid::new("An https redirect URI needs a host."));
                }
            }
            "http" if is_loopback_http(&url) => {}
            "http" => {
                return Err(Invalid::new(
                    "A redirect URI must use https; http is allowed only for 127.0.0.1, [::1] and localhost.",
                ));
            }
            scheme if scheme.contains('.') => {
                if url
                    .host()
                    .is_some_and(|h| !matches!(h, Host::Domain(d) if d.is_empty()))
                {
                    return Err(Invalid::new(
                        "A private-use redirect URI has a path and no host, like com.example.app:/callback.",
                    ));
                }
            }
            _ => {
                return Err(Invalid::new(
                    "A redirect URI must use https, loopback http, or a private-use scheme named after a reversed domain (com.example.app:/callback).",
                ));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(
                "A redirect URI cannot carry a user name or password.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Splits a loopback `http` URI into (host, port, the rest from the path on), textually, so
/// nothing is normalised on the way.
fn split_loopback(uri: &str) -> Option<(&str, Option<&str>, &str)> {
    let after = uri.strip_prefix("http://")?;
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let close = v6.find(']')?;
        let host = &authority[..close + 2];
        match &authority[close + 2..] {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !LOOPBACK_HOSTS.contains(&host) {
        return None;
    }
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    Some((host, port, rest))
}

/// Whether a presented `redirect_uri` is the registered one: exact string comparison
/// (RFC 9700 §4.1.3), except that on a loopback `http` address the port may differ
/// (RFC 8252 §7.3).
pub fn matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    match (split_loopback(registered), split_loopback(presented)) {
        (Some((host_r, _, rest_r)), Some((host_p, _, rest_p))) => {
            host_r == host_p && rest_r == rest_p
        }
        _ => false,
    }
}

/// Parses one address a line, each bad line with its own message.
fn parse_lines<T>(
    raw: &str,
    what: &str,
    parse: impl Fn(&str) -> Result<T, Invalid>,
    same: impl Fn(&T, &T) -> bool,
) -> Result<Vec<T>, Vec<Invalid>> {
    let mut values: Vec<T> = Vec::new();
    let mut errors = Vec::new();
    let lines = raw
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, line)| !line.is_empty());
    for (index, line) in lines {
        match parse(line) {
            Ok(value) if values.iter().any(|v| same(v, &value)) => errors.push(Invalid::new(
                format!("Line {}: `{line}` is listed twice.", index + 1),
            )),
            Ok(value) => values.push(value),
            Err(why) => errors.push(Invalid::new(format!("Line {}: `{line}`: {why}", index + 1))),
        }
    }
    if values.len() > MAX_PER_APPLICATION {
        errors.push(Invalid::new(format!(
            "An application has at most {MAX_PER_APPLICATION} {what}."
        )));
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// An application's redirect URIs: at most twenty, distinct, stored one a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectUris(Vec<RedirectUri>);

impl RedirectUris {
    /// One URI a line, blank lines ignored; every bad line gets its own message.
    pub fn parse_lines(raw: &str) -> Result<Self, Vec<Invalid>> {
        parse_lines(raw, "redirect URIs", RedirectUri::parse, |a, b| a == b).map(Self)
    }

    /// What the database holds: written by Tessera, so a line it cannot read is dropped.
    pub fn from_stored(stored: &str) -> Self {
        Self(
            stored
                .lines()
                .filter_map(|line| RedirectUri::parse(line).ok())
                .collect(),
        )
    }

    pub fn to_stored(&self) -> String {
        self.iter().collect::<Vec<_>>().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(RedirectUri::as_str)
    }

    /// The registered URI a presented `redirect_uri` matches, if any.
    pub fn find(&self, presented: &str) -> Option<&RedirectUri> {
        self.0.iter().find(|r| matches(r.as_str(), presented))
    }
}

/// A JavaScript origin a browser application calls the token endpoint from:
/// `scheme://host[:port]`, kept in the form browsers send in `Origin` (RFC 6454 §6.1:
/// lower-case host, no default port), so the header compares as a plain string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// `https://host[:port]`, or `http` on a loopback address; no path, query or fragment.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        check_characters(raw, "An origin")?;
        let url = Url::parse(raw)
            .map_err(|_| Invalid::new("An origin is written scheme://host[:port]."))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_http(&url) => {}
            _ => {
                return Err(Invalid::new(
                    "An origin must use https; http is allowed only for 127.0.0.1, [::1] and localhost.",
                ));
            }
        }
        if url.host().is_none() {
            return Err(Invalid::new("An origin needs a host."));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(
                "An origin cannot carry a user name or password.",
            ));
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || url.path() != "/"
            || raw.ends_with('/')
        {
            return Err(Invalid::new(
                "An origin has no path, query or fragment, not even a trailing /: https://app.example.com.",
            ));
        }
        Ok(Self(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An application's JavaScript origins: at most twenty, distinct, stored one a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(Vec<Origin>);

impl Origins {
    pub fn parse_lines(raw: &str) -> Result<Self, Vec<Invalid>> {
        parse_lines(raw, "JavaScript origins", Origin::parse, |a, b| a == b).map(Self)
    }

    pub fn from_stored(stored: &str) -> Self {
        Self(
            stored
                .lines()
                .filter_map(|line| Origin::parse(line).ok())
                .collect(),
        )
    }

    pub fn to_stored(&self) -> String {
        self.iter().collect::<Vec<_>>().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Origin::as_str)
    }

    /// Whether the `Origin` header a browser sent is one of these.
    pub fn contains(&self, origin: &str) -> bool {
        self.iter().any(|o| o == origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_rfc_6749_section_3_1_2_and_rfc_8252_sections_7_1_and_7_3() {
        let good = [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?tenant=1",
            "http://127.0.0.1/callback",
            "http://127.0.0.1:51004/callback",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
            "com.example.app:/cb?x=1",
        ];
        for uri in good {
            let parsed = RedirectUri::parse(uri);
            assert!(parsed.is_ok(), "{uri}: {parsed:?}");
            assert_eq!(parsed.unwrap().as_str(), uri, "kept as written");
        }
        let bad = [
            ("/callback", "absolute"),
            ("app.example.com/cb", "absolute"),
            ("https://app.example.com/cb#top", "fragment"),
            ("https://app.example.com/cb#", "fragment"),
            ("https://*.example.com/cb", "wildcards"),
            ("https://app.example.com/*", "wildcards"),
            ("http://app.example.com/cb", "https"),
            ("http://127.0.0.2/cb", "https"),
            ("http://localhost.evil.com/cb", "https"),
            ("javascript:alert(1)", "private-use"),
            ("data:text/html,hi", "private-use"),
            ("file:///etc/passwd", "private-use"),
            ("myapp:/cb", "private-use"),
            ("com.example.app://host/cb", "no host"),
            ("https://user:pw@app.example.com/cb", "user name"),
            ("https://app.example.com/a b", "spaces"),
            ("https://", "absolute"),
        ];
        for (uri, why) in bad {
            match RedirectUri::parse(uri) {
                Ok(_) => panic!("{uri} was accepted"),
                Err(e) => assert!(e.0.contains(why), "{uri}: {e}"),
            }
        }
    }

    #[test]
    fn redirect_uris_match_exactly_except_the_loopback_port_of_rfc_8252_section_7_3() {
        let cases = [
            ("https://a.example/cb", "https://a.example/cb", true),
            ("https://a.example/cb", "https://a.example/cb/", false),
            ("https://a.example/cb", "https://A.example/cb", false),
            ("https://a.example/cb", "https://a.example/cb?x=1", false),
            ("https://a.example/cb", "https://a.example:443/cb", false),
            (
                "https://a.example:8443/cb",
                "https://a.example:9443/cb",
                false,
            ),
            ("http://127.0.0.1/cb", "http://127.0.0.1:51004/cb", true),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:9090/cb", true),
            ("http://[::1]:8080/cb", "http://[::1]:1/cb", true),
            ("http://localhost/cb", "http://localhost:3000/cb", true),
            ("http://127.0.0.1/cb", "http://127.0.0.1:51004/other", false),
            ("http://127.0.0.1/cb", "http://localhost:51004/cb", false),
            ("http://127.0.0.1/cb", "http://127.0.0.1:x/cb", false),
            ("http://127.0.0.1/cb", "http://127.0.0.1:/cb", false),
            ("http://127.0.0.1/cb", "http://127.0.0.1.evil.com/cb", false),
            ("http://127.0.0.1/cb", "https://127.0.0.1/cb", false),
            ("com.example.app:/cb", "com.example.app:/cb", true),
            ("com.example.app:/cb", "com.example.app:/cb2", false),
        ];
        for (registered, presented, expected) in cases {
            assert_eq!(
                matches(registered, presented),
                expected,
                "{registered} vs {presented}"
            );
        }
    }

    #[test]
    fn each_bad_redirect_uri_line_gets_its_own_message() {
        let raw = "https://ok.example/cb\n\nhttp://bad.example/cb\n https://ok.example/cb \nx#y";
        let errors = RedirectUris::parse_lines(raw).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].0.starts_with("Line 3: `http://bad.example/cb`: "));
        assert_eq!(
            errors[1].0,
            "Line 4: `https://ok.example/cb` is listed twice."
        );
        assert!(errors[2].0.starts_with("Line 5: `x#y`: "));
        let uris =
            RedirectUris::parse_lines(" https://a.example/1 \n\nhttps://a.example/2\n").unwrap();
        assert_eq!(uris.to_stored(), "https://a.example/1\nhttps://a.example/2");
        assert_eq!(RedirectUris::from_stored(&uris.to_stored()), uris);
        assert!(uris.find("https://a.example/2").is_some());
        assert!(uris.find("https://a.example/3").is_none());
    }

    #[test]
    fn at_most_twenty_redirect_uris_and_origins() {
        let twenty: Vec<String> = (0..20).map(|i| format!("https://a.example/{i}")).collect();
        assert_eq!(
            RedirectUris::parse_lines(&twenty.join("\n")).unwrap().len(),
            20
        );
        let more = format!("{}\nhttps://a.example/x", twenty.join("\n"));
        let errors = RedirectUris::parse_lines(&more).unwrap_err();
        assert_eq!(errors[0].0, "An application has at most 20 redirect URIs.");
        let origins: Vec<String> = (0..21).map(|i| format!("https://a{i}.example")).collect();
        assert!(Origins::parse_lines(&origins.join("\n")).is_err());
        assert!(Origins::parse_lines(&origins[..20].join("\n")).is_ok());
    }

    #[test]
    fn javascript_origins_are_scheme_host_and_port_in_the_form_browsers_send() {
        let good = [
            ("https://app.example.com", "https://app.example.com"),
            ("https://App.Example.com", "https://app.example.com"),
            (
                "https://app.example.com:8443",
                "https://app.example.com:8443",
            ),
            ("https://app.example.com:443", "https://app.example.com"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            ("http://localhost:5173", "http://localhost:5173"),
        ];
        for (raw, stored) in good {
            let parsed = Origin::parse(raw);
            assert!(parsed.is_ok(), "{raw}: {parsed:?}");
            assert_eq!(parsed.unwrap().as_str(), stored);
        }
        let bad = [
            ("https://app.example.com/", "trailing /"),
            ("https://app.example.com/app", "no path"),
            ("https://app.example.com?x=1", "no path"),
            ("https://app.example.com#x", "no path"),
            ("http://app.example.com", "https"),
            ("ftp://app.example.com", "https"),
            ("com.example.app:/cb", "https"),
            ("app.example.com", "scheme://host"),
            ("https://*.example.com", "wildcards"),
            ("https://u:p@app.example.com", "user name"),
            ("null", "scheme://host"),
        ];
        for (raw, why) in bad {
            match Origin::parse(raw) {
                Ok(o) => panic!("{raw} was accepted as {o:?}"),
                Err(e) => assert!(e.0.contains(why), "{raw}: {e}"),
            }
        }
        let origins = Origins::parse_lines("https://a.example\nhttp://localhost:3000").unwrap();
        assert!(origins.contains("http://localhost:3000"));
        assert!(!origins.contains("https://b.example"));
        assert!(!origins.contains("*"));
    }
}
