//! `/credentials/{token}`: where an application's owner collects the credentials a one-time
//! link hands them (`clients::delivery`). Opening the link changes nothing, since mail
//! scanners fetch links before people do: it moves the token from the address into a
//! cookie of its own (`HttpOnly`, path `/credentials`) and sends the browser to
//! `/credentials`, so no later page, form or sign-in carries the token in its address. There
//! the owner is asked to sign in (back-office users at the back-office sign-in, customers at
//! the account sign-in), then offered a button. Only the POST of that button, signed in as
//! the owner and with the session's CSRF token, generates the secret and spends the link;
//! the page that shows it is never stored (`no-store`), and the address with the token
//! sends no referrer.
//!
//! A link that is unknown, used, expired, invalidated, or another person's gets one answer,
//! which names nobody.

use crate::admin::auth::SignedIn;
use crate::audit::Actor;
use crate::clients::delivery::{self, DeliveryError, OpenLink};
use crate::clock::display_time;
use crate::db::models::user::User;
use crate::domain::secret::COLLECT_PAGE;
use crate::domain::{LinkToken, PlainSecret, UserKind};
use crate::error::AppError;
use crate::oauth::authorize::AuthorizeError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::DefaultHeaders;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/credentials")
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .route("", web::get().to(show))
            .route("", web::post().to(collect))
            .route("/{token}", web::get().to(open)),
    );
}

/// The cookie that carries the token of the link opened last in this browser.
const LINK_COOKIE: &str = "tessera_credentials_link";

/// The sign-in page for a person of `kind`, coming back to the collection page afterwards.
pub fn sign_in_url(kind: UserKind) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", COLLECT_PAGE)
        .finish();
    match kind {
        UserKind::Backoffice => format!("/admin/login?{query}"),
        UserKind::Customer => format!("/account/sign-in?{query}"),
    }
}

fn link_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(LINK_COOKIE, value)
        .path(COLLECT_PAGE)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The token of the link this browser opened, if it looks like one.
fn opened_token(req: &HttpRequest) -> Option<LinkToken> {
    req.cookie(LINK_COOKIE)
        .and_then(|c| LinkToken::parse(c.value()))
}

/// `GET /credentials/{token}`: keeps the token in the link cookie and moves on to the
/// collection page. Nothing is looked up or spent. The one address that carries the token
/// sends no referrer; the collection page carries none, so its form keeps its `Origin`
/// (which browsers blank under `no-referrer`).
pub async fn open(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AuthorizeError> {
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, COLLECT_PAGE))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish();
    let secure = state.settings.secure_cookies();
    // A link that cannot be one replaces whatever link this browser opened before, so the
    // page that follows speaks of this one.
    let cookie = match LinkToken::parse(&path) {
        Some(token) => {
            let mut cookie = link_cookie(token.expose().to_owned(), secure);
            let lifetime = state.settings.credential_link_ttl.num_seconds();
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(lifetime));
            cookie
        }
        None => {
            let mut cookie = link_cookie(String::new(), secure);
            cookie.make_removal();
            cookie
        }
    };
    response
        .add_cookie(&cookie)
        .map_err(|e| AuthorizeError::Internal(format!("cannot set a cookie: {e}")))?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "account/error.html")]
struct DeadPage<'a> {
    title: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "collect/ready.html")]
struct ReadyPage<'a> {
    application: &'a str,
    person: &'a str,
    expires: String,
    action: &'static str,
    csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "collect/collected.html")]
struct CollectedPage<'a> {
    application: &'a str,
    client_id: &'a str,
    client_secret: Option<PlainSecret>,
}

#[derive(Deserialize)]
pub struct CollectForm {
    #[serde(default)]
    csrf_token: String,
}

fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AuthorizeError> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(page.render()?))
}

/// The one answer for every link that cannot be collected.
fn dead(why: &DeliveryError) -> Result<HttpResponse, AuthorizeError> {
    let message = match why {
        DeliveryError::TooManySecrets => why.to_string(),
        _ => DeliveryError::DeadLink.to_string(),
    };
    html(
        StatusCode::GONE,
        &DeadPage {
            title: "This link does not work",
            message: &message,
        },
    )
}

/// Who is signed in with the kind of session the owner uses, and that session's CSRF token.
struct Visitor {
    user: User,
    csrf_token: String,
}

async fn visitor(
    req: &HttpRequest,
    state: &AppState,
    kind: UserKind,
) -> Result<Option<Visitor>, AuthorizeError> {
    match kind {
        UserKind::Backoffice => match SignedIn::extract(req).await {
            Ok(session) => Ok(Some(Visitor {
                user: session.user,
                csrf_token: session.csrf_token,
            })),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(other) => Err(other.into()),
        },
        UserKind::Customer => {
            Ok(crate::account::session::current(state, req)
                .await?
                .map(|person| Visitor {
                    user: person.user,
                    csrf_token: person.csrf_token,
                }))
        }
    }
}

/// What stands between a request and the link: the link itself, then its owner signed in.
enum Gate {
    Dead,
    SignIn(String),
    Owner(Box<(OpenLink, Visitor)>),
}

async fn gate(
    req: &HttpRequest,
    state: &AppState,
    token: &LinkToken,
) -> Result<Gate, AuthorizeError> {
    let (now, lookup) = (state.now(), token.clone());
    let link = crate::db::run(&state.pool, move |conn| {
        delivery::open_link(conn, &lookup, now).map_err(AuthorizeError::from)
    })
    .await?;
    let Some(link) = link else {
        return Ok(Gate::Dead);
    };
    match visitor(req, state, link.owner_kind).await? {
        None => Ok(Gate::SignIn(sign_in_url(link.owner_kind))),
        Some(v) if v.user.id == link.owner_user_id => Ok(Gate::Owner(Box::new((link, v)))),
        Some(_) => Ok(Gate::Dead),
    }
}

fn name_of(user: &User) -> &str {
    if user.full_name.trim().is_empty() {
        &user.username
    } else {
        &user.full_name
    }
}

/// The collection page of the link opened last: sign in first, then a button. Nothing is
/// spent here.
#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AuthorizeError> {
    let Some(token) = opened_token(&req) else {
        return dead(&DeliveryError::DeadLink);
    };
    match gate(&req, &state, &token).await? {
        Gate::Dead => dead(&DeliveryError::DeadLink),
        Gate::SignIn(url) => Ok(see_other(&url)),
        Gate::Owner(owner) => {
            let (link, visitor) = *owner;
            html(
                StatusCode::OK,
                &ReadyPage {
                    application: &link.application,
                    person: name_of(&visitor.user),
                    expires: display_time(link.expires_at),
                    action: COLLECT_PAGE,
                    csrf_token: &visitor.csrf_token,
                },
            )
        }
    }
}

/// The button: generates the secret, spends the link, shows the secret once.
#[tracing::instrument(skip_all)]
pub async fn collect(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CollectForm>,
) -> Result<HttpResponse, AuthorizeError> {
    crate::csrf::check_origin(&req, &state.settings.issuer)?;
    let Some(token) = opened_token(&req) else {
        return dead(&DeliveryError::DeadLink);
    };
    let visitor = match gate(&req, &state, &token).await? {
        Gate::Dead => return dead(&DeliveryError::DeadLink),
        Gate::SignIn(url) => return Ok(see_other(&url)),
        Gate::Owner(owner) => owner.1,
    };
    crate::csrf::verify(&visitor.csrf_token, &form.csrf_token)?;
    let actor = Actor::user(&visitor.user, crate::client_address::of(&req));
    let (now, user_id) = (state.now(), visitor.user.id);
    let result = crate::db::run(&state.pool, move |conn| {
        match delivery::collect(conn, &token, user_id, &actor, now) {
            Err(DeliveryError::Database(e)) => Err(AuthorizeError::from(e)),
            other => Ok(other),
        }
    })
    .await?;
    state.mail_queued();
    match result {
        Ok((client, secret)) => {
            tracing::info!(client_id = %client.client_id, "credentials collected by the owner");
            let mut response = html(
                StatusCode::OK,
                &CollectedPage {
                    application: &client.name,
                    client_id: &client.client_id,
                    client_secret: Some(secret),
                },
            )?;
            let mut spent = link_cookie(String::new(), state.settings.secure_cookies());
            spent.make_removal();
            response
                .add_cookie(&spent)
                .map_err(|e| AuthorizeError::Internal(format!("cannot set a cookie: {e}")))?;
            Ok(response)
        }
        Err(refusal) => dead(&refusal),
    }
}
