//! Discrepancy rate by segment with its interval, against the overall rate and the gate.

use super::bars::{draw, Bar, Spec};
use super::{Chart, V2};
use crate::analyze::Outcome;
use crate::error::Result;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let d = &o.verdict.metrics.discrepancy;
    let rows: Vec<_> = d.by_segment.iter().filter(|r| r.comparable > 0).take(15).collect();
    if !d.applicable || rows.is_empty() {
        return Ok(None);
    }
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: format!("{}={}", r.column, r.value),
            value: r.rate.estimate,
            interval: Some((r.rate.lower, r.rate.upper)),
            color: V2,
        })
        .collect();
    let mut refs = vec![("overall".to_string(), d.rate.estimate)];
    if let Some(g) = o.verdict.policy.gates.get("discrepancy.rate").filter(|g| g.enabled) {
        refs.push(("limit".into(), g.threshold));
    }
    let spec = Spec {
        name: "discrepancy_segments",
        title: "Discrepancy rate by segment (95% CI)",
        x_desc: "share of comparable requests where V2's result differs",
        percent: true,
        references: refs,
        x_min: 0.0,
    };
    Ok(Some(Chart {
        name: "discrepancy_segments",
        title: "Discrepancies by segment".into(),
        caption: "Each bar is a segment's discrepancy rate with its confidence interval (whiskers); dashed lines mark the overall rate and the gate's limit. Segments are ranked by mismatches; the q-values in the segment table correct for looking at many segments.".into(),
        png: draw(&spec, &bars)?,
    }))
}
