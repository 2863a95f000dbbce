//! The rollback drill: V2's share of requests per second around the flip, with the flip and the
//! drill's limit marked.

use super::{err, frame, png, Chart, FONT, THRESHOLD, V2};
use crate::analyze::Outcome;
use crate::error::Result;
use plotters::prelude::*;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let Some(d) = o.verdict.rollback.as_ref().filter(|d| d.per_second.len() >= 2) else {
        return Ok(None);
    };
    let flip = d.flip_ms.div_euclid(1000);
    let share: Vec<(f64, f64)> = d
        .per_second
        .iter()
        .filter(|(_, a, b)| a + b > 0)
        .map(|(s, a, b)| ((s - flip) as f64, *b as f64 / (a + b) as f64 * 100.0))
        .collect();
    if share.is_empty() {
        return Ok(None);
    }
    let limit = o.verdict.policy.gates.get("rollback.drill").filter(|g| g.enabled).map(|g| g.threshold);
    let x0 = (d.per_second[0].0 - flip) as f64;
    let x1 = (d.per_second[d.per_second.len() - 1].0 - flip) as f64 + 1.0;
    let x1 = x1.max(limit.unwrap_or(0.0) + 10.0);
    let ymax = share.iter().map(|p| p.1).fold(1.0, f64::max) * 1.15;
    let name = "rollback_drill";
    let bytes = png(name, |root| {
        let mut chart = frame(&root, "Rollback drill: V2's share of requests per second", 72)
            .build_cartesian_2d(x0..x1, 0.0..ymax)
            .map_err(err(name))?;
        chart
            .configure_mesh()
            .x_desc(format!("seconds since the flip at {}", d.flip))
            .y_desc("V2 share of requests")
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err(name))?;
        chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (0.0, ymax)], BLACK.stroke_width(2)))).map_err(err(name))?;
        chart.draw_series(std::iter::once(Text::new("flip", (1.0, ymax * 0.95), (FONT, 14).into_font()))).map_err(err(name))?;
        if let Some(l) = limit {
            chart.draw_series(DashedLineSeries::new(vec![(l, 0.0), (l, ymax)], 8, 6, THRESHOLD.stroke_width(2))).map_err(err(name))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("limit {l:.0} s"),
                    (l + 1.0, ymax * 0.88),
                    (FONT, 14).into_font().color(&THRESHOLD),
                )))
                .map_err(err(name))?;
        }
        chart.draw_series(share.iter().map(|&(x, y)| Circle::new((x, y), 2, V2.filled()))).map_err(err(name))?;
        Ok(())
    })?;
    Ok(Some(Chart {
        name,
        title: "Rollback drill".into(),
        caption: format!(
            "V2's share of all requests in each second from a minute before the flip ({}) until after the drain. V2 served {} requests after the flip and its share stayed at 0% after {:.0} s (limit: dashed line).",
            d.flip, d.v2_requests_after_flip, d.drain_seconds
        ),
        png: bytes,
    }))
}
