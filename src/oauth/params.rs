//! The parameters of a POST to the token, revocation or introspection endpoint.
//!
//! RFC 6749 §3.2 and §5.2: the body is form-encoded (or JSON, Oro's documented form); a
//! parameter sent twice is an error rather than a guess at which one was meant; an empty
//! value is the same as none; parameters nobody asked for are ignored. Credentials never
//! travel in the URL, where logs and proxies keep them (§2.3.1).

use crate::oauth::error::OAuthError;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::HashMap;
use std::fmt;

/// Bodies larger than this are refused before they are read to the end.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Parameters that carry secrets and are refused in a query string.
const SECRET_PARAMETERS: [&str; 6] = [
    "client_id",
    "client_secret",
    "username",
    "password",
    "refresh_token",
    "token",
];

#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// The value of a parameter; empty values count as absent (RFC 6749 §3.2).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub async fn read(req: &HttpRequest, mut payload: web::Payload) -> Result<Self, OAuthError> {
        refuse_secrets_in_query(req.query_string())?;
        let kind = BodyKind::of(req)?;
        if let Some(length) = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            && length > MAX_BODY_BYTES
        {
            return Err(OAuthError::PayloadTooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|_| OAuthError::invalid_request("The request body is unreadable."))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(OAuthError::PayloadTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        match kind {
            BodyKind::Form => Self::from_form(&body),
            BodyKind::Json => Self::from_json(&body),
        }
    }

    pub fn from_form(body: &[u8]) -> Result<Self, OAuthError> {
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(body) {
            if params.contains_key(name.as_ref()) {
                return Err(repeated(&name));
            }
            params.insert(name.into_owned(), value.into_owned());
        }
        Ok(Self(params))
    }

    /// A JSON object of strings; `null` counts as absent. serde_json keeps the last of two
    /// equal keys silently, so the object is read key by key to catch repeats.
    pub fn from_json(body: &[u8]) -> Result<Self, OAuthError> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let fields = deserializer
            .deserialize_map(FieldsVisitor)
            .and_then(|fields| deserializer.end().map(|()| fields))
            .map_err(|e| match e.classify() {
                serde_json::error::Category::Data => {
                    let message = e.to_string();
                    let message = message.split(" at line ").next().unwrap_or_default();
                    OAuthError::invalid_request(message)
                }
                _ => OAuthError::invalid_request("The body is not a JSON object."),
            })?;
        Ok(Self(fields))
    }
}

fn repeated(name: &str) -> OAuthError {
    OAuthError::invalid_request(format!("The parameter {name} is repeated."))
}

fn refuse_secrets_in_query(query: &str) -> Result<(), OAuthError> {
    if form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| SECRET_PARAMETERS.contains(&name.as_ref()))
    {
        return Err(OAuthError::invalid_request(
            "Credentials are not accepted in the URL; send them in the body or the Authorization header.",
        ));
    }
    Ok(())
}

enum BodyKind {
    Form,
    Json,
}

impl BodyKind {
    fn of(req: &HttpRequest) -> Result<Self, OAuthError> {
        let essence = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .unwrap_or_default();
        if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            Ok(Self::Form)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Ok(Self::Json)
        } else {
            Err(OAuthError::invalid_request(
                "The body must be application/x-www-form-urlencoded or application/json.",
            ))
        }
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = HashMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = HashMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value::<Option<serde_json::Value>>()?;
            if fields.contains_key(&name) {
                return Err(de::Error::custom(format!(
                    "The parameter {name} is repeated."
                )));
            }
            let value = match value {
                None => String::new(),
                Some(serde_json::Value::String(s)) => s,
                Some(_) => {
                    return Err(de::Error::custom(format!(
                        "The parameter {name} must be a string."
                    )));
                }
            };
            fields.insert(name, value);
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description(e: OAuthError) -> String {
        match e {
            OAuthError::InvalidRequest(text) => text,
            other => panic!("expected invalid_request, got {other:?}"),
        }
    }

    #[test]
    fn form_values_are_decoded_and_empty_ones_are_absent() {
        let params = Params::from_form(b"grant_type=password&username=a+b%40c&scope=").unwrap();
        assert_eq!(params.get("grant_type"), Some("password"));
        assert_eq!(params.get("username"), Some("a b@c"));
        assert_eq!(params.get("scope"), None);
        assert_eq!(params.get("other"), None);
    }

    #[test]
    fn a_repeated_form_parameter_is_refused() {
        let e = Params::from_form(b"grant_type=password&grant_type=password").unwrap_err();
        assert!(description(e).contains("grant_type is repeated"));
        let e = Params::from_form(b"scope=&scope=a").unwrap_err();
        assert!(description(e).contains("scope is repeated"));
    }

    #[test]
    fn json_bodies_are_objects_of_strings_without_repeats() {
        let params =
            Params::from_json(br#"{"grant_type":"client_credentials","scope":null}"#).unwrap();
        assert_eq!(params.get("grant_type"), Some("client_credentials"));
        assert_eq!(params.get("scope"), None);
        let e = Params::from_json(br#"{"a":"1","a":"2"}"#).unwrap_err();
        assert!(description(e).contains("a is repeated"));
        let e = Params::from_json(br#"{"a":1}"#).unwrap_err();
        assert!(description(e).contains("must be a string"));
        let e = Params::from_json(b"[1]").unwrap_err();
        assert!(matches!(e, OAuthError::InvalidRequest(_)));
        let e = Params::from_json(br#"{"a":"1"} trailing"#).unwrap_err();
        assert!(matches!(e, OAuthError::InvalidRequest(_)));
    }

    #[test]
    fn credentials_in_the_query_string_are_refused() {
        assert!(refuse_secrets_in_query("client_secret=x").is_err());
        assert!(refuse_secrets_in_query("a=1&client_id=x").is_err());
        assert!(refuse_secrets_in_query("debug=1").is_ok());
        assert!(refuse_secrets_in_query("").is_ok());
    }
}
