//! Shared drawing for horizontal bar charts with optional interval whiskers.

use super::{err, frame, png, short, FONT};
use crate::error::Result;
use plotters::prelude::*;

pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Interval whisker (lower, upper), if any.
    pub interval: Option<(f64, f64)>,
    pub color: RGBColor,
}

pub struct Spec<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub x_desc: &'a str,
    pub percent: bool,
    /// Vertical reference lines (label, x).
    pub references: Vec<(String, f64)>,
    pub x_min: f64,
}

pub fn draw(spec: &Spec<'_>, bars: &[Bar]) -> Result<Vec<u8>> {
    let n = bars.len().max(1);
    let xmax = bars
        .iter()
        .map(|b| b.interval.map_or(b.value, |i| i.1.min(b.value * 4.0 + 1e-9)).max(b.value))
        .chain(spec.references.iter().map(|r| r.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        * 1.12;
    let xmax = if xmax > spec.x_min { xmax } else { spec.x_min + 1.0 };
    let labels: Vec<String> = bars.iter().map(|b| short(&b.label, 28)).collect();
    let percent = spec.percent;
    let name = spec.name;
    png(name, |root| {
        let mut chart = frame(&root, spec.title, 230).build_cartesian_2d(spec.x_min..xmax, -0.5..(n as f64 - 0.5)).map_err(err(name))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| {
                let k = y.round();
                if (y - k).abs() < 0.01 && k >= 0.0 && (k as usize) < labels.len() {
                    labels[labels.len() - 1 - k as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc(spec.x_desc)
            .x_label_formatter(&|v| if percent { format!("{:.2}%", v * 100.0) } else { format!("{v:.2}") })
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err(name))?;
        for (i, b) in bars.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let v = if b.value.is_finite() { b.value } else { spec.x_min };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(spec.x_min, y - 0.32), (v.max(spec.x_min), y + 0.32)],
                    b.color.mix(0.8).filled(),
                )))
                .map_err(err(name))?;
            if let Some((lo, hi)) = b.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                chart
                    .draw_series(std::iter::once(PathElement::new(vec![(lo.max(spec.x_min), y), (hi.min(xmax), y)], BLACK.stroke_width(2))))
                    .map_err(err(name))?;
                for x in [lo.max(spec.x_min), hi.min(xmax)] {
                    chart
                        .draw_series(std::iter::once(PathElement::new(vec![(x, y - 0.15), (x, y + 0.15)], BLACK.stroke_width(2))))
                        .map_err(err(name))?;
                }
            }
        }
        for (label, x) in &spec.references {
            if *x >= spec.x_min && *x <= xmax {
                chart
                    .draw_series(DashedLineSeries::new(vec![(*x, -0.5), (*x, n as f64 - 0.5)], 8, 6, super::THRESHOLD.stroke_width(2)))
                    .map_err(err(name))?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        label.clone(),
                        (*x, n as f64 - 0.5),
                        (FONT, 14).into_font().color(&super::THRESHOLD),
                    )))
                    .map_err(err(name))?;
            }
        }
        Ok(())
    })
}
