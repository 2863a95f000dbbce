//! Nightly history: each run appends a compact summary to `DIR/history.jsonl`, and the verdict
//! compares itself with the previous run. The file is replaced atomically (write a temp file in
//! the same directory, fsync, rename), so a crash mid-write leaves the previous history intact.

use crate::analyze::Verdict;
use crate::error::{Error, Result};
use crate::stats::{finite_or_null, Interval};
use crate::verdict::Status;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE: &str = "history.jsonl";

/// One gate's statistic in a history entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stat {
    pub statistic: String,
    pub status: String,
    #[serde(serialize_with = "finite_or_null", deserialize_with = "null_as_nan")]
    pub estimate: f64,
    #[serde(serialize_with = "finite_or_null", deserialize_with = "null_as_nan")]
    pub lower: f64,
    #[serde(serialize_with = "finite_or_null", deserialize_with = "null_as_nan")]
    pub upper: f64,
}

fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// One line of history.jsonl.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub generated_at: String,
    pub stage: String,
    pub mode: String,
    pub decision: String,
    pub pairs: u64,
    pub v1_requests: u64,
    pub v2_requests: u64,
    /// Gate id -> statistic with its interval (interval gates only).
    pub gates: BTreeMap<String, Stat>,
}

/// A statistic compared with the previous run.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub gate: String,
    pub statistic: String,
    pub previous: Interval,
    pub current: Interval,
    /// The current interval lies wholly above the previous one (every gate is "at most", so
    /// higher is worse): a change that the run-to-run noise does not explain.
    pub significantly_worse: bool,
}

/// The `history` block of verdict.json.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    pub file: String,
    /// Runs recorded before this one.
    pub previous_runs: u64,
    /// Lines of the file that could not be read (kept, never rewritten away).
    pub unreadable_lines: u64,
    pub previous: Option<PreviousRun>,
    pub changes: Vec<Change>,
    /// Gate ids whose statistic got significantly worse than in the previous run.
    pub worse: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviousRun {
    pub generated_at: String,
    pub stage: String,
    pub decision: String,
}

/// The summary of a verdict that goes into the history.
pub fn entry(v: &Verdict) -> Entry {
    let gates = v
        .gates
        .iter()
        .filter(|g| {
            g.severity != "data_quality"
                && g.status != Status::Skipped
                && !g.statistic.starts_with("window.")
                && !g.statistic.starts_with("segment.")
        })
        .map(|g| {
            let status = serde_json::to_value(g.status).ok().and_then(|s| s.as_str().map(str::to_string)).unwrap_or_default();
            (g.id.clone(), Stat { statistic: g.statistic.clone(), status, estimate: g.estimate, lower: g.lower, upper: g.upper })
        })
        .collect();
    Entry {
        generated_at: v.generated_at.clone(),
        stage: v.stage.clone(),
        mode: v.mode.as_str().into(),
        decision: v.decision.as_str().into(),
        pairs: v.pairing.pairs,
        v1_requests: v.pairing.v1_ids,
        v2_requests: v.pairing.v2_ids,
        gates,
    }
}

/// Reads the history file: (raw lines to keep, parsed entries, unreadable line count).
fn read(path: &Path) -> Result<(Vec<String>, Vec<Entry>, u64)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new(), 0)),
        Err(e) => return Err(Error::input(path, format!("cannot read the history: {e}"))),
    };
    let mut lines = Vec::new();
    let mut entries = Vec::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(_) => bad += 1,
        }
        lines.push(line.to_string());
    }
    Ok((lines, entries, bad))
}

/// Earlier runs in `dir` of the given stage and mode: the nightly re-analyses of one rollout stage,
/// which make the run a repeated look at growing data.
pub fn earlier_runs(dir: &Path, stage: &str, mode: &str) -> Result<u64> {
    let (_, entries, _) = read(&dir.join(FILE))?;
    Ok(entries.iter().filter(|e| e.stage == stage && e.mode == mode).count() as u64)
}

/// Compares the verdict with the last run in `dir` (read only).
pub fn compare(dir: &Path, v: &Verdict) -> Result<HistoryReport> {
    let path = dir.join(FILE);
    let (_, entries, bad) = read(&path)?;
    let now = entry(v);
    let mut report = HistoryReport {
        file: path.display().to_string(),
        previous_runs: entries.len() as u64,
        unreadable_lines: bad,
        previous: None,
        changes: Vec::new(),
        worse: Vec::new(),
    };
    let Some(prev) = entries.last() else {
        return Ok(report);
    };
    report.previous =
        Some(PreviousRun { generated_at: prev.generated_at.clone(), stage: prev.stage.clone(), decision: prev.decision.clone() });
    for (id, cur) in &now.gates {
        let Some(old) = prev.gates.get(id).filter(|o| o.statistic == cur.statistic) else {
            continue;
        };
        let worse = cur.lower.is_finite() && old.upper.is_finite() && cur.lower > old.upper;
        if worse {
            report.worse.push(id.clone());
        }
        report.changes.push(Change {
            gate: id.clone(),
            statistic: cur.statistic.clone(),
            previous: Interval::new(old.estimate, old.lower, old.upper),
            current: Interval::new(cur.estimate, cur.lower, cur.upper),
            significantly_worse: worse,
        });
    }
    Ok(report)
}

/// Appends the verdict's entry to `dir/history.jsonl`, replacing the file atomically.
pub fn append(dir: &Path, v: &Verdict) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::output(dir, e))?;
    let path = dir.join(FILE);
    let (mut lines, _, _) = read(&path)?;
    lines.push(serde_json::to_string(&entry(v)).map_err(|e| Error::output(&path, std::io::Error::other(e)))?);
    let tmp = dir.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        for l in &lines {
            f.write_all(l.as_bytes())?;
            f.write_all(b"\n")?;
        }
        f.sync_all()?;
        // Fault injection for the crash-safety test: die after writing, before the rename.
        if std::env::var("SHADOWGATE_FAULT").as_deref() == Ok("history-before-rename") {
            std::process::abort();
        }
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::output(&path, e)
    })?;
    Ok(path)
}
