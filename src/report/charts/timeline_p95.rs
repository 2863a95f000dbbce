//! Per-window p95 latency of both versions, with the p95 limit and latency breaches shaded.

use super::timeline::{draw_timeline, Series};
use super::Chart;
use crate::analyze::Outcome;
use crate::error::Result;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let spec = Series {
        name: "timeline_p95",
        title: "p95 latency per window",
        y_desc: "p95 latency (ms)",
        statistic: "window.v2.latency_p95",
        value: |w| w.latency_p95,
        percent: false,
    };
    draw_timeline(o, &spec)
}
