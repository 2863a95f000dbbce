//! Shadow: histogram of per-request V2/V1 latency change (paired). Canary: overlaid latency
//! histograms of both versions on log-spaced bins.

use super::{err, frame, png, version_lines, Chart, FONT, V1, V2};
use crate::analyze::Outcome;
use crate::error::Result;
use crate::metrics::latency::ChangeHistogram;
use crate::policy::Mode;
use crate::stats::histogram::shares;
use plotters::prelude::*;

const BINS: usize = crate::metrics::latency::CHANGE_BINS;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let ds = &o.dataset;
    let name = "latency_delta";
    if o.verdict.mode == Mode::Shadow {
        // Binned by the metrics stage from the sorted log ratios it had anyway.
        let Some(ChangeHistogram { lo, hi, shares: h }) = &o.verdict.metrics.latency_ms.comparison.change_histogram else {
            return Ok(None);
        };
        let (lo, hi) = (*lo, *hi);
        let top = h.iter().copied().fold(0.0, f64::max) * 1.1;
        let shift = &o.verdict.metrics.latency_ms.comparison.shift.interval;
        let bytes = png(name, |root| {
            let mut chart = frame(&root, "Per-request latency change, V2 vs V1 (same requests)", 64)
                .build_cartesian_2d(lo..hi, 0.0..top.max(1e-9))
                .map_err(err(name))?;
            chart
                .configure_mesh()
                .x_desc("V2 latency / V1 latency (log scale; 0% = unchanged)")
                .y_desc("share of requests")
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 16))
                .x_label_formatter(&|v| format!("{:+.0}%", (v.exp() - 1.0) * 100.0))
                .y_label_formatter(&|v| format!("{:.1}%", v * 100.0))
                .draw()
                .map_err(err(name))?;
            let w = (hi - lo) / BINS as f64;
            chart
                .draw_series(h.iter().enumerate().map(|(k, c)| {
                    let x0 = lo + k as f64 * w;
                    Rectangle::new([(x0, 0.0), (x0 + w * 0.95, *c)], V2.mix(0.75).filled())
                }))
                .map_err(err(name))?;
            chart.draw_series(LineSeries::new(vec![(0.0, 0.0), (0.0, top)], BLACK.stroke_width(2))).map_err(err(name))?;
            if shift.estimate.is_finite() && shift.estimate > 0.0 {
                let m = shift.estimate.ln();
                chart.draw_series(LineSeries::new(vec![(m, 0.0), (m, top)], V1.stroke_width(3))).map_err(err(name))?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("median change {:+.2}%", (shift.estimate - 1.0) * 100.0),
                        (m, top * 0.95),
                        (FONT, 15).into_font(),
                    )))
                    .map_err(err(name))?;
            }
            Ok(())
        })?;
        return Ok(Some(Chart {
            name,
            title: "Per-request latency change".into(),
            caption: format!(
                "Each request served by both versions contributes V2/V1 of its latency. Mass right of the black line means V2 was slower. The blue line is the Hodges-Lehmann median change {:+.2}% (95% CI {:+.2}% to {:+.2}%).",
                (shift.estimate - 1.0) * 100.0,
                (shift.lower - 1.0) * 100.0,
                (shift.upper - 1.0) * 100.0
            ),
            png: bytes,
        }));
    }
    // Canary: overlaid log-latency histograms.
    let logs = |v: &[f64], keep: &[u32]| -> Vec<f64> { keep.iter().map(|&i| v[i as usize].max(0.01).log10()).collect() };
    let (a, b) = (logs(&ds.v1.latency_ms, &ds.d1.keep), logs(&ds.v2.latency_ms, &ds.d2.keep));
    if a.is_empty() || b.is_empty() {
        return Ok(None);
    }
    let lo = a.iter().chain(&b).copied().fold(f64::INFINITY, f64::min);
    let hi = a.iter().chain(&b).copied().fold(f64::NEG_INFINITY, f64::max).max(lo + 0.1);
    let (ha, hb) = (shares(&a, lo, hi, BINS), shares(&b, lo, hi, BINS));
    let top = ha.iter().chain(&hb).copied().fold(0.0, f64::max) * 1.1;
    let bytes = png(name, |root| {
        let mut chart = frame(&root, "Latency distributions, V1 and V2 (different requests)", 64)
            .build_cartesian_2d(lo..hi, 0.0..top.max(1e-9))
            .map_err(err(name))?;
        chart
            .configure_mesh()
            .x_desc("latency (ms, log scale)")
            .y_desc("share of the version's requests")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .x_label_formatter(&|v| format!("{:.0}", 10f64.powf(*v)))
            .y_label_formatter(&|v| format!("{:.1}%", v * 100.0))
            .draw()
            .map_err(err(name))?;
        let w = (hi - lo) / BINS as f64;
        let pts = |h: &[f64]| -> Vec<(f64, f64)> { h.iter().enumerate().map(|(k, c)| (lo + (k as f64 + 0.5) * w, *c)).collect() };
        version_lines(&mut chart, name, pts(&ha), pts(&hb), SeriesLabelPosition::UpperRight)?;
        Ok(())
    })?;
    Ok(Some(Chart {
        name,
        title: "Latency distributions".into(),
        caption: "Share of each version's requests per latency bin (log scale). In canary mode the versions served different requests, so the comparison is between distributions.".into(),
        png: bytes,
    }))
}
