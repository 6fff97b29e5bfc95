//! The way through an authorization request: sign in (unless a single sign-on session
//! already names a person who may use the application), consent (unless remembered or the
//! application skips it), then the answer to the application. `prompt=login` and
//! `prompt=consent` force a step; `prompt=none` answers `login_required` or
//! `consent_required` instead of showing one.

use super::session::{self, Person};
use crate::oauth::authorize::pending::{self, Pending};
use crate::oauth::authorize::{AuthorizationRequest, AuthorizeError, response};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

/// What the request needs next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    SignIn,
    Consent,
    Answer,
}

/// Decides the next step. `person` is already known to fit the application;
/// `consented` says whether they allowed every requested scope before.
pub fn next(
    request: &AuthorizationRequest,
    started_at: NaiveDateTime,
    person: Option<&Person>,
    consented: bool,
) -> Next {
    let Some(person) = person else {
        return Next::SignIn;
    };
    // A sign-in at the very instant the request started cannot have been for it.
    if request.prompt.login && person.signed_in_at <= started_at {
        return Next::SignIn;
    }
    if !request.options.skip_consent && (request.prompt.consent || !consented) {
        return Next::Consent;
    }
    Next::Answer
}

/// The signed-in person, if they may authorize this application, and whether they already
/// allowed every scope it asks.
pub async fn person_for(
    state: &AppState,
    req: &HttpRequest,
    request: &AuthorizationRequest,
) -> Result<(Option<Person>, bool), AuthorizeError> {
    let person = session::current(state, req)
        .await?
        .filter(|p| session::may_authorize(&p.user, &request.client));
    let Some(person) = person else {
        return Ok((None, false));
    };
    let (user_id, client_id, scope) = (person.user.id, request.client.id, request.scope.clone());
    let consented = crate::db::run(&state.pool, move |conn| {
        crate::consents::covers(conn, user_id, client_id, &scope).map_err(AuthorizeError::from)
    })
    .await?;
    Ok((Some(person), consented))
}

/// A request fresh from /oauth2-authorize: answered at once when nothing needs asking,
/// otherwise kept server-side while the browser goes to the dialog.
pub async fn begin(
    req: &HttpRequest,
    state: &AppState,
    request: AuthorizationRequest,
) -> Result<HttpResponse, AuthorizeError> {
    let now = state.now();
    let (person, consented) = person_for(state, req, &request).await?;
    match next(&request, now, person.as_ref(), consented) {
        Next::Answer => match person {
            Some(person) => answer(state, req, &request, &person).await,
            None => Err(AuthorizeError::Internal(
                "an answer without a person".into(),
            )),
        },
        Next::SignIn if request.prompt.none => Ok(response::refuse(
            state,
            &request,
            "login_required",
            "The person is not signed in.",
        )),
        Next::Consent if request.prompt.none => Ok(response::refuse(
            state,
            &request,
            "consent_required",
            "The person has not allowed this application these scopes.",
        )),
        Next::SignIn | Next::Consent => {
            let handle = pending::store(state, &request, now).await?;
            Ok(super::see_other(&super::dialog_url(&handle)))
        }
    }
}

/// The dialog of a pending request: the page its next step needs, or, when nothing is
/// left to ask, the answer.
pub async fn resume(
    req: &HttpRequest,
    state: &AppState,
    pending: Pending,
) -> Result<HttpResponse, AuthorizeError> {
    let (person, consented) = person_for(state, req, &pending.request).await?;
    match next(
        &pending.request,
        pending.started_at,
        person.as_ref(),
        consented,
    ) {
        Next::SignIn => super::pages::sign_in(req, state, Some(&pending), None).await,
        Next::Consent => match person {
            Some(person) => super::pages::consent(state, &pending, &person).await,
            None => Err(AuthorizeError::Internal("consent without a person".into())),
        },
        Next::Answer => match person {
            Some(person) => {
                pending::take(state, &pending).await?;
                answer(state, req, &pending.request, &person).await
            }
            None => Err(AuthorizeError::Internal(
                "an answer without a person".into(),
            )),
        },
    }
}

/// Answers the application. An application that skips consent is still remembered as
/// connected, so the person can revoke it from /account.
pub async fn answer(
    state: &AppState,
    req: &HttpRequest,
    request: &AuthorizationRequest,
    person: &Person,
) -> Result<HttpResponse, AuthorizeError> {
    if request.options.skip_consent {
        let (user, client, scope) = (
            person.user.clone(),
            request.client.clone(),
            request.scope.clone(),
        );
        let ip = crate::client_address::of(req);
        let now = state.now();
        crate::db::run(&state.pool, move |conn| {
            if !crate::consents::covers(conn, user.id, client.id, &scope)? {
                crate::consents::grant(conn, &user, &client, &scope, ip.as_deref(), now)?;
            }
            Ok::<_, AuthorizeError>(())
        })
        .await?;
    }
    response::grant(state, request, &person.user, person.signed_in_at).await
}
