//! Parse, don't validate: raw form and CLI strings become these types at the edge, and
//! nothing past a handler sees an unchecked string.

mod email;
mod grant_type;
mod locale;
mod name;
mod password;
mod scope;
pub mod secret;
mod user_kind;
mod username;

pub use email::Email;
pub use grant_type::{GrantType, Grants};
pub use locale::Locale;
pub use name::{ClientName, OrganizationName, PersonName};
pub use password::Password;
pub use scope::Scope;
pub use secret::{PlainSecret, SecretHash};
pub use user_kind::UserKind;
pub use username::Username;

/// Why a value was refused, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
