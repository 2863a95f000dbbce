//! Per-window error rate of both versions, with the sustained rule's threshold and its breaches.

use super::timeline::{draw_timeline, Series};
use super::Chart;
use crate::analyze::Outcome;
use crate::error::Result;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let spec = Series {
        name: "timeline_errors",
        title: "Error rate per window",
        y_desc: "error rate",
        statistic: "window.v2.error_rate",
        value: |w| w.error_rate,
        percent: true,
    };
    draw_timeline(o, &spec)
}
