//! The shift function: V2's change against V1 at every decile, p95 and p99, with its simultaneous
//! band and the `latency.shift` margin.

use super::{err, frame, png, Chart, FONT, THRESHOLD, V2};
use crate::analyze::Outcome;
use crate::error::Result;
use plotters::prelude::*;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let v = &o.verdict;
    let sf = &v.metrics.latency_ms.shift;
    let pct = |r: f64| (r - 1.0) * 100.0;
    let points: Vec<(usize, f64, f64, f64, f64)> = sf
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.ratio.lower.is_finite() && p.ratio.upper.is_finite())
        .map(|(i, p)| (i, p.q, pct(p.ratio.estimate), pct(p.ratio.lower), pct(p.ratio.upper)))
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let gate = v.policy.gates.get("latency.shift").filter(|g| g.enabled);
    let margin = gate.map(|g| pct(g.threshold));
    let tail_margin = gate.and_then(|g| g.tail_threshold).map(pct);
    let margin_at = |q: f64| if q >= 0.99 { tail_margin.or(margin) } else { margin };
    let lo = points.iter().map(|p| p.3).chain([0.0]).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.4).chain([0.0, margin.unwrap_or(0.0), tail_margin.unwrap_or(0.0)]).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.12).max(1.0);
    let labels: Vec<String> = sf.points.iter().map(|p| format!("p{}", (p.q * 100.0).round())).collect();
    let n = sf.points.len();
    let name = "shift_function";
    let bytes = png(name, |root| {
        let mut chart = frame(&root, "Shift function: V2 against V1 at every decile", 72)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), (lo - pad)..(hi + pad))
            .map_err(err(name))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let k = x.round();
                if (x - k).abs() < 0.01 && k >= 0.0 && (k as usize) < labels.len() {
                    labels[k as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc("quantile of latency")
            .y_desc("V2 vs V1 at that quantile (%)")
            .y_label_formatter(&|y| format!("{y:+.0}%"))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err(name))?;
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)], BLACK.stroke_width(1))))
            .map_err(err(name))?;
        if let Some(m) = margin {
            // The margin, and at p99 (the last point) the tail margin when it differs.
            let split = if tail_margin.is_some_and(|t| t != m) { n as f64 - 1.5 } else { n as f64 - 0.5 };
            chart.draw_series(DashedLineSeries::new(vec![(-0.5, m), (split, m)], 8, 6, THRESHOLD.stroke_width(2))).map_err(err(name))?;
            if let Some(t) = tail_margin.filter(|t| *t != m) {
                chart
                    .draw_series(DashedLineSeries::new(vec![(split, t), (n as f64 - 0.5, t)], 8, 6, THRESHOLD.stroke_width(2)))
                    .map_err(err(name))?;
            }
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("latency.shift margin {m:+.0}%"),
                    (-0.4, m),
                    (FONT, 14).into_font().color(&THRESHOLD),
                )))
                .map_err(err(name))?;
        }
        for &(i, q, _, l, u) in &points {
            let x = i as f64;
            // A band wholly above the margin is the failure the gate reports: draw it red.
            let color = if margin_at(q).is_some_and(|m| l > m) { THRESHOLD } else { BLACK };
            chart.draw_series(std::iter::once(PathElement::new(vec![(x, l), (x, u)], color.stroke_width(3)))).map_err(err(name))?;
            for y in [l, u] {
                chart
                    .draw_series(std::iter::once(PathElement::new(vec![(x - 0.15, y), (x + 0.15, y)], color.stroke_width(3))))
                    .map_err(err(name))?;
            }
        }
        chart.draw_series(LineSeries::new(points.iter().map(|p| (p.0 as f64, p.2)), V2.stroke_width(2))).map_err(err(name))?;
        chart.draw_series(points.iter().map(|p| Circle::new((p.0 as f64, p.2), 5, V2.filled()))).map_err(err(name))?;
        Ok(())
    })?;
    Ok(Some(Chart {
        name,
        title: "Shift function".into(),
        caption: format!(
            "V2's latency relative to V1's at each decile, p95 and p99 (orange; {} quantiles), with a simultaneous {:.0}% band (whiskers: all eleven cover together, c = {:.2}). A whisker wholly above the dashed margin, drawn red, fails latency.shift; a change confined to the middle or the tail shows here even when p50 and p95 do not move.",
            sf.estimator,
            sf.confidence * 100.0,
            sf.critical_value
        ),
        png: bytes,
    }))
}
