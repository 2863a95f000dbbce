//! Exporters: one file each, all behind [`Exporter`], all rendering the same [`Outcome`].
//! Outputs are written into a temporary directory next to `--out` and renamed into place at the
//! end, with verdict.json written last, so a present verdict.json means a complete report.

pub mod charts;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod parquet;
pub mod rejected;
pub mod terminal;

use crate::analyze::Outcome;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Turns an analysis into the bytes of one output file.
pub trait Exporter: Sync {
    /// File name inside the output directory.
    fn file_name(&self) -> &'static str;
    fn render(&self, outcome: &Outcome, charts: &[charts::Chart]) -> Result<Vec<u8>>;
}

/// Every exporter, in writing order; the JSON verdict must stay last.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(rejected::RejectedJsonl),
        Box::new(markdown::Markdown),
        Box::new(junit::JUnit),
        Box::new(html::Html),
        Box::new(parquet::DiscrepanciesParquet),
        Box::new(json::Json),
    ]
}

/// Writes all outputs into `out` atomically: a sibling temp dir, then a rename (replacing an
/// earlier report only once the new one is complete).
pub fn write_all(out: &Path, outcome: &Outcome) -> Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!(
            "--out {}: a file with that name exists; --out must name a directory (it is created if missing).",
            out.display()
        )));
    }
    std::fs::create_dir_all(&parent).map_err(|e| Error::output(&parent, e))?;
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "report".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::output(&tmp, e))?;
    let _registered = crate::interrupt::register(tmp.clone());
    let result = (|| {
        let charts = charts::all(outcome)?;
        let chart_dir = tmp.join("charts");
        std::fs::create_dir_all(&chart_dir).map_err(|e| Error::output(&chart_dir, e))?;
        for c in &charts {
            let path = chart_dir.join(format!("{}.png", c.name));
            std::fs::write(&path, &c.png).map_err(|e| Error::output(&path, e))?;
        }
        // Rendered side by side, written in order (verdict.json last); the first error wins.
        let exporters = exporters();
        let rendered: Vec<Result<Vec<u8>>> = exporters.par_iter().map(|ex| ex.render(outcome, &charts)).collect();
        for (ex, bytes) in exporters.iter().zip(rendered) {
            let path = tmp.join(ex.file_name());
            std::fs::write(&path, bytes?).map_err(|e| Error::output(&path, e))?;
        }
        // Replace the previous report only now that the new one is complete; an interrupt waits
        // for the swap.
        let _swap = crate::interrupt::swap_guard();
        if out.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(out, &old).map_err(|e| Error::output(out, e))?;
            std::fs::rename(&tmp, out).map_err(|e| Error::output(out, e))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, out).map_err(|e| Error::output(out, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|_| out.to_path_buf())
}

/// Formats a float for text outputs: `—` when not finite.
pub fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "—".into()
    }
}
