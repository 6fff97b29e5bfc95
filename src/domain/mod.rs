//! Parse, don't validate: raw form and CLI strings become these types at the edge, and
//! nothing past a handler sees an unchecked string.

mod app_type;
mod email;
mod grant_type;
pub mod lifetime;
mod locale;
mod name;
mod password;
pub mod redirect_uri;
mod scope;
pub mod secret;
mod user_kind;
mod username;

pub use app_type::ApplicationType;
pub use email::Email;
pub use grant_type::{GrantType, Grants};
pub use lifetime::{ExpireOld, Lifetime};
pub use locale::Locale;
pub use name::{
    CategoryName, ClientName, OptionalText, OrganizationName, PersonName, ScopeDescription, fold,
};
pub use password::Password;
pub use redirect_uri::{Origin, Origins, RedirectUri, RedirectUris};
pub use scope::{Scope, ScopeToken};
pub use secret::{LinkToken, PlainSecret, SecretHash};
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
