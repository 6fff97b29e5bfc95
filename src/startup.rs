//! Builds the application from settings: database, migrations, keys, first-run link, and
//! the HTTP server bound to its port (port 0 in tests).

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::models::{client, organization, user};
use crate::db::{self, DbError, Pool};
use crate::domain::PlainSecret;
use crate::error::AppError;
use crate::extractors;
use crate::mail::{MailSetupError, MailWorker};
use crate::metrics::Metrics;
use crate::oauth::keys::{KeyError, KeyStore};
use crate::oauth::throttles::TokenThrottles;
use crate::passwords::PasswordVerifier;
use crate::readmodel::{Changes, ReadModel};
use crate::state::{self, AppState};
use crate::usage::Usage;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Forms and JSON bodies larger than this are answered with 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Threads each worker may run database work and password checks on. Without a bound a
/// burst of requests starts one thread per waiting query (over a hundred under 50
/// connections), and they spend their time contending for 8 connections and waking each
/// other: measured here, this bound more than halved the CPU of a token. Four leaves room
/// for queries beside the (at most one per core) argon2 runs.
const BLOCKING_THREADS_PER_WORKER: usize = 4;

/// `'self'` only: no inline script or style anywhere, so nothing injected can run.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("cannot create {0}: {1}")]
    CreateDir(String, std::io::Error),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error(transparent)]
    Mail(#[from] MailSetupError),
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    setup_link: Option<String>,
    mail: MailWorker,
    /// `/metrics` on its own listener, and the port it got.
    metrics_server: Option<(Server, u16)>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let changes = Changes::new();
        let pool = open_database_observed(&settings, clock.as_ref(), changes.clone())?;
        let keys = load_keys(&settings)?;
        let key_files_warning = crate::files::key_files_warning(&settings.keys_dir);
        if let Some(warning) = &key_files_warning {
            tracing::warn!("{warning}");
        }
        let mail = MailWorker::from_settings(&settings)?;
        crate::mail::templates::set_public_url(&settings.issuer);
        tracing::info!("mail goes to {}", mail.describe());
        let needs_setup = {
            let mut conn = pool.get().map_err(DbError::from)?;
            user::count_admins(&mut conn).map_err(DbError::from)? == 0
        };
        let (setup_token, setup_link) = if needs_setup {
            let token = PlainSecret::generate("");
            let link = format!(
                "{}/admin/setup?token={}",
                settings.base_url(),
                token.expose()
            );
            (Some(token.hash()), Some(link))
        } else {
            (None, None)
        };

        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| StartError::Bind(settings.bind.to_string(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartError::Bind(settings.bind.to_string(), e))?
            .port();
        let workers = settings.workers;
        let passwords = PasswordVerifier::new(workers);
        let metrics = Metrics::new(settings.signing_alg.name(), passwords.checks.clone());
        let usage = Usage::new(clock.now(), settings.usage_retention);
        let metrics_bind = settings.metrics_bind;
        let state = web::Data::new(AppState {
            pool,
            settings,
            clock,
            keys,
            passwords,
            sign_in_by_user: state::sign_in_by_user_throttle(),
            sign_in_by_address: state::sign_in_by_address_throttle(),
            token_throttles: TokenThrottles::default(),
            setup_token: Mutex::new(setup_token),
            mail_wakeup: Notify::new(),
            read_model: ReadModel::new(changes),
            metrics,
            usage,
            key_files_warning,
            mail_health: Default::default(),
        });

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(extractors::form_config(MAX_BODY_BYTES))
                .app_data(extractors::json_config(MAX_BODY_BYTES))
                .app_data(extractors::query_config())
                .app_data(extractors::path_config())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(from_fn(crate::logging::request_id))
                .wrap(
                    DefaultHeaders::new()
                        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        // `same-origin`, not `no-referrer`: with the latter, browsers send
                        // `Origin: null` on form posts and the CSRF origin check cannot tell
                        // our own pages from a sandboxed attacker.
                        .add((header::REFERRER_POLICY, "same-origin"))
                        .add((header::X_FRAME_OPTIONS, "DENY")),
                )
                .configure(crate::health::routes)
                .configure(crate::static_files::routes)
                .configure(crate::admin::routes)
                .configure(crate::oauth::routes)
                .configure(crate::account::authorize::routes)
                .configure(crate::account::routes)
                .configure(crate::collect::routes)
                .default_service(web::to(not_found))
        })
        .workers(workers)
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .listen(listener)
        .map_err(|e| StartError::Bind(format!("port {port}"), e))?
        .run();
        let metrics_server = match metrics_bind {
            Some(bind) => Some(metrics_server(bind, state.clone())?),
            None => None,
        };

        Ok(Self {
            port,
            server,
            state,
            setup_link,
            mail,
            metrics_server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one-time link for creating the first administrator, while there is none.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// The port `/metrics` is served on, when `TESSERA_METRICS_BIND` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until stopped, with the mail worker, the sharing of throttle failures, the read
    /// model's refresher, the usage flush and the metrics listener beside the server. Each is
    /// a task of its own, so a bug in one cannot take the server down (mail waits in the
    /// outbox); a panic of the mail worker is logged and the worker restarted after a
    /// back-off. They end with the server, the usage counted since the last flush written
    /// first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let refresher = self
            .state
            .read_model
            .start(self.state.settings.database_url.clone());
        let throttles = tokio::spawn(crate::throttle::shared::run(self.state.clone()));
        let worker = Arc::new(self.mail);
        let (state, health) = (self.state.clone(), self.state.clone());
        let mail = tokio::spawn(crate::supervise::supervise(
            "mail worker",
            crate::supervise::Backoff::DEFAULT,
            move || worker.clone().run(state.clone()),
            move || health.mail_health.stopped(),
        ));
        let usage = tokio::spawn(crate::usage::run(self.state.clone()));
        let metrics = self.metrics_server.map(|(server, _)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        mail.abort();
        usage.abort();
        throttles.abort();
        drop(refresher);
        if let Some(metrics) = metrics {
            metrics.stop(false).await;
        }
        if let Err(error) = crate::usage::flush(&self.state).await {
            tracing::warn!(%error, "usage counted since the last minute not written");
        }
        result
    }
}

/// `/metrics` alone, on one worker: a scrape must not compete with the public listener's
/// workers, and nothing else is reachable there.
fn metrics_server(
    bind: std::net::SocketAddr,
    state: web::Data<AppState>,
) -> Result<(Server, u16), StartError> {
    let listener = TcpListener::bind(bind).map_err(|e| StartError::Bind(bind.to_string(), e))?;
    let port = listener
        .local_addr()
        .map_err(|e| StartError::Bind(bind.to_string(), e))?
        .port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(crate::metrics::routes)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(|e| StartError::Bind(bind.to_string(), e))?
    .run();
    tracing::info!("metrics on http://{}:{port}/metrics", bind.ip());
    Ok((server, port))
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Opens the pool, runs the migrations and makes sure the default organization exists.
pub fn open_database(settings: &Settings, clock: &dyn Clock) -> Result<Pool, StartError> {
    open_database_observed(settings, clock, Changes::new())
}

/// As `open_database`, its connections telling `changes` of every committed change.
pub fn open_database_observed(
    settings: &Settings,
    clock: &dyn Clock,
    changes: Arc<Changes>,
) -> Result<Pool, StartError> {
    if settings.database_url_is_default
        && let db::DatabaseUrl::Sqlite(path) = &settings.database_url
        && let Some(dir) = path.parent()
    {
        crate::files::create_private_dir_all(dir)
            .map_err(|e| StartError::CreateDir(dir.display().to_string(), e))?;
    }
    let pool_size = if settings.database_url.is_postgres() {
        10
    } else {
        8
    };
    let pool = db::connect_observed(&settings.database_url, pool_size, changes)?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let applied = db::run_migrations(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    organization::ensure_default(&mut conn, clock.now()).map_err(DbError::from)?;
    let folded = client::fill_folded_names(&mut conn).map_err(DbError::from)?;
    if folded > 0 {
        tracing::info!(folded, "folded application names for the grid");
    }
    Ok(pool)
}

/// Loads the signing keys, generating the first one when allowed. Missing keys do not stop
/// the start: the back-office must still work to say what is wrong.
fn load_keys(settings: &Settings) -> Result<Result<KeyStore, KeyError>, StartError> {
    match KeyStore::load(&settings.keys_dir, settings.signing_alg) {
        Ok(keys) => Ok(Ok(keys)),
        Err(KeyError::Missing(..)) if settings.generate_keys => {
            let (keys, generated) =
                KeyStore::load_or_generate(&settings.keys_dir, settings.signing_alg)?;
            if let Some(kid) = generated {
                tracing::info!(
                    kid,
                    alg = %settings.signing_alg,
                    dir = %settings.keys_dir.display(),
                    "no signing key found: generated one"
                );
            }
            Ok(Ok(keys))
        }
        Err(e) => {
            tracing::warn!(error = %e, "OAuth tokens cannot be issued until signing keys are configured");
            Ok(Err(e))
        }
    }
}
