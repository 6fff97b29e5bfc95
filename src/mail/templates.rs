//! Notice templates that administrators edit: one per event, each with a subject, a plain
//! text body and an HTML body, per locale. The shipped English texts live here; a stored
//! version (`notice_templates`) replaces one, and its previous text goes to the history.
//!
//! Templates are rendered by `minijinja` with strict undefined behaviour, no file access,
//! no includes and bounded work (fuel). What a template can reach is `NoticeContext` and
//! nothing else: it has no field for a secret or a hash, so no template can leak one
//! (ASVS 6.5.2). HTML bodies are autoescaped; a subject is one line (RFC 5322 §2.2).

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::notice_template::{self, TemplateTexts};
use crate::db::models::notice_template_history::{self, ReplacedBy, ReplacedVersion};
use crate::domain::Locale;
use crate::mail::Outgoing;
use chrono::NaiveDateTime;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The kinds of change a notice reports, each with its own template and rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    ApplicationAdded,
    ApplicationActivated,
    ApplicationDeactivated,
    ApplicationDeleted,
    OwnerChanged,
    SecretAdded,
    SecretDisabled,
    /// To the owner only, with the one-time link to collect an application's credentials.
    /// No rule addresses or silences it: it is the only way the secret reaches its owner.
    CredentialsReady,
}

/// What a shipped notice says for one event.
struct Wording {
    subject: &'static str,
    summary: &'static str,
    consequence: &'static str,
}

impl Event {
    pub const ALL: [Self; 8] = [
        Self::ApplicationAdded,
        Self::ApplicationActivated,
        Self::ApplicationDeactivated,
        Self::ApplicationDeleted,
        Self::OwnerChanged,
        Self::SecretAdded,
        Self::SecretDisabled,
        Self::CredentialsReady,
    ];

    /// Whether a notification rule decides this event's recipients; the credentials link
    /// always goes to the owner alone.
    pub const fn has_rule(self) -> bool {
        !matches!(self, Self::CredentialsReady)
    }

    /// The stable name in `notice_templates.event`, `notice_rules.event` and page addresses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationAdded => "application_added",
            Self::ApplicationActivated => "application_activated",
            Self::ApplicationDeactivated => "application_deactivated",
            Self::ApplicationDeleted => "application_deleted",
            Self::OwnerChanged => "owner_changed",
            Self::SecretAdded => "secret_added",
            Self::SecretDisabled => "secret_disabled",
            Self::CredentialsReady => "credentials_ready",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == stored)
    }

    /// How the pages name it; also the `change` a template can show.
    pub const fn label(self) -> &'static str {
        match self {
            Self::ApplicationAdded => "Application added to an account",
            Self::ApplicationActivated => "Application activated",
            Self::ApplicationDeactivated => "Application deactivated",
            Self::ApplicationDeleted => "Application deleted",
            Self::OwnerChanged => "Application handed to a new owner",
            Self::SecretAdded => "Secret added",
            Self::SecretDisabled => "Secret disabled",
            Self::CredentialsReady => "Credentials ready to collect",
        }
    }

    const fn wording(self) -> Wording {
        match self {
            Self::ApplicationAdded | Self::OwnerChanged => Wording {
                subject: "OAuth application added to your account",
                summary: "An OAuth application was added to your account.",
                consequence: "It can obtain access tokens with its Client ID and secret. \
                              The secret is never sent by email.",
            },
            Self::ApplicationActivated => Wording {
                subject: "OAuth application on your account activated",
                summary: "An OAuth application on your account was activated.",
                consequence: "It can obtain access tokens again.",
            },
            Self::ApplicationDeactivated => Wording {
                subject: "OAuth application on your account deactivated",
                summary: "An OAuth application on your account was deactivated.",
                consequence: "It can no longer obtain access tokens, and the tokens it held \
                              stopped working.",
            },
            Self::ApplicationDeleted => Wording {
                subject: "OAuth application removed from your account",
                summary: "An OAuth application was removed from your account.",
                consequence: "Its credentials and tokens no longer work.",
            },
            Self::SecretAdded => Wording {
                subject: "New secret for an OAuth application on your account",
                summary: "A new client secret was added to an OAuth application on your \
                          account.",
                consequence: "Whoever holds it can obtain access tokens. The secret is never \
                              sent by email.",
            },
            Self::SecretDisabled => Wording {
                subject: "Secret of an OAuth application on your account disabled",
                summary: "A client secret of an OAuth application on your account was \
                          disabled.",
                consequence: "Clients still using it can no longer obtain access tokens.",
            },
            Self::CredentialsReady => Wording {
                subject: "Collect the credentials of an OAuth application",
                summary: "The credentials of an OAuth application are ready for you to \
                          collect.",
                consequence: "Open the link below and sign in: the client secret is shown \
                              to you once. The link works once and expires; the secret is \
                              never sent by email.",
            },
        }
    }

    /// The shipped English texts.
    pub fn default_texts(self) -> Texts {
        let wording = self.wording();
        let (text, html) = match self {
            Self::CredentialsReady => (CREDENTIALS_TEXT, CREDENTIALS_HTML),
            _ => (DEFAULT_TEXT, DEFAULT_HTML),
        };
        let fill = |layout: &str| {
            layout
                .replace("%SUBJECT%", wording.subject)
                .replace("%SUMMARY%", wording.summary)
                .replace("%CONSEQUENCE%", wording.consequence)
        };
        Texts {
            subject: wording.subject.to_owned(),
            body_text: fill(text),
            body_html: fill(html),
        }
    }
}

const DEFAULT_TEXT: &str = include_str!("../../templates/email/notice.txt");
const DEFAULT_HTML: &str = include_str!("../../templates/email/notice.html");
const CREDENTIALS_TEXT: &str = include_str!("../../templates/email/credentials.txt");
const CREDENTIALS_HTML: &str = include_str!("../../templates/email/credentials.html");

/// The three parts of a template, named as their form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Subject,
    BodyText,
    BodyHtml,
}

impl Part {
    pub const ALL: [Self; 3] = [Self::Subject, Self::BodyText, Self::BodyHtml];

    pub const fn field(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::BodyText => "body_text",
            Self::BodyHtml => "body_html",
        }
    }
}

/// A template's sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

impl Texts {
    fn part(&self, part: Part) -> &str {
        match part {
            Part::Subject => &self.subject,
            Part::BodyText => &self.body_text,
            Part::BodyHtml => &self.body_html,
        }
    }

    fn borrowed(&self) -> TemplateTexts<'_> {
        TemplateTexts {
            subject: &self.subject,
            body_text: &self.body_text,
            body_html: &self.body_html,
        }
    }
}

/// Every variable a template can use, with what it holds. This is the whole context: there
/// is no other name, and none of these is a secret or a hash.
pub const VARIABLES: [(&str, &str); 9] = [
    ("application", "The application's name"),
    (
        "client_id",
        "The application's Client ID (public, not its secret)",
    ),
    ("organization", "The application's organization"),
    ("owner_name", "The owner's full name, or their username"),
    ("change", "What happened, as the template list names it"),
    ("changed_by", "Who made the change"),
    ("changed_at", "When, in UTC"),
    (
        "application_url",
        "The application's page in the back-office",
    ),
    (
        "collect_url",
        "The one-time link where the owner collects the credentials (empty in other notices)",
    ),
];

/// The values of `VARIABLES` for one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeContext {
    pub application: String,
    pub client_id: String,
    pub organization: String,
    pub owner_name: String,
    pub change: String,
    pub changed_by: String,
    pub changed_at: String,
    pub application_url: String,
    /// The one-time credentials link, in the owner's `CredentialsReady` notice only: the
    /// link, never the secret it leads to.
    pub collect_url: String,
}

impl NoticeContext {
    /// The values a preview and a test message show.
    pub fn sample(event: Event, changed_by: &str, now: NaiveDateTime) -> Self {
        Self {
            application: "Sample application".to_owned(),
            client_id: "sample-client-id".to_owned(),
            organization: "Default".to_owned(),
            owner_name: "Ada Owner".to_owned(),
            change: event.label().to_owned(),
            changed_by: changed_by.to_owned(),
            changed_at: crate::clock::display_time(now),
            application_url: application_url(0),
            collect_url: match event {
                Event::CredentialsReady => collect_url("sample-link"),
                _ => String::new(),
            },
        }
    }

    fn value(&self) -> Value {
        let values: BTreeMap<String, String> = [
            ("application", &self.application),
            ("client_id", &self.client_id),
            ("organization", &self.organization),
            ("owner_name", &self.owner_name),
            ("change", &self.change),
            ("changed_by", &self.changed_by),
            ("changed_at", &self.changed_at),
            ("application_url", &self.application_url),
            ("collect_url", &self.collect_url),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.clone()))
        .collect();
        Value::from(values)
    }
}

static PUBLIC_URL: OnceLock<String> = OnceLock::new();

/// Sets the address links in notices start with (`TESSERA_ISSUER`), once, at start.
pub fn set_public_url(url: &str) {
    let _ = PUBLIC_URL.set(url.trim_end_matches('/').to_owned());
}

/// The back-office page of the application with database id `id`.
pub fn application_url(id: i64) -> String {
    let base = PUBLIC_URL.get().map_or("", String::as_str);
    format!("{base}/admin/oauth-applications/{id}")
}

/// The page where the owner collects credentials with the one-time `token`.
pub fn collect_url(token: &str) -> String {
    let base = PUBLIC_URL.get().map_or("", String::as_str);
    format!("{base}{}{token}", crate::domain::secret::COLLECT_PATH)
}

/// Rendering work a template may do before it is stopped: ample for any notice, far too
/// little for a loop meant to stall the change it reports.
const FUEL: u64 = 50_000;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|name| {
        if name == Part::BodyHtml.field() {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

/// Why a template part was refused, worded for the form beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartError {
    pub part: Part,
    pub message: String,
}

fn described(error: &minijinja::Error) -> String {
    let detail = error
        .detail()
        .map_or_else(|| error.kind().to_string(), str::to_owned);
    match error.line() {
        Some(line) => format!("Line {line}: {detail}."),
        None => format!("{detail}."),
    }
}

/// The first line of `source` naming `name` as a whole word.
fn line_of(source: &str, name: &str) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    source
        .lines()
        .position(|line| {
            line.match_indices(name).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + name.len()..].chars().next();
                !before.is_some_and(is_word) && !after.is_some_and(is_word)
            })
        })
        .map_or(1, |index| index + 1)
}

/// Checks one part: one line for a subject, the syntax, every variable name, and a render
/// with sample values (which catches attributes that do not exist).
fn check_part(env: &Environment<'_>, part: Part, source: &str) -> Result<(), String> {
    if part == Part::Subject && source.contains(['\r', '\n']) {
        return Err("A subject is one line: remove the line break.".to_owned());
    }
    let template = env
        .template_from_named_str(part.field(), source)
        .map_err(|e| described(&e))?;
    let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| {
            !VARIABLES.iter().any(|(known, _)| known == name) && !globals.contains(&name.as_str())
        })
        .collect();
    unknown.sort_by_key(|name| line_of(source, name));
    if let Some(name) = unknown.first() {
        return Err(format!(
            "Line {}: there is no variable named {name}. The variables are {}.",
            line_of(source, name),
            VARIABLES.map(|(name, _)| name).join(", ")
        ));
    }
    let sample = NoticeContext::sample(Event::ApplicationAdded, "sample", NaiveDateTime::MIN);
    template.render(sample.value()).map_err(|e| described(&e))?;
    Ok(())
}

/// Every refusal of `texts`, one per part at most.
pub fn check(texts: &Texts) -> Vec<PartError> {
    let env = environment();
    Part::ALL
        .into_iter()
        .filter_map(|part| {
            check_part(&env, part, texts.part(part))
                .err()
                .map(|message| PartError { part, message })
        })
        .collect()
}

/// A notice ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

impl Rendered {
    pub fn to<'a>(&'a self, recipient: &'a str) -> Outgoing<'a> {
        Outgoing {
            recipient,
            subject: &self.subject,
            body_text: &self.body_text,
            body_html: &self.body_html,
        }
    }
}

/// Renders `texts` over `context`. A rendered subject keeps to one line whatever the values
/// hold: line breaks and other control characters become spaces.
pub fn render(texts: &Texts, context: &NoticeContext) -> Result<Rendered, minijinja::Error> {
    let env = environment();
    let value = context.value();
    let render = |part: Part| {
        env.template_from_named_str(part.field(), texts.part(part))?
            .render(value.clone())
    };
    let subject = render(Part::Subject)?
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned();
    Ok(Rendered {
        subject,
        body_text: render(Part::BodyText)?,
        body_html: render(Part::BodyHtml)?,
    })
}

/// Where the texts a notice uses come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Saved for this locale, by someone, at some time.
    Saved { by: String, at: NaiveDateTime },
    /// The English version (saved or shipped) stands in for a locale without its own.
    English,
    /// The shipped default.
    Shipped,
}

/// The texts `event` uses in `locale`: its own saved version, else the English one, else
/// the shipped default.
pub fn current(
    conn: &mut DbConn,
    event: Event,
    locale: &Locale,
) -> diesel::QueryResult<(Texts, Origin)> {
    if let Some(saved) = notice_template::get(conn, event.as_str(), locale.as_str())? {
        let origin = Origin::Saved {
            by: saved.updated_by,
            at: saved.updated_at,
        };
        let texts = Texts {
            subject: saved.subject,
            body_text: saved.body_text,
            body_html: saved.body_html,
        };
        return Ok((texts, origin));
    }
    if !locale.is_english() {
        let (texts, _) = current(conn, event, &Locale::english())?;
        return Ok((texts, Origin::English));
    }
    Ok((event.default_texts(), Origin::Shipped))
}

/// Renders the notice of `event` for a reader of `locale`. A saved template that fails at
/// render time (a value it did not expect) must not fail the change it reports: the
/// shipped default is used instead, and the failure is logged.
pub fn render_notice(
    conn: &mut DbConn,
    event: Event,
    locale: &Locale,
    context: &NoticeContext,
) -> diesel::QueryResult<Rendered> {
    let (texts, _) = current(conn, event, locale)?;
    match render(&texts, context) {
        Ok(rendered) => Ok(rendered),
        Err(error) => {
            tracing::warn!(
                event = event.as_str(),
                locale = locale.as_str(),
                %error,
                "a notice template failed to render; the shipped default was used"
            );
            render(&event.default_texts(), context)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("The template has errors.")]
    Invalid(Vec<PartError>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn replaced_by(actor: &Actor) -> ReplacedBy<'_> {
    ReplacedBy {
        user_id: actor.user_id(),
        name: actor.name(),
    }
}

fn detail(event: Event, locale: &Locale) -> String {
    format!("{} ({})", event.label(), locale.as_str())
}

/// Saves `texts` as the template of `event` in `locale`, after checking them. The version
/// it replaces (saved, or the one that applied) goes to the history; the save is audited.
pub fn save(
    conn: &mut DbConn,
    event: Event,
    locale: &Locale,
    texts: &Texts,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), TemplateError> {
    let errors = check(texts);
    if !errors.is_empty() {
        return Err(TemplateError::Invalid(errors));
    }
    crate::db::transaction(conn, |conn| {
        let (old, origin) = current(conn, event, locale)?;
        let (e, l) = (event.as_str(), locale.as_str());
        // A new locale's first version replaces none of its own: the English stand-in stays.
        if origin != Origin::English {
            let by = replaced_by(actor);
            notice_template_history::insert(conn, e, l, &old.borrowed(), &by, now)?;
        }
        notice_template::save(conn, e, l, &texts.borrowed(), actor.name(), now)?;
        let action = AuditAction::NoticeTemplateSaved;
        audit::record(conn, actor, action, None, &detail(event, locale), now)?;
        Ok(())
    })
}

/// Deletes the saved version of `event` in `locale`, keeping it in the history, so the
/// shipped default (or, for another locale, the English version) applies again. `false`
/// when there was none.
pub fn reset(
    conn: &mut DbConn,
    event: Event,
    locale: &Locale,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<bool, TemplateError> {
    crate::db::transaction(conn, |conn| {
        let (e, l) = (event.as_str(), locale.as_str());
        let Some(saved) = notice_template::get(conn, e, l)? else {
            return Ok(false);
        };
        let old = TemplateTexts {
            subject: &saved.subject,
            body_text: &saved.body_text,
            body_html: &saved.body_html,
        };
        notice_template_history::insert(conn, e, l, &old, &replaced_by(actor), now)?;
        notice_template::delete(conn, e, l)?;
        let action = AuditAction::NoticeTemplateReset;
        audit::record(conn, actor, action, None, &detail(event, locale), now)?;
        Ok(true)
    })
}

/// Queues `texts`, rendered with sample values, to `recipient` (the administrator trying
/// them) through the outbox, as a real notice would go.
pub fn send_test(
    conn: &mut DbConn,
    event: Event,
    texts: &Texts,
    recipient: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), TemplateError> {
    let errors = check(texts);
    if !errors.is_empty() {
        return Err(TemplateError::Invalid(errors));
    }
    let rendered = render(texts, &NoticeContext::sample(event, actor.name(), now))
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    crate::db::transaction(conn, |conn| {
        crate::mail::queue(conn, &rendered.to(recipient), now)?;
        let action = AuditAction::NoticeTestSent;
        audit::record(conn, actor, action, None, event.label(), now)?;
        Ok(())
    })
}

/// The versions of a template that saves and resets replaced, newest first.
pub fn history(
    conn: &mut DbConn,
    event: Event,
    locale: &Locale,
    limit: i64,
) -> diesel::QueryResult<Vec<ReplacedVersion>> {
    notice_template_history::for_template(conn, event.as_str(), locale.as_str(), limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NoticeContext {
        NoticeContext::sample(Event::ApplicationActivated, "ada", NaiveDateTime::MIN)
    }

    #[test]
    fn every_shipped_default_passes_its_own_checks() {
        for event in Event::ALL {
            assert_eq!(check(&event.default_texts()), [], "{event:?}");
            assert_eq!(Event::parse(event.as_str()), Some(event));
        }
    }

    #[test]
    fn a_syntax_error_is_refused_with_its_line() {
        let mut texts = Event::ApplicationAdded.default_texts();
        texts.body_text = "Hello\n\n{{ application }\n".to_owned();
        let errors = check(&texts);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].part, Part::BodyText);
        assert!(
            errors[0].message.starts_with("Line 3:"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn an_unknown_variable_is_refused_with_its_line() {
        let mut texts = Event::ApplicationAdded.default_texts();
        texts.body_html = "<p>{{ application }}</p>\n<p>{{ client_secret }}</p>".to_owned();
        let errors = check(&texts);
        assert_eq!(errors[0].part, Part::BodyHtml);
        assert!(
            errors[0]
                .message
                .starts_with("Line 2: there is no variable named client_secret")
        );
    }

    #[test]
    fn an_attribute_a_value_does_not_have_is_refused() {
        let mut texts = Event::ApplicationAdded.default_texts();
        texts.body_text = "{{ application.secret_hash }}".to_owned();
        assert_eq!(check(&texts)[0].part, Part::BodyText);
    }

    #[test]
    fn a_subject_with_a_line_break_is_refused_and_a_rendered_one_is_one_line() {
        let mut texts = Event::ApplicationAdded.default_texts();
        texts.subject = "Hello\nBcc: someone@example.com".to_owned();
        assert_eq!(check(&texts)[0].part, Part::Subject);
        texts.subject = "New: {{ application }}".to_owned();
        let mut context = sample();
        context.application = "A\r\nBcc: x@example.com".to_owned();
        let rendered = render(&texts, &context).unwrap();
        assert_eq!(rendered.subject, "New: A  Bcc: x@example.com");
    }

    #[test]
    fn html_bodies_escape_values_and_text_bodies_keep_them() {
        let texts = Texts {
            subject: "{{ application }}".to_owned(),
            body_text: "{{ application }}".to_owned(),
            body_html: "<b>{{ application }}</b>".to_owned(),
        };
        let mut context = sample();
        context.application = "<script>x</script>".to_owned();
        let rendered = render(&texts, &context).unwrap();
        assert_eq!(
            rendered.body_html,
            "<b>&lt;script&gt;x&lt;&#x2f;script&gt;</b>"
        );
        assert_eq!(rendered.body_text, "<script>x</script>");
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let texts = Texts {
            subject: "s".to_owned(),
            body_text:
                "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}"
                    .to_owned(),
            body_html: "h".to_owned(),
        };
        assert!(render(&texts, &sample()).is_err());
    }
}
