//! V2's (and V1's) success ratio per window against the availability target, with the windows
//! that fell below marked.

use super::{err, frame, png, version_lines, Chart, BREACH, FONT, THRESHOLD};
use crate::analyze::Outcome;
use crate::error::Result;
use plotters::prelude::*;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let w = &o.verdict.windows;
    let Some(a) = w.availability.as_ref().filter(|a| a.series.len() >= 2) else {
        return Ok(None);
    };
    let t0 = a.series[0].0;
    let minutes = |ms: i64| (ms - t0) as f64 / 60_000.0;
    let v2: Vec<(f64, f64)> = a.series.iter().map(|p| (minutes(p.0), p.1)).collect();
    let v1: Vec<(f64, f64)> = a.series.iter().filter(|p| p.2.is_finite()).map(|p| (minutes(p.0), p.2)).collect();
    // The y axis starts a little below the lowest point or the target, whichever is lower.
    let low = v2.iter().chain(&v1).map(|p| p.1).fold(a.target, f64::min);
    let ymin = (1.0 - (1.0 - low) * 1.3).max(0.0);
    let xmax = minutes(a.series[a.series.len() - 1].0) + f64::from(a.width_minutes);
    let name = "availability";
    let bytes = png(name, |root| {
        let mut chart = frame(&root, &format!("Availability per {}-minute window", a.width_minutes), 84)
            .build_cartesian_2d(0.0..xmax, ymin..1.0)
            .map_err(err(name))?;
        chart
            .configure_mesh()
            .x_desc(format!("minutes since {}", crate::metrics::windows::rfc3339(t0)))
            .y_desc("requests that succeeded")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .y_label_formatter(&|v| format!("{:.2}%", v * 100.0))
            .draw()
            .map_err(err(name))?;
        for b in &a.below {
            let x0 = minutes(b.start_ms);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, ymin), (x0 + f64::from(a.width_minutes), 1.0)],
                    BREACH.mix(0.35).filled(),
                )))
                .map_err(err(name))?;
        }
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, a.target), (xmax, a.target)], 8, 6, THRESHOLD.stroke_width(2)))
            .map_err(err(name))?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("target {:.2}%", a.target * 100.0),
                (xmax * 0.01, a.target),
                (FONT, 14).into_font().color(&THRESHOLD),
            )))
            .map_err(err(name))?;
        version_lines(&mut chart, name, v1.clone(), v2.clone(), SeriesLabelPosition::LowerRight)?;
        Ok(())
    })?;
    Ok(Some(Chart {
        name,
        title: "Availability per minute".into(),
        caption: format!(
            "Share of requests that succeeded in each {}-minute window with at least {} V2 requests (V1 blue, V2 orange) against the {:.2}% target (dashed). Shaded windows are the {} in which V2's interval lies wholly below the target ({} of them with V1 below too); {} sparser windows are skipped.",
            a.width_minutes,
            a.min_requests,
            a.target * 100.0,
            a.below.len(),
            a.shared_with_v1,
            a.sparse_windows
        ),
        png: bytes,
    }))
}
