//! The usage panels: on the dashboard (tokens per hour over 7 days, failures and throttled
//! requests, the busiest and the idle applications, expiring secrets, the outbox) and on
//! each application's page (tokens and failures per day over 30 days, last use).

use crate::admin::charts::{Buckets, Chart, Series};
use crate::clock::display_time;
use crate::db::models::mail_outbox::{self, MailStatus};
use crate::db::models::usage::{
    self, Busy, EVENT_FAILURE, EVENT_THROTTLED, EVENT_TOKEN, Expiring, Idle, MinuteTotal,
};
use crate::domain::GrantType;
use crate::error::AppError;
use crate::state::AppState;
use chrono::TimeDelta;

/// The dashboard looks back this many hours (7 days).
const DASHBOARD_HOURS: usize = 7 * 24;
/// An application's page looks back this many days.
const APPLICATION_DAYS: usize = 30;
/// Unused for this long, an application is listed as idle.
const IDLE_AFTER: TimeDelta = TimeDelta::days(30);
const IDLE_LISTED: i64 = 20;
const BUSIEST: i64 = 10;
/// Secrets expiring within this are listed.
const EXPIRY_WARNING: TimeDelta = TimeDelta::days(14);

pub struct IdleRow {
    pub id: i64,
    pub name: String,
    pub last_used: String,
}

pub struct ExpiringRow {
    pub client_id: i64,
    pub name: String,
    pub prefix: String,
    pub expires: String,
}

pub struct DashboardUsage {
    pub tokens_chart: String,
    pub problems_chart: String,
    pub busiest: Vec<Busy>,
    pub idle: Vec<IdleRow>,
    pub idle_total: i64,
    pub expiring: Vec<ExpiringRow>,
    pub outbox_waiting: i64,
    pub outbox_failed: i64,
    pub outbox_oldest: Option<String>,
}

pub struct ApplicationUsage {
    pub tokens_chart: String,
    pub failures_chart: String,
    pub tokens: i64,
    pub failures: i64,
}

/// The series of one event, per bucket; tokens per grant, the others in one series.
fn series_of(totals: &[MinuteTotal], buckets: &Buckets, event: &str, grant: &str) -> Vec<i64> {
    let mut values = vec![0; buckets.count];
    for t in totals
        .iter()
        .filter(|t| t.event == event && (event != EVENT_TOKEN || t.grant_type == grant))
    {
        if let Some(i) = buckets.index(t.minute) {
            values[i] += t.count;
        }
    }
    values
}

fn token_series(totals: &[MinuteTotal], buckets: &Buckets) -> Vec<Series> {
    GrantType::ALL
        .iter()
        .map(|g| Series {
            name: g.label().to_owned(),
            values: series_of(totals, buckets, EVENT_TOKEN, g.as_str()),
        })
        .collect()
}

pub async fn dashboard(state: &AppState) -> Result<DashboardUsage, AppError> {
    let now = state.now();
    let buckets = Buckets::ending_at(now, TimeDelta::hours(1), DASHBOARD_HOURS);
    let since = buckets.start;
    let (totals, busiest, (idle, idle_total), expiring, waiting, failed) =
        crate::db::run(&state.pool, move |conn| {
            Ok::<_, AppError>((
                usage::totals_by_minute(conn, since, None)?,
                usage::busiest(conn, since, BUSIEST)?,
                usage::idle(conn, now - IDLE_AFTER, IDLE_LISTED)?,
                usage::secrets_expiring(conn, now, now + EXPIRY_WARNING)?,
                mail_outbox::waiting(conn)?,
                mail_outbox::count_with_status(conn, MailStatus::Failed)?,
            ))
        })
        .await?;
    let tokens = Chart::stacked(
        "tokens-hourly",
        "Tokens issued per hour, last 7 days, by grant",
        "Hour (UTC)",
        buckets,
        token_series(&totals, &buckets),
    );
    let problems = Chart::stacked(
        "problems-hourly",
        "Failed token requests and throttled requests per hour, last 7 days",
        "Hour (UTC)",
        buckets,
        vec![
            Series {
                name: "Failed".to_owned(),
                values: series_of(&totals, &buckets, EVENT_FAILURE, ""),
            },
            Series {
                name: "Throttled".to_owned(),
                values: series_of(&totals, &buckets, EVENT_THROTTLED, ""),
            },
        ],
    );
    Ok(DashboardUsage {
        tokens_chart: tokens.html()?,
        problems_chart: problems.html()?,
        busiest,
        idle: idle.into_iter().map(idle_row).collect(),
        idle_total,
        expiring: expiring.into_iter().map(expiring_row).collect(),
        outbox_waiting: waiting.0,
        outbox_failed: failed,
        outbox_oldest: waiting.1.map(display_time),
    })
}

fn idle_row(i: Idle) -> IdleRow {
    IdleRow {
        id: i.id,
        name: i.name,
        last_used: i
            .last_used_at
            .map_or_else(|| "Never".to_owned(), display_time),
    }
}

fn expiring_row(e: Expiring) -> ExpiringRow {
    ExpiringRow {
        client_id: e.client_id,
        name: e.name,
        prefix: e.prefix,
        expires: display_time(e.expires_at),
    }
}

pub async fn application(state: &AppState, client_id: i64) -> Result<ApplicationUsage, AppError> {
    let buckets = Buckets::ending_at(state.now(), TimeDelta::days(1), APPLICATION_DAYS);
    let since = buckets.start;
    let totals = crate::db::run(&state.pool, move |conn| {
        usage::totals_by_minute(conn, since, Some(client_id)).map_err(AppError::from)
    })
    .await?;
    let tokens = token_series(&totals, &buckets);
    let failures = series_of(&totals, &buckets, EVENT_FAILURE, "");
    let token_total = tokens.iter().flat_map(|s| &s.values).sum();
    let failure_total = failures.iter().sum();
    let tokens = Chart::stacked(
        "tokens-daily",
        "Tokens issued per day, last 30 days, by grant",
        "Day (UTC)",
        buckets,
        tokens,
    );
    let failures = Chart::stacked(
        "failures-daily",
        "Failed token requests per day, last 30 days",
        "Day (UTC)",
        buckets,
        vec![Series {
            name: "Failed".to_owned(),
            values: failures,
        }],
    );
    Ok(ApplicationUsage {
        tokens_chart: tokens.html()?,
        failures_chart: failures.html()?,
        tokens: token_total,
        failures: failure_total,
    })
}
