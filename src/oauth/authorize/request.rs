//! Reading an authorization request (RFC 6749 §4.1.1, §4.2.1; RFC 7636 §4.3) in the order
//! of RFC 6749 §4.1.2.1: first what decides where an error may be sent — the client and
//! its redirect URI, which can only be refused on a page — then everything else, which is
//! refused by a redirect back to the application.

use crate::db::models::client::{AuthorizeOptions, Client};
use crate::domain::{RedirectUris, Scope};
use crate::oauth::pkce::{self, Method};
use std::collections::HashMap;

/// `response_type`: the code flow, or implicit where an administrator enabled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    Token,
}

impl ResponseType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Token => "token",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "code" => Some(Self::Code),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

/// OpenID Connect's `prompt`, which OAuth deployments use widely: `none` answers without
/// any page; `login` and `consent` force those pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    pub fn parse(raw: &str) -> Option<Self> {
        let mut prompt = Self::default();
        for word in raw.split(' ').filter(|w| !w.is_empty()) {
            match word {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                _ => return None,
            }
        }
        // `none` with anything else is a contradiction.
        (!(prompt.none && (prompt.login || prompt.consent))).then_some(prompt)
    }

    pub fn to_stored(self) -> String {
        [
            (self.none, "none"),
            (self.login, "login"),
            (self.consent, "consent"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| *w)
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// A PKCE challenge as the request sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub value: String,
    pub method: Method,
}

/// A request that passed every check: what the dialogs and the responses work from.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Client,
    pub options: AuthorizeOptions,
    pub response_type: ResponseType,
    pub redirect_uri: String,
    /// Whether the request named the redirect URI; if so the exchange must name it again.
    pub redirect_uri_given: bool,
    pub scope: Scope,
    pub state: Option<String>,
    pub challenge: Option<Challenge>,
    pub prompt: Prompt,
}

/// Where an error is answered.
#[derive(Debug)]
pub enum Refusal {
    /// The client or its redirect URI cannot be trusted: the person sees a page, and the
    /// browser goes nowhere (RFC 6749 §4.1.2.1, RFC 9700 §4.1).
    Page(&'static str),
    /// Any other problem goes back to the application (RFC 6749 §4.1.2.1, §4.2.2.1).
    Redirect(ErrorRedirect),
}

#[derive(Debug, Clone)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub fragment: bool,
    pub error: &'static str,
    pub description: String,
    pub state: Option<String>,
}

/// The parameters of the request; each name keeps every value it was given, so a repeated
/// parameter can be refused (RFC 6749 §3.1).
#[derive(Debug, Default)]
pub struct RawParams(HashMap<String, Vec<String>>);

impl RawParams {
    pub fn parse(encoded: &[u8]) -> Self {
        let mut params: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in form_urlencoded::parse(encoded) {
            params
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Self(params)
    }

    /// A parameter given once; empty counts as absent (RFC 6749 §3.1). `Err` if repeated.
    fn single(&self, name: &str) -> Result<Option<&str>, ()> {
        match self.0.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([value]) => Ok(Some(value.as_str()).filter(|v| !v.is_empty())),
            Some(_) => Err(()),
        }
    }

    pub fn client_id(&self) -> Result<Option<&str>, Refusal> {
        self.single("client_id")
            .map_err(|()| Refusal::Page("The client_id parameter is repeated."))
    }

    fn repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, values)| values.len() > 1)
            .map(|(name, _)| name.as_str())
    }
}

/// The redirect URI the response goes to: the one given, if it matches one the application
/// registered (exactly, the port of a loopback address aside, RFC 8252 §7.3); or the only
/// one registered, when none is given (RFC 6749 §3.1.2.3).
fn redirect_uri(client: &Client, given: Option<&str>) -> Result<String, Refusal> {
    let registered = RedirectUris::from_stored(&client.redirect_uris);
    match given {
        Some(uri) if registered.find(uri).is_some() => Ok(uri.to_owned()),
        Some(_) => Err(Refusal::Page(
            "The redirect_uri is not one the application registered.",
        )),
        None => match registered.iter().collect::<Vec<_>>().as_slice() {
            [only] => Ok((*only).to_owned()),
            [] => Err(Refusal::Page("The application registered no redirect URI.")),
            _ => Err(Refusal::Page(
                "The redirect_uri parameter is required: the application registered several.",
            )),
        },
    }
}

/// Checks a request against its client. `client` is `None` when no active application has
/// this `client_id`; `pkce_required_for_all` is the server setting.
pub fn validate(
    params: &RawParams,
    client: Option<(Client, AuthorizeOptions)>,
    pkce_required_for_all: bool,
) -> Result<AuthorizationRequest, Refusal> {
    let Some((client, options)) = client.filter(|(c, _)| c.active) else {
        return Err(Refusal::Page(
            "The application is unknown or not active. Go back to it and try again later.",
        ));
    };
    let given = params
        .single("redirect_uri")
        .map_err(|()| Refusal::Page("The redirect_uri parameter is repeated."))?;
    let redirect_uri = redirect_uri(&client, given)?;
    let state = params.single("state").ok().flatten().map(str::to_owned);
    let response_type_raw = params.single("response_type").ok().flatten();
    let response_type = response_type_raw.and_then(ResponseType::parse);
    let refuse = |error: &'static str, description: &str| {
        Refusal::Redirect(ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            fragment: response_type == Some(ResponseType::Token),
            error,
            description: description.to_owned(),
            state: state.clone(),
        })
    };

    if let Some(name) = params.repeated() {
        return Err(refuse(
            "invalid_request",
            &format!("The parameter {name} is repeated."),
        ));
    }
    let Some(raw) = response_type_raw else {
        return Err(refuse("invalid_request", "response_type is required."));
    };
    let Some(response_type) = response_type else {
        return Err(refuse(
            "unsupported_response_type",
            &format!("The response_type {raw} is not supported."),
        ));
    };
    let allowed = match response_type {
        ResponseType::Code => client
            .grants()
            .contains(crate::domain::GrantType::AuthorizationCode),
        ResponseType::Token => options.allow_implicit,
    };
    if !allowed {
        return Err(refuse(
            "unauthorized_client",
            "The application may not use this response_type.",
        ));
    }

    let available = Scope::from_stored(&client.scopes);
    let scope = match params.single("scope").ok().flatten() {
        None => available,
        Some(raw) => match Scope::parse(raw) {
            Ok(scope) if scope.is_subset_of(&available) => scope,
            Ok(_) => {
                return Err(refuse(
                    "invalid_scope",
                    "The scope exceeds what the application may have.",
                ));
            }
            Err(_) => return Err(refuse("invalid_scope", "The scope is malformed.")),
        },
    };

    let challenge = match response_type {
        ResponseType::Token => None,
        ResponseType::Code => {
            let required = !client.confidential || pkce_required_for_all;
            challenge(params, required, options.allow_plain_pkce)
                .map_err(|why| refuse("invalid_request", why))?
        }
    };

    let prompt = match params.single("prompt").ok().flatten() {
        None => Prompt::default(),
        Some(raw) => Prompt::parse(raw)
            .ok_or_else(|| refuse("invalid_request", "The prompt parameter is not understood."))?,
    };

    Ok(AuthorizationRequest {
        client,
        options,
        response_type,
        redirect_uri,
        redirect_uri_given: given.is_some(),
        scope,
        state,
        challenge,
        prompt,
    })
}

/// RFC 7636 §4.3 with RFC 9700 §2.1.1: `S256` (or `plain` where allowed), a well-formed
/// challenge, and one whenever it is required.
fn challenge(
    params: &RawParams,
    required: bool,
    allow_plain: bool,
) -> Result<Option<Challenge>, &'static str> {
    let value = params.single("code_challenge").ok().flatten();
    let method = params.single("code_challenge_method").ok().flatten();
    let Some(value) = value else {
        if method.is_some() {
            return Err("code_challenge_method was sent without code_challenge.");
        }
        if required {
            return Err("PKCE is required: send code_challenge with code_challenge_method=S256.");
        }
        return Ok(None);
    };
    // RFC 7636 §4.3: without a method the challenge is `plain`.
    let method =
        Method::parse(method.unwrap_or("plain")).ok_or("code_challenge_method must be S256.")?;
    if method == Method::Plain && !allow_plain {
        return Err("code_challenge_method plain is not accepted; use S256.");
    }
    if !pkce::well_formed(value) {
        return Err("code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.");
    }
    Ok(Some(Challenge {
        value: value.to_owned(),
        method,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_cannot_be_combined() {
        assert_eq!(
            Prompt::parse("login consent"),
            Some(Prompt {
                none: false,
                login: true,
                consent: true
            })
        );
        assert!(Prompt::parse("none login").is_none());
        assert!(Prompt::parse("select_account").is_none());
        assert_eq!(
            Prompt::parse("consent login").unwrap().to_stored(),
            "login consent"
        );
    }

    #[test]
    fn a_repeated_parameter_is_found_and_empty_values_are_absent() {
        let params = RawParams::parse(b"a=1&b=&c=2&c=3");
        assert_eq!(params.single("a"), Ok(Some("1")));
        assert_eq!(params.single("b"), Ok(None));
        assert_eq!(params.single("c"), Err(()));
        assert_eq!(params.repeated(), Some("c"));
    }
}
