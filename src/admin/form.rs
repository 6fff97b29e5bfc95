//! Validation messages shown beside their fields, with the typed values kept.

use crate::domain::Invalid;
use serde::Deserialize;

/// The body of a form whose only field is its CSRF token (sign-out, activate, delete...).
#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf_token: String,
}

#[derive(Default, Debug)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Every message of one field, in the order they were added.
    pub fn all(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the parsed value, or records why it was refused.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.add(field, invalid.0);
                None
            }
        }
    }
}

/// A form body read as ordered pairs: checkbox groups send one field several times, which
/// a plain struct cannot hold.
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_all_kept() {
        let form = FormData::parse(b"grants=password&name=A+b&grants=client_credentials&active=on");
        assert_eq!(form.all("grants"), ["password", "client_credentials"]);
        assert_eq!(form.get("name"), "A b");
        assert!(form.checked("active"));
        assert!(!form.checked("frontend"));
        assert_eq!(form.get("missing"), "");
    }
}
