//! Logs: human-readable lines by default, or one JSON object per line with
//! `TESSERA_LOG_FORMAT=json`; and a request id for every request, returned in
//! `X-Request-Id` and carried by every line logged while the request is served.

use actix_web::HttpMessage;
use actix_web::HttpRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::fmt::{self, Write as _};
use std::io::{IsTerminal as _, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Instrument, Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// A request path as the log may show it: a credentials link's one-time token is cut off.
pub fn loggable_path(path: &str) -> &str {
    use crate::domain::secret::COLLECT_PATH;
    if path.starts_with(COLLECT_PATH) {
        COLLECT_PATH
    } else {
        path
    }
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The default filter when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `TESSERA_LOG_FORMAT`: `json`, or `text` (the default).
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("TESSERA_LOG_FORMAT")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "invalid setting TESSERA_LOG_FORMAT: expected text or json, not `{other}`"
            )),
        }
    }
}

/// Installs the process's subscriber, writing to standard error.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    match format {
        // Colours only on a terminal: a log file or a collector gets plain text, and each
        // request's span is formatted without escape codes.
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(filter)
            .with(JsonLines::new(std::io::stderr))
            .init(),
    }
}

/// The span of one request, kept in its extensions so handlers can add the client id.
#[derive(Clone)]
struct RequestSpan(Span);

/// Gives the request an id, serves it inside a span carrying that id, and returns the id
/// in `X-Request-Id`. The id is Tessera's own: one sent by the caller is not trusted.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = crate::domain::secret::random_hex(8);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        client_id = tracing::field::Empty
    );
    req.extensions_mut().insert(RequestSpan(span.clone()));
    let method = req.method().clone();
    let path = loggable_path(req.path()).to_owned();
    let mut response = next.call(req).instrument(span.clone()).await?;
    tracing::debug!(
        parent: &span,
        %method,
        path,
        status = response.status().as_u16(),
        "request answered"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

/// Names the application a request is from, for the rest of its log lines.
pub fn record_client_id(req: &HttpRequest, client_id: &str) {
    if let Some(RequestSpan(span)) = req.extensions().get::<RequestSpan>() {
        span.record("client_id", client_id);
    }
}

/// The request fields a span carries, kept in its extensions.
#[derive(Default, Clone)]
struct RequestFields {
    request_id: Option<String>,
    client_id: Option<String>,
}

impl Visit for RequestFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "request_id" => self.request_id = Some(value.to_owned()),
            "client_id" => self.client_id = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "request_id" | "client_id" => {
                let mut text = String::new();
                let _ = write!(text, "{value:?}");
                self.record_str(field, &text);
            }
            _ => {}
        }
    }
}

/// An event's fields as JSON values.
struct JsonFields(serde_json::Map<String, serde_json::Value>);

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

/// Writes each event as one JSON object on one line: `time`, `level`, `target`, `message`,
/// `request_id` and `client_id` when the event happened within a request, then the event's
/// own fields.
pub struct JsonLines<W> {
    make_writer: W,
}

impl<W> JsonLines<W> {
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = RequestFields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<RequestFields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut request = RequestFields::default();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<RequestFields>() {
                    request.request_id = fields.request_id.clone().or(request.request_id);
                    request.client_id = fields.client_id.clone().or(request.client_id);
                }
            }
        }
        let mut fields = JsonFields(serde_json::Map::new());
        event.record(&mut fields);
        let meta = event.metadata();
        let mut line = serde_json::Map::new();
        line.insert(
            "time".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        line.insert(
            "message".into(),
            fields.0.remove("message").unwrap_or_default(),
        );
        if let Some(id) = request.request_id {
            line.insert("request_id".into(), id.into());
        }
        if let Some(id) = request.client_id {
            line.insert("client_id".into(), id.into());
        }
        for (key, value) in fields.0 {
            line.entry(key).or_insert(value);
        }
        let mut text = serde_json::Value::Object(line).to_string();
        text.push('\n');
        let _ = self.make_writer.make_writer().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_credentials_link_token_never_reaches_the_log() {
        let token = "a".repeat(43);
        assert_eq!(
            super::loggable_path(&format!("/credentials/{token}")),
            "/credentials/"
        );
        assert_eq!(super::loggable_path("/credentials"), "/credentials");
        assert_eq!(super::loggable_path("/oauth2-token"), "/oauth2-token");
    }
}
