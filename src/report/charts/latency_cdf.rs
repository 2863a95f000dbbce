//! Latency CDF of both versions on a log axis, with V1's and V2's p50/p95/p99 marked.

use super::{err, frame, png, version_lines, Chart, FONT, V1, V2};
use crate::analyze::Outcome;
use crate::error::Result;
use plotters::prelude::*;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let lat = &o.verdict.metrics.latency_ms;
    // Latencies below 0.01 ms are drawn at 0.01 ms: the x axis is logarithmic.
    let points = |e: &[(f64, f64)]| -> Vec<(f64, f64)> { e.iter().map(|(v, p)| (v.max(0.01), *p)).collect() };
    let (a, b) = (points(&lat.v1.ecdf), points(&lat.v2.ecdf));
    if a.is_empty() || b.is_empty() {
        return Ok(None);
    }
    let lo = a[0].0.min(b[0].0).max(0.01);
    let hi = a[a.len() - 1].0.max(b[b.len() - 1].0).max(lo * 10.0);
    let name = "latency_cdf";
    let bytes = png(name, |root| {
        let mut chart = frame(&root, "Latency distribution (CDF, log scale)", 64)
            .build_cartesian_2d((lo..hi * 1.05).log_scale(), 0.0..1.0f64)
            .map_err(err(name))?;
        chart
            .configure_mesh()
            .x_desc("latency (ms, log scale)")
            .y_desc("share of requests at or below")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .x_label_formatter(&|v| if *v >= 1000.0 { format!("{:.0} s", v / 1000.0) } else { format!("{v:.0}") })
            .draw()
            .map_err(err(name))?;
        for (q, p) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            for (summary, color) in [(&lat.v1, V1), (&lat.v2, V2)] {
                if let Some(v) = summary.quantile(q).map(|i| i.estimate).filter(|v| v.is_finite() && *v > 0.0) {
                    chart.draw_series(std::iter::once(Circle::new((v, p), 5, color.filled()))).map_err(err(name))?;
                }
            }
            if let Some(v) = lat.v2.quantile(q).map(|i| i.estimate).filter(|v| v.is_finite() && *v > 0.0) {
                chart
                    .draw_series(std::iter::once(Text::new(format!("{q} V2 {v:.0} ms"), (v * 1.08, p - 0.045), (FONT, 14).into_font())))
                    .map_err(err(name))?;
            }
        }
        version_lines(&mut chart, name, a.clone(), b.clone(), SeriesLabelPosition::LowerRight)?;
        Ok(())
    })?;
    Ok(Some(Chart {
        name,
        title: "Latency distribution".into(),
        caption: format!(
            "Share of requests (y) finishing within a latency (x, log scale), V1 blue and V2 orange; dots mark p50, p95 and p99. A V2 curve to the right of V1's means V2 is slower at that percentile. V2/V1 p95 = {:.3} ({:.3} to {:.3}).",
            lat.comparison.ratios.get("p95").map_or(f64::NAN, |r| r.interval.estimate),
            lat.comparison.ratios.get("p95").map_or(f64::NAN, |r| r.interval.lower),
            lat.comparison.ratios.get("p95").map_or(f64::NAN, |r| r.interval.upper),
        ),
        png: bytes,
    }))
}
