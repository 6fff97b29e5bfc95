//! System > Emails > Notification rules: for each event, on or off, whether the owner hears
//! about it, which roles' holders in the application's organization do, and fixed addresses
//! that do too.

use crate::access::{Permission, Record, Role};
use crate::admin::auth::{SignedIn, flash_and_redirect};
use crate::admin::form::FormData;
use crate::admin::{Layout, render};
use crate::error::AppError;
use crate::mail::rules::{self, Rule};
use crate::mail::templates::Event;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

const PAGE_URL: &str = "/admin/emails/rules";

/// One event's rule as the form shows it, kept as typed when refused.
struct RuleRow {
    event: &'static str,
    label: &'static str,
    enabled: bool,
    notify_owner: bool,
    /// Every role, and whether its holders hear about the event.
    roles: Vec<(Role, bool)>,
    extra_recipients: String,
    error: Option<String>,
}

fn role_choices(chosen: impl Fn(Role) -> bool) -> Vec<(Role, bool)> {
    Role::ALL.into_iter().map(|r| (r, chosen(r))).collect()
}

impl RuleRow {
    fn of(rule: &Rule) -> Self {
        Self {
            event: rule.event.as_str(),
            label: rule.event.label(),
            enabled: rule.enabled,
            notify_owner: rule.notify_owner,
            roles: role_choices(|r| rule.notify_roles.contains(&r)),
            extra_recipients: rule
                .extra_recipients
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            error: None,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/emails/rules.html")]
struct RulesPage {
    layout: Layout,
    rows: Vec<RuleRow>,
    override_to: Option<String>,
}

fn page(
    session: &SignedIn,
    state: &AppState,
    rows: Vec<RuleRow>,
) -> Result<HttpResponse, AppError> {
    render(&RulesPage {
        layout: Layout::signed_in(session, state, "Notification rules", "emails"),
        rows,
        override_to: state.settings.mail_notify_override.clone(),
    })
}

pub async fn show(session: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    session.access.require_somewhere(Permission::ViewCatalog)?;
    let rules = crate::db::query(&state.pool, rules::all).await?;
    page(&session, &state, rules.iter().map(RuleRow::of).collect())
}

/// Saves every event's rule at once; a bad address keeps the whole form as typed.
pub async fn save(
    req: HttpRequest,
    session: SignedIn,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = FormData::parse(&body);
    session.verify_csrf(form.get("csrf_token"))?;
    session.require(Permission::ManageCatalog, Record::Installation)?;
    let mut rows = Vec::new();
    let mut parsed = Vec::new();
    for event in Event::ALL.into_iter().filter(|e| e.has_rule()) {
        let name = event.as_str();
        let enabled = form.checked(&format!("{name}.enabled"));
        let notify_owner = form.checked(&format!("{name}.owner"));
        let roles = role_choices(|r| form.checked(&format!("{name}.role.{}", r.as_str())));
        let notify_roles: Vec<Role> = roles
            .iter()
            .filter(|(_, on)| *on)
            .map(|(r, _)| *r)
            .collect();
        let raw = form.get(&format!("{name}.recipients"));
        let mut row = RuleRow {
            event: name,
            label: event.label(),
            enabled,
            notify_owner,
            roles,
            extra_recipients: raw.to_owned(),
            error: None,
        };
        match Rule::parse_recipients(raw) {
            Ok(extra_recipients) => parsed.push(Rule {
                event,
                enabled,
                notify_owner,
                notify_roles,
                extra_recipients,
            }),
            Err(invalid) => row.error = Some(invalid.0),
        }
        rows.push(row);
    }
    if parsed.len() < rows.len() {
        return page(&session, &state, rows);
    }
    let (actor, now) = (session.actor(&req), state.now());
    let changed = crate::db::run(&state.pool, move |conn| {
        rules::save(conn, &parsed, &actor, now).map_err(AppError::from)
    })
    .await?;
    let message = match changed {
        0 => "Nothing changed.".to_owned(),
        1 => "Saved the rule of 1 event.".to_owned(),
        n => format!("Saved the rules of {n} events."),
    };
    flash_and_redirect(&state, &session, message, PAGE_URL).await
}
