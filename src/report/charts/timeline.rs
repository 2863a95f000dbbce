//! Shared drawing for the per-window timelines.

use super::{err, frame, png, version_lines, Chart, BREACH, FONT, THRESHOLD};
use crate::analyze::Outcome;
use crate::error::Result;
use crate::metrics::windows::Window;
use plotters::prelude::*;

pub struct Series {
    pub name: &'static str,
    pub title: &'static str,
    pub y_desc: &'static str,
    /// The per-window statistic whose rules' thresholds and breaches are drawn.
    pub statistic: &'static str,
    pub value: fn(&Window) -> f64,
    pub percent: bool,
}

pub fn draw_timeline(o: &Outcome, s: &Series) -> Result<Option<Chart>> {
    let w = &o.verdict.windows;
    if w.v1.len() + w.v2.len() < 2 {
        return Ok(None);
    }
    let t0 = w.v1.iter().chain(&w.v2).map(|x| x.start_ms).min().unwrap_or(0);
    let t1 = w.v1.iter().chain(&w.v2).map(|x| x.start_ms).max().unwrap_or(0) + i64::from(w.width_minutes) * 60_000;
    let minutes = |ms: i64| (ms - t0) as f64 / 60_000.0;
    let min_req = w.min_requests;
    let pts = |series: &[Window]| -> Vec<(f64, f64)> {
        series.iter().filter(|x| x.requests >= min_req).map(|x| (minutes(x.start_ms), (s.value)(x))).filter(|p| p.1.is_finite()).collect()
    };
    let (a, b) = (pts(&w.v1), pts(&w.v2));
    // Thresholds: the sustained rules on this statistic; for p95 also the absolute p95 gate.
    let mut thresholds: Vec<(String, f64)> = o
        .verdict
        .policy
        .gates
        .iter()
        .filter(|(_, g)| g.enabled && g.statistic == s.statistic)
        .map(|(id, g)| (id.clone(), g.threshold))
        .collect();
    if s.statistic == "window.v2.latency_p95" {
        if let Some(g) = o.verdict.policy.gates.get("latency.p95").filter(|g| g.enabled) {
            thresholds.push(("latency.p95".into(), g.threshold));
        }
    }
    let breaches: Vec<_> = w.breaches.iter().filter(|b| b.statistic == s.statistic).collect();
    let ymax_data = a.iter().chain(&b).map(|p| p.1).fold(0.0, f64::max);
    let ymax_thr = thresholds.iter().map(|t| t.1).fold(0.0, f64::max);
    // Keep thresholds visible unless they are far above the data (then the data would be a flat line).
    let ymax = if ymax_thr <= ymax_data * 3.0 { ymax_data.max(ymax_thr) } else { ymax_data } * 1.15;
    let ymax = if ymax > 0.0 { ymax } else { 1.0 };
    let xmax = minutes(t1).max(1.0);
    let name = s.name;
    let percent = s.percent;
    let bytes = png(name, |root| {
        let mut chart = frame(&root, &format!("{} ({}-minute windows)", s.title, w.width_minutes), 72)
            .build_cartesian_2d(0.0..xmax, 0.0..ymax)
            .map_err(err(name))?;
        chart
            .configure_mesh()
            .x_desc(format!("minutes since {}", crate::metrics::windows::rfc3339(t0)))
            .y_desc(s.y_desc)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .y_label_formatter(&|v| if percent { format!("{:.1}%", v * 100.0) } else { format!("{v:.0}") })
            .draw()
            .map_err(err(name))?;
        for br in &breaches {
            let (x0, x1) = (minutes(br.start_ms), minutes(br.end_ms));
            let color = if br.fired { BREACH.mix(0.35) } else { BREACH.mix(0.15) };
            chart.draw_series(std::iter::once(Rectangle::new([(x0, 0.0), (x1, ymax)], color.filled()))).map_err(err(name))?;
        }
        for (id, t) in &thresholds {
            if *t <= ymax {
                chart
                    .draw_series(DashedLineSeries::new(vec![(0.0, *t), (xmax, *t)], 8, 6, THRESHOLD.stroke_width(2)))
                    .map_err(err(name))?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("{id} threshold"),
                        (xmax * 0.01, *t),
                        (FONT, 14).into_font().color(&THRESHOLD),
                    )))
                    .map_err(err(name))?;
            }
        }
        version_lines(&mut chart, name, a.clone(), b.clone(), SeriesLabelPosition::UpperRight)?;
        Ok(())
    })?;
    let fired = breaches.iter().filter(|b| b.fired).count();
    Ok(Some(Chart {
        name,
        title: s.title.into(),
        caption: format!(
            "V1 blue, V2 orange, one point per {}-minute window with at least {} requests; dashed lines are thresholds; shaded spans are runs above a sustained rule's threshold ({} fired).",
            w.width_minutes, w.min_requests, fired
        ),
        png: bytes,
    }))
}
