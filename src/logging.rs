//! Logs: human-readable lines by default, or one JSON object per line with
//! `TESSERA_LOG_FORMAT=json`; and a request id for every request, returned in
//! `X-Request-Id` and carried by every line logged while the request is served.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::cell::OnceCell;
use std::fmt;
use std::io::{IsTerminal as _, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
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
        // Colours only on a terminal: a log file or a collector gets plain text.
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .event_format(TextLines::default())
            .init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(filter)
            .with(JsonLines::new(std::io::stderr))
            .init(),
    }
}

/// The request a line is logged for: what every line written while it is served carries.
struct Request {
    id: String,
    /// Known once the application has authenticated.
    client_id: OnceCell<String>,
}

tokio::task_local! {
    /// The request being served by this task. A task-local value rather than a span: a span
    /// per request costs a registry slot and formatted fields even when nothing is logged.
    static REQUEST: Request;
}

/// The request id and client id of the request being served here, if any.
fn current_request() -> Option<(String, Option<String>)> {
    REQUEST
        .try_with(|r| (r.id.clone(), r.client_id.get().cloned()))
        .ok()
}

/// Gives the request an id, serves it with that id as its logging context, and returns the
/// id in `X-Request-Id`. The id is Tessera's own: one sent by the caller is not trusted.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = crate::domain::secret::random_hex(8);
    let header = HeaderValue::from_str(&id).ok();
    let request = Request {
        id,
        client_id: OnceCell::new(),
    };
    REQUEST
        .scope(request, async move {
            // What the closing line needs is copied only when that line is written.
            let answered = tracing::enabled!(Level::DEBUG)
                .then(|| (req.method().clone(), loggable_path(req.path()).to_owned()));
            let mut response = next.call(req).await?;
            if let Some((method, path)) = answered {
                tracing::debug!(
                    %method,
                    path,
                    status = response.status().as_u16(),
                    "request answered"
                );
            }
            if let Some(value) = header {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            Ok(response)
        })
        .await
}

/// Names the application the request being served is from, for the rest of its log lines.
pub fn record_client_id(client_id: &str) {
    let _ = REQUEST.try_with(|r| r.client_id.set(client_id.to_owned()));
}

/// The text format: time, level, `request{request_id=… client_id=…}:` within a request, then
/// the spans, target and fields as `tracing_subscriber` writes them.
pub struct TextLines {
    rest: Format<Full, ()>,
}

impl Default for TextLines {
    fn default() -> Self {
        Self {
            rest: Format::default().without_time().with_level(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = *event.metadata().level();
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        write!(writer, "{time} ")?;
        if writer.has_ansi_escapes() {
            write!(writer, "\x1b[{}m{level:>5}\x1b[0m ", level_colour(level))?;
        } else {
            write!(writer, "{level:>5} ")?;
        }
        if let Some((id, client_id)) = current_request() {
            write!(writer, "request{{request_id={id}")?;
            if let Some(client_id) = client_id {
                write!(writer, " client_id={client_id:?}")?;
            }
            write!(writer, "}}: ")?;
        }
        self.rest
            .clone()
            .with_ansi(writer.has_ansi_escapes())
            .format_event(ctx, writer, event)
    }
}

/// The colour a terminal shows a level in, as an SGR code.
fn level_colour(level: Level) -> u8 {
    match level {
        Level::ERROR => 31,
        Level::WARN => 33,
        Level::INFO => 32,
        Level::DEBUG => 34,
        Level::TRACE => 35,
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
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
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
        if let Some((id, client_id)) = current_request() {
            line.insert("request_id".into(), id.into());
            if let Some(client_id) = client_id {
                line.insert("client_id".into(), client_id.into());
            }
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
    use super::*;
    use std::sync::{Arc, Mutex};

    /// The lines written in `format` for a request that authenticates as `cid` halfway, then
    /// for a line outside any request.
    fn captured(format: LogFormat) -> Vec<String> {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let log = || {
            let request = Request {
                id: "abc123".into(),
                client_id: OnceCell::new(),
            };
            REQUEST.sync_scope(request, || {
                tracing::info!(n = 1, "before authentication");
                record_client_id("cid");
                tracing::warn!("after authentication");
            });
            tracing::info!("outside a request");
        };
        match format {
            LogFormat::Text => tracing::subscriber::with_default(
                tracing_subscriber::fmt()
                    .with_ansi(false)
                    .with_writer(move || SharedWriter(writer.clone()))
                    .event_format(TextLines::default())
                    .finish(),
                log,
            ),
            LogFormat::Json => tracing::subscriber::with_default(
                tracing_subscriber::registry()
                    .with(JsonLines::new(move || SharedWriter(writer.clone()))),
                log,
            ),
        }
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    struct SharedWriter(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for SharedWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn text_lines_carry_the_request_and_then_the_client_it_authenticated_as() {
        let lines = captured(LogFormat::Text);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].ends_with(concat!(
                " INFO request{request_id=abc123}: ",
                "tessera::logging::tests: before authentication n=1"
            )),
            "{lines:?}"
        );
        assert!(
            lines[1].ends_with(concat!(
                " WARN request{request_id=abc123 client_id=\"cid\"}: ",
                "tessera::logging::tests: after authentication"
            )),
            "{lines:?}"
        );
        assert!(
            lines[2].ends_with(" INFO tessera::logging::tests: outside a request"),
            "{lines:?}"
        );
        let time = lines[0].split(' ').next().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    }

    #[test]
    fn json_lines_carry_the_request_and_then_the_client_it_authenticated_as() {
        let lines: Vec<serde_json::Value> = captured(LogFormat::Json)
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0]["request_id"], "abc123");
        assert_eq!(lines[0]["client_id"], serde_json::Value::Null);
        assert_eq!(lines[0]["n"], 1);
        assert_eq!(lines[1]["client_id"], "cid");
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[2]["request_id"], serde_json::Value::Null);
        assert_eq!(lines[2]["message"], "outside a request");
    }

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
