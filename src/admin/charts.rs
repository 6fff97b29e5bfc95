//! Server-rendered SVG bar charts: no script, no third-party asset, nothing the CSP
//! `'self'` forbids (presentation attributes and classes only, no inline style).
//!
//! Each series has a fill pattern as well as a colour (solid, stripes, dots, cross-hatch)
//! and a legend, so a chart reads without colour; the numbers are also in a table that
//! screen readers get (the picture itself is one labelled image for them).

use askama::Template;
use chrono::{NaiveDateTime, TimeDelta};

const WIDTH: i64 = 720;
const HEIGHT: i64 = 180;
/// Room for the y-axis labels on the left and the x-axis labels below.
const LEFT: i64 = 44;
const BOTTOM: i64 = 22;
const TOP: i64 = 8;
/// How many x-axis labels at most, so they never overlap.
const X_LABELS: usize = 8;

/// One stacked series: a name for the legend and the table, and a value per bucket.
pub struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

/// Buckets of equal length ending with the one that holds `now`.
#[derive(Clone, Copy)]
pub struct Buckets {
    pub start: NaiveDateTime,
    pub step: TimeDelta,
    pub count: usize,
}

impl Buckets {
    /// `count` whole hours (or days, with `step` a day), the last one holding `now`.
    pub fn ending_at(now: NaiveDateTime, step: TimeDelta, count: usize) -> Self {
        let seconds = step.num_seconds().max(1);
        let now_s = now.and_utc().timestamp();
        let current = now_s - now_s.rem_euclid(seconds);
        let first = current - seconds * (count as i64 - 1);
        let start = chrono::DateTime::from_timestamp(first, 0).map_or(now, |t| t.naive_utc());
        Self { start, step, count }
    }

    /// Which bucket `t` falls in, if any.
    pub fn index(&self, t: NaiveDateTime) -> Option<usize> {
        if t < self.start {
            return None;
        }
        let i = ((t - self.start).num_seconds() / self.step.num_seconds().max(1)) as usize;
        (i < self.count).then_some(i)
    }

    pub fn time(&self, i: usize) -> NaiveDateTime {
        self.start + self.step * i as i32
    }

    fn label(&self, i: usize) -> String {
        let t = self.time(i);
        if self.step >= TimeDelta::days(1) {
            t.format("%m-%d").to_string()
        } else {
            t.format("%m-%d %H:00").to_string()
        }
    }
}

pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub pattern: usize,
}

pub struct Tick {
    pub at: i64,
    pub label: String,
}

pub struct LegendItem {
    pub name: String,
    pub pattern: usize,
    pub total: i64,
}

pub struct TableRow {
    pub label: String,
    pub values: Vec<i64>,
    pub total: i64,
}

/// A chart ready for its template.
#[derive(Template)]
#[template(path = "admin/chart.html")]
pub struct Chart {
    /// Unique within the page: prefixes the pattern ids.
    pub id: String,
    pub title: String,
    pub summary: String,
    pub width: i64,
    pub height: i64,
    pub plot_left: i64,
    pub plot_bottom: i64,
    pub plot_right: i64,
    pub rects: Vec<Rect>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub legend: Vec<LegendItem>,
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
    /// What a bucket is, for the table's first column ("Hour (UTC)", "Day (UTC)").
    pub bucket_name: String,
}

impl Chart {
    /// Lays out `series` stacked over `buckets`.
    pub fn stacked(
        id: &str,
        title: &str,
        bucket_name: &str,
        buckets: Buckets,
        series: Vec<Series>,
    ) -> Self {
        let n = buckets.count.max(1);
        let totals: Vec<i64> = (0..n)
            .map(|i| {
                series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0))
                    .sum()
            })
            .collect();
        let max = nice_max(totals.iter().copied().max().unwrap_or(0));
        let plot_w = WIDTH - LEFT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let base = HEIGHT - BOTTOM;
        let scale = |v: i64| v * plot_h / max;

        let mut rects = Vec::new();
        for i in 0..n {
            let x0 = LEFT + plot_w * i as i64 / n as i64;
            let x1 = LEFT + plot_w * (i as i64 + 1) / n as i64;
            let width = (x1 - x0 - 1).max(1);
            let mut below = 0;
            for (k, s) in series.iter().enumerate() {
                let v = s.values.get(i).copied().unwrap_or(0);
                if v <= 0 {
                    continue;
                }
                let bottom = base - scale(below);
                below += v;
                let top = base - scale(below);
                rects.push(Rect {
                    x: x0,
                    y: top,
                    width,
                    // Never thinner than a pixel, so a single token shows.
                    height: (bottom - top).max(1),
                    pattern: k,
                });
            }
        }

        let y_ticks = [0, max / 2, max]
            .into_iter()
            .map(|v| Tick {
                at: base - scale(v),
                label: v.to_string(),
            })
            .collect();
        let every = n.div_ceil(X_LABELS).max(1);
        let x_ticks = (0..n)
            .step_by(every)
            .map(|i| Tick {
                at: LEFT + plot_w * i as i64 / n as i64,
                label: buckets.label(i),
            })
            .collect();
        let legend = series
            .iter()
            .enumerate()
            .map(|(k, s)| LegendItem {
                name: s.name.clone(),
                pattern: k,
                total: s.values.iter().sum(),
            })
            .collect::<Vec<_>>();
        // The table lists the buckets that have something; the others are zero.
        let rows = (0..n)
            .filter(|i| totals[*i] > 0)
            .map(|i| TableRow {
                label: buckets.label(i),
                values: series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0))
                    .collect(),
                total: totals[i],
            })
            .collect();
        let grand: i64 = totals.iter().sum();
        let parts = legend
            .iter()
            .map(|l| format!("{} {}", l.name, l.total))
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            summary: format!("{title}: {grand} in all ({parts})."),
            width: WIDTH,
            height: HEIGHT,
            plot_left: LEFT,
            plot_bottom: base,
            plot_right: WIDTH,
            rects,
            y_ticks,
            x_ticks,
            columns: series.iter().map(|s| s.name.clone()).collect(),
            legend,
            rows,
            bucket_name: bucket_name.to_owned(),
        }
    }

    /// The chart as HTML, to place in a page with `|safe`: every value in it went through
    /// the template's escaping.
    pub fn html(&self) -> Result<String, askama::Error> {
        self.render()
    }
}

/// A round top for the y axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_max(max: i64) -> i64 {
    let mut unit = 1;
    loop {
        for m in [1, 2, 5] {
            if m * unit >= max.max(1) {
                return m * unit;
            }
        }
        unit *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn buckets_end_with_the_one_holding_now() {
        let b = Buckets::ending_at(at("2026-11-29 15:42:10"), TimeDelta::hours(1), 3);
        assert_eq!(b.start, at("2026-11-29 13:00:00"));
        assert_eq!(b.index(at("2026-11-29 15:59:59")), Some(2));
        assert_eq!(b.index(at("2026-11-29 12:59:59")), None);
        assert_eq!(b.index(at("2026-11-29 16:00:00")), None);
    }

    #[test]
    fn stacked_bars_never_exceed_the_plot_and_a_single_count_shows() {
        let b = Buckets::ending_at(at("2026-11-29 15:00:00"), TimeDelta::hours(1), 4);
        let chart = Chart::stacked(
            "t",
            "Tokens",
            "Hour",
            b,
            vec![
                Series {
                    name: "a".into(),
                    values: vec![0, 1, 700, 3],
                },
                Series {
                    name: "b".into(),
                    values: vec![0, 0, 300, 0],
                },
            ],
        );
        assert!(chart.rects.iter().all(|r| r.y >= TOP && r.height >= 1));
        assert_eq!(chart.y_ticks.last().unwrap().label, "1000");
        assert_eq!(
            chart.rows.len(),
            3,
            "empty buckets are left out of the table"
        );
        assert!(chart.summary.contains("1004 in all"));
    }

    #[test]
    fn the_axis_top_is_a_round_number() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(5000), 5000);
    }
}
