//! The result fields that differ most often.

use super::bars::{draw, Bar, Spec};
use super::{Chart, V2};
use crate::analyze::Outcome;
use crate::error::Result;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let d = &o.verdict.metrics.discrepancy;
    if !d.applicable || d.by_path.is_empty() {
        return Ok(None);
    }
    let bars: Vec<Bar> =
        d.by_path.iter().take(15).map(|f| Bar { label: f.path.clone(), value: f.share_of_mismatches, interval: None, color: V2 }).collect();
    let spec = Spec {
        name: "discrepancy_fields",
        title: "Fields that differ (share of mismatched pairs)",
        x_desc: "share of mismatched pairs that differ at this path",
        percent: true,
        references: Vec::new(),
        x_min: 0.0,
    };
    Ok(Some(Chart {
        name: "discrepancy_fields",
        title: "Differing fields".into(),
        caption: format!(
            "Of the {} mismatched pairs, the share that differ at each JSON path (`name[]` is an array element, `$` the whole result). A pair can differ at several paths.",
            d.mismatches
        ),
        png: draw(&spec, &bars)?,
    }))
}
