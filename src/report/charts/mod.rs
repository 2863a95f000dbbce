//! PNG charts, one file per chart kind, drawn with plotters into memory and encoded with `png`.
//! Text uses the bundled DejaVu Sans (assets/fonts), so charts render the same on a machine with no
//! fonts installed. Colours are Okabe-Ito blue (V1) and orange (V2), distinguishable with the
//! common colour-vision deficiencies; V2 lines are also dashed where lines overlap.

pub mod availability;
pub mod bars;
pub mod discrepancy_fields;
pub mod discrepancy_segments;
pub mod latency_cdf;
pub mod latency_delta;
pub mod resources;
pub mod rollback_drill;
pub mod shift_function;
pub mod timeline;
pub mod timeline_errors;
pub mod timeline_p95;

use crate::analyze::Outcome;
use crate::error::{Error, Result};
use plotters::prelude::*;
use rayon::prelude::*;
use std::sync::Once;

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 560;
pub const V1: RGBColor = RGBColor(0, 114, 178);
pub const V2: RGBColor = RGBColor(230, 159, 0);
pub const THRESHOLD: RGBColor = RGBColor(213, 94, 0);
pub const BREACH: RGBColor = RGBColor(204, 121, 167);
pub const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font is a valid TrueType file; if registration ever failed, plotters would
        // report a font error from the drawing calls, which `png` turns into a report error.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// One rendered chart.
pub struct Chart {
    /// File name stem, e.g. `latency_cdf` (charts/latency_cdf.png).
    pub name: &'static str,
    pub title: String,
    /// What the chart shows and how to read it (alt text and caption).
    pub caption: String,
    pub png: Vec<u8>,
}

/// Converts any plotters error into a report error.
pub fn err<E: std::fmt::Display>(chart: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Output { path: format!("charts/{chart}.png"), source: std::io::Error::other(e.to_string()) }
}

/// The frame every chart shares: its caption, margin and label areas (`y_area` wide enough for
/// that chart's y labels). Each chart then builds its own coordinates on it.
pub fn frame<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    y_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(root);
    b.caption(caption, (FONT, 26)).margin(16).x_label_area_size(48).y_label_area_size(y_area);
    b
}

/// Draws into an RGB buffer and encodes it as PNG.
pub fn png(name: &str, draw: impl FnOnce(DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<()>) -> Result<Vec<u8>> {
    register_font();
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err(name))?;
        draw(root.clone())?;
        root.present().map_err(err(name))?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(err(name))?;
        w.write_image_data(&buf).map_err(err(name))?;
    }
    Ok(out)
}

/// A chart kind: renders its chart, or None when it does not apply (e.g. no segments).
type Maker = fn(&Outcome) -> Result<Option<Chart>>;

/// Every chart that applies to this outcome, in report order.
pub fn all(o: &Outcome) -> Result<Vec<Chart>> {
    let makers: [Maker; 10] = [
        latency_cdf::render,
        latency_delta::render,
        shift_function::render,
        timeline_errors::render,
        timeline_p95::render,
        availability::render,
        rollback_drill::render,
        discrepancy_segments::render,
        discrepancy_fields::render,
        resources::render,
    ];
    // Drawn side by side (each chart is its own bitmap); the first error in report order wins.
    let made: Vec<Result<Option<Chart>>> = makers.par_iter().map(|m| m(o)).collect();
    made.into_iter().filter_map(Result::transpose).collect()
}

/// Shortens a label for an axis.
pub fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Draws V1's and V2's lines (V1 wider, so a V2 line on top of it stays visible) and their legend.
pub fn version_lines<'a, CT>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    name: &str,
    v1: Vec<(f64, f64)>,
    v2: Vec<(f64, f64)>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
{
    for (data, color, label, width) in [(v1, V1, "V1", 3), (v2, V2, "V2", 2)] {
        chart
            .draw_series(LineSeries::new(data, color.stroke_width(width)))
            .map_err(err(name))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(position)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .label_font((FONT, 16))
        .draw()
        .map_err(err(name))?;
    Ok(())
}
