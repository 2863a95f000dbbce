//! The pipeline: ingest -> pair -> metrics -> stats -> verdict, producing the [`Verdict`]
//! document that every exporter renders.

use crate::error::{Error, Result};
use crate::ingest::{self, Format, IngestStats, Ingested, ReadOptions, Rejected};
use crate::metrics::{self, Dataset, Metrics, WindowMetrics};
use crate::pair::{self, Pairing};
use crate::policy::{Mode, Policy};
use crate::verdict::{self, Decision, GateResult, QualityInputs, Recommendation};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Bump when a key of verdict.json changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// What `analyze` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    pub v1: PathBuf,
    pub v2: PathBuf,
    pub policy: Policy,
    pub format: Option<Format>,
    pub stage: String,
    pub strict: bool,
    /// Host resource samples (`--resources`).
    pub resources: Option<PathBuf>,
    /// A second run of V1 on the same traffic (`--v1-replay`), for noise cancellation.
    pub v1_replay: Option<PathBuf>,
    /// Share of requests analysed (`--sample-rate`), chosen by a hash of the correlation id.
    pub sample_rate: f64,
    /// `v1` (the same path as `v2`) is a paired table built by an engine (`--pairs`,
    /// docs/pairs.md) instead of raw logs.
    pub pairs: bool,
    /// `--memory-limit` as given (default: a share of physical memory).
    pub memory_limit: Option<String>,
    /// `--out-of-core`: spill the ids and pair by partition even when the input would fit.
    pub out_of_core: bool,
    /// `--spill-dir`: where the spill folder goes (default: the system's temporary folder).
    pub spill_dir: Option<PathBuf>,
    /// `--spill-partitions`: the number of spill partitions (default: from the memory limit).
    pub spill_partitions: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub v1: IngestStats,
    pub v2: IngestStats,
}

/// verdict.json (documented key by key in docs/verdict.md; schema in docs/verdict.schema.json).
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub schema_version: u32,
    pub tool: Tool,
    /// RFC 3339; from SOURCE_DATE_EPOCH when set, so that runs are reproducible byte for byte.
    pub generated_at: String,
    pub decision: Decision,
    pub exit_code: i32,
    pub recommendation: Recommendation,
    pub mode: Mode,
    pub stage: String,
    pub strict: bool,
    pub confidence: f64,
    pub seed: u64,
    /// Share of requests analysed (1 = all); below 1 the run was sampled by a hash of the
    /// correlation id, and `inputs.*.rows_sampled_out` counts what was left out.
    pub sample_rate: f64,
    /// The memory limit, the estimate it was held against, and whether the run went out of core.
    pub memory: crate::memory::MemoryUse,
    pub inputs: Inputs,
    pub pairing: Pairing,
    pub metrics: Metrics,
    pub windows: WindowMetrics,
    pub throughput: crate::metrics::windows::Throughput,
    /// The rollback drill (only with `--rollback-at` or a `[rollback]` time or marker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<crate::metrics::rollback::RollbackDrill>,
    /// Host resource samples (only with `--resources`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<crate::metrics::host::HostResources>,
    /// Comparison with the previous run of `--history DIR` (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::history::HistoryReport>,
    pub gates: Vec<GateResult>,
    /// The effective policy (defaults merged with --policy and flags).
    pub policy: Policy,
}

/// Everything the exporters need.
pub struct Outcome {
    pub verdict: Verdict,
    pub rejected: Vec<Rejected>,
    /// Stage timings (name, seconds, peak RSS so far in bytes where the OS tells it), for
    /// --timings.
    pub timings: Vec<(&'static str, f64, Option<u64>)>,
    /// The joined rows, for exporters that need more than the verdict (charts, discrepancies.parquet).
    pub dataset: Dataset,
    /// Advice about how the run was set up, for the terminal summary (not in verdict.json).
    pub notes: Vec<String>,
}

pub fn generated_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    let t = match secs {
        Some(s) => chrono::DateTime::from_timestamp(s, 0),
        None => Some(chrono::Utc::now()),
    };
    t.map_or_else(String::new, |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Runs the whole analysis: plans memory, reads both versions (out of core: their ids to spill
/// files, paired by partition), then the steps of [`run_ingested`].
pub fn run(req: &Request) -> Result<Outcome> {
    let mut policy = req.policy.clone();
    let t = Instant::now();
    // A rollback marker column is read like a segment column, after the segments, and taken off
    // again once the flip time is known.
    let marker = policy.rollback.marker_column.clone().filter(|_| policy.rollback.at.is_none());
    let mut read_columns = policy.analysis.segment_by.clone();
    read_columns.extend(marker.iter().cloned());
    let segment_by = &read_columns;
    let opts = |version| ReadOptions {
        version,
        columns: &policy.columns,
        input: &policy.input,
        segment_by,
        format: req.format,
        max_rejected: policy.analysis.max_rejected_samples,
        sample_rate: req.sample_rate,
        pairs: false,
    };
    let (o1, o2) = (opts("v1"), opts("v2"));
    // In memory or out of core: from the input's estimated rows and the memory limit.
    let (limit, source) = crate::memory::limit(req.memory_limit.as_deref())?;
    let id_column = if req.pairs { "correlation_id" } else { policy.columns.correlation_id.as_str() };
    let mut paths = vec![req.v1.as_path(), req.v2.as_path()];
    paths.extend(req.v1_replay.as_deref());
    let mut input = crate::memory::estimate_input(&paths, req.format.or(policy.input.format), id_column)?;
    input.rows = (input.rows as f64 * req.sample_rate.clamp(0.0, 1.0)) as u64;
    let plan = crate::memory::plan(&input, read_columns.len(), limit, source, req.out_of_core, req.spill_partitions)?;
    let mut memory = plan.usage;
    let mut notes = Vec::new();
    let spill_dir = match plan.partitions {
        Some(partitions) => {
            let dir = crate::memory::SpillDir::create(req.spill_dir.as_deref())?;
            if let Some(fs) = crate::memory::in_memory_filesystem(&dir.path) {
                notes.push(format!(
                    "the spill folder {} is on {fs}, which keeps files in memory: the spilled ids still take memory. Pass --spill-dir on a disk.",
                    dir.path.parent().unwrap_or(&dir.path).display()
                ));
            }
            Some((ingest::spill::SpillPlan { dir: dir.path.clone(), partitions }, dir))
        }
        None => None,
    };
    let spill = spill_dir.as_ref().map(|(plan, _)| plan);
    let (mut i1, mut i2) = if req.pairs {
        ingest::pairs::read(&req.v1, &o1, &o2, spill)?
    } else if req.v1 == req.v2 && !policy.columns.version.is_empty() {
        // One export holding both versions (`--input`): read once, split by the version column.
        let mut both = ingest::read_versions_spilling(&req.v1, &[&o1, &o2], spill)?.into_iter();
        match (both.next(), both.next()) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(Error::Usage("internal: the export did not give two versions".into())),
        }
    } else {
        let (r1, r2) =
            rayon::join(|| ingest::read_version_spilling(&req.v1, &o1, spill), || ingest::read_version_spilling(&req.v2, &o2, spill));
        (r1?, r2?)
    };
    // A segment column that no row of either version has is a wrong name, not one big segment
    // of missing values.
    for (k, name) in policy.analysis.segment_by.iter().enumerate() {
        let seen = |r: &ingest::Requests| r.segments.get(k).is_some_and(|c| c.codes.iter().any(|&x| x != ingest::columns::NONE));
        if !seen(&i1.requests) && !seen(&i2.requests) {
            let fix = if req.pairs {
                format!(
                    "the paired table needs columns {} and {}: build it with the SQL of `shadowgate sql --segment-by {name}`",
                    ingest::pairs::column("v1", name),
                    ingest::pairs::column("v2", name)
                )
            } else {
                "check the column name against the files' columns (a nested JSON field is a path such as attributes.region)".to_string()
            };
            return Err(Error::Usage(format!(
                "--segment-by {name} (or analysis.segment_by): no row of V1 or V2 has a value there; {fix}."
            )));
        }
    }
    let mut rollback_source = None;
    if let Some(column) = &marker {
        let value = policy.rollback.marker_value.as_str();
        let mut first: Option<i64> = None;
        for r in [&mut i1.requests, &mut i2.requests] {
            if let Some(col) = r.segments.pop() {
                r.segment_names.pop();
                for (i, &ts) in r.ts_ms.iter().enumerate() {
                    if col.get(i) == Some(value) && first.is_none_or(|f| ts < f) {
                        first = Some(ts);
                    }
                }
            }
        }
        match first {
            Some(ts) => {
                policy.rollback.at = Some(crate::metrics::windows::rfc3339(ts));
                rollback_source = Some(format!("marker column {column} = {value}"));
            }
            None => {
                return Err(Error::Usage(format!(
                    "[rollback] marker_column = \"{column}\": no row of either version has the value \"{value}\" there, so the rollback flip cannot be found. Set marker_value to the value that marks it, or give the time with --rollback-at."
                )))
            }
        }
    }
    let host = match &req.resources {
        Some(p) => {
            let (samples, stats) = ingest::samples::read(p, &policy.resource_columns, None)?;
            Some(crate::metrics::host::compute(&samples, stats, policy.analysis.window_minutes, policy.analysis.confidence))
        }
        None => None,
    };
    let mut replay = match &req.v1_replay {
        Some(p) => Some((ingest::read_version_spilling(p, &opts("v1-replay"), spill)?, p.display().to_string())),
        None => None,
    };
    let ingest_secs = t.elapsed().as_secs_f64();
    let ingest_peak = crate::memory::peak_rss();
    // Out of core: pair one spill partition at a time, then remove the spill files.
    let joined = match (i1.keys.take(), i2.keys.take()) {
        (Some(k1), Some(k2)) => {
            let t = Instant::now();
            crate::progress::stage("pairing V1 and V2");
            let kr = replay.as_mut().and_then(|(r, _)| r.keys.take());
            memory.spill_bytes = k1.bytes + k2.bytes + kr.as_ref().map_or(0, |k| k.bytes);
            let with = replay.as_ref().zip(kr.as_ref()).map(|((r, _), k)| (&r.requests, k));
            let joined = crate::pair::spilled::join_spilled(&mut i1.requests, &k1, &i2.requests, &k2, with)?;
            Some((joined, t.elapsed().as_secs_f64()))
        }
        _ => None,
    };
    drop(spill_dir);
    let mut outcome = run_joined(i1, i2, joined, &policy, &req.stage, req.strict, host, replay)?;
    outcome.verdict.memory = memory;
    outcome.notes = notes;
    if let (Some(source), Some(drill)) = (rollback_source, outcome.verdict.rollback.as_mut()) {
        drill.source = source;
    }
    outcome.verdict.sample_rate = req.sample_rate;
    outcome.timings.insert(0, ("ingest", ingest_secs, ingest_peak));
    Ok(outcome)
}

/// Pairs, measures and judges two already-ingested versions (also used in-process by the
/// calibration tests).
pub fn run_ingested(
    i1: Ingested,
    i2: Ingested,
    policy: &Policy,
    stage: &str,
    strict: bool,
    host: Option<crate::metrics::host::HostResources>,
    replay: Option<(Ingested, String)>,
) -> Result<Outcome> {
    run_joined(i1, i2, None, policy, stage, strict, host, replay)
}

/// [`run_ingested`], with the pairing already done when out of core (and how long it took).
#[allow(clippy::too_many_arguments)] // run_ingested's inputs and the out-of-core join
fn run_joined(
    mut i1: Ingested,
    mut i2: Ingested,
    joined: Option<(crate::pair::spilled::Joined, f64)>,
    policy: &Policy,
    stage: &str,
    strict: bool,
    host: Option<crate::metrics::host::HostResources>,
    replay: Option<(Ingested, String)>,
) -> Result<Outcome> {
    if !verdict::STAGES.contains(&stage) {
        return Err(Error::Usage(format!("--stage {stage}: unknown stage; use one of {}", verdict::STAGES.join(", "))));
    }
    let segment_by = &policy.analysis.segment_by;
    let mut timings = Vec::new();
    let t = Instant::now();
    let mut replay_pairs = None;
    let (d1, d2, pairing, pair_secs) = match joined {
        Some((j, secs)) => {
            replay_pairs = j.replay_pairs;
            (j.d1, j.d2, j.pairing, secs)
        }
        None => {
            crate::progress::stage("pairing V1 and V2");
            let (mut d1, mut d2) = rayon::join(|| pair::dedup(&i1.requests), || pair::dedup(&i2.requests));
            let pairing = pair::join(&i1.requests, &mut d1, &i2.requests, &mut d2);
            (d1, d2, pairing, t.elapsed().as_secs_f64())
        }
    };
    i1.stats.duplicate_rows = d1.duplicate_rows;
    i1.stats.duplicate_ids = d1.duplicate_ids;
    i2.stats.duplicate_rows = d2.duplicate_rows;
    i2.stats.duplicate_ids = d2.duplicate_ids;
    let mode = policy.analysis.mode;
    if mode == Mode::Shadow && pairing.pairs == 0 {
        return Err(Error::Usage(format!(
            "no correlation id of --v1 ({} ids) occurs in --v2 ({} ids), so nothing can be paired. Check that both files map the same id column ([columns] correlation_id), or use --mode canary if V1 and V2 served different requests.",
            pairing.v1_ids, pairing.v2_ids
        )));
    }
    timings.push(("pair", pair_secs, crate::memory::peak_rss()));
    // V2's ids have done their work: a pair is named by V1's id (the same text) from here on.
    i2.requests.release_ids();

    let mut ds = Dataset { v1: i1.requests, v2: i2.requests, d1, d2, pairing, mode };
    let t = Instant::now();
    crate::progress::stage("computing metrics and intervals");
    let baseline = replay.map(|(r, file)| match &replay_pairs {
        // Out of core the replay was joined with V1 partition by partition.
        Some((a, b)) => {
            let pairs = metrics::discrepancy::Pairs { v1: &ds.v1, v2: &r.requests, v1_rows: a, v2_rows: b };
            metrics::discrepancy::baseline(&pairs, &policy.compare, file)
        }
        None => metrics::replay_baseline(&ds.v1, &ds.d1, &r.requests, policy, file),
    });
    let (counts, w) = rayon::join(|| metrics::compute_counts(&ds, policy, baseline.as_ref()), || metrics::compute_windows(&ds, policy));
    ds.release_after_counts(&counts.discrepancy);
    let m = metrics::compute_latency(&ds, policy, counts);
    timings.push(("metrics", t.elapsed().as_secs_f64(), crate::memory::peak_rss()));

    let t = Instant::now();
    let share = |s: &IngestStats| if s.rows_read == 0 { 0.0 } else { s.rows_rejected as f64 / s.rows_read as f64 };
    // Each version's first and last timestamp, in one parallel pass each (two sequential
    // passes over 10M timestamps took 0.15 s).
    let range = |r: &crate::ingest::Requests| {
        use rayon::prelude::*;
        crate::stats::min_max(r.ts_ms.par_iter().copied()).unwrap_or((0, 0))
    };
    let (v1_range, v2_range) = rayon::join(|| range(&ds.v1), || range(&ds.v2));
    let q = QualityInputs {
        pairing: &ds.pairing,
        v1_n: ds.d1.keep.len() as u64,
        v2_n: ds.d2.keep.len() as u64,
        rejected_share: [share(&i1.stats), share(&i2.stats)],
        v1_range,
        v2_range,
    };
    let rollback = match &policy.rollback.at {
        Some(at) => {
            let flip = crate::ingest::value::parse_datetime(at)
                .ok_or_else(|| Error::Usage(format!("rollback time {at}: not an RFC 3339 time, e.g. 2026-11-27T00:30:00Z")))?;
            let ts = |r: &crate::ingest::Requests, keep: &[u32]| keep.iter().map(|&i| r.ts_ms[i as usize]).collect::<Vec<i64>>();
            let (t1, t2) = (ts(&ds.v1, &ds.d1.keep), ts(&ds.v2, &ds.d2.keep));
            Some(crate::metrics::rollback::drill(flip, "rollback.at".into(), t1.iter().copied(), t2.iter().copied()))
        }
        None => None,
    };
    let cx = verdict::Context {
        policy,
        metrics: &m,
        windows: &w,
        mode,
        has_segments: !segment_by.is_empty(),
        host: host.as_ref(),
        rollback: rollback.as_ref(),
    };
    let mut gates = verdict::evaluate_gates(&cx);
    gates.extend(verdict::data_quality(policy, &q, mode));
    let decision = verdict::decide(&gates, strict);
    let recommendation = verdict::recommend(decision, &gates, stage, strict);
    timings.push(("verdict", t.elapsed().as_secs_f64(), crate::memory::peak_rss()));

    let verdict = Verdict {
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: "shadowgate", version: env!("CARGO_PKG_VERSION") },
        generated_at: generated_at(),
        decision,
        exit_code: decision.exit_code(),
        recommendation,
        mode,
        stage: stage.to_string(),
        strict,
        confidence: policy.analysis.confidence,
        seed: policy.analysis.seed,
        sample_rate: 1.0,
        memory: crate::memory::MemoryUse::default(),
        inputs: Inputs { v1: i1.stats, v2: i2.stats },
        pairing: ds.pairing.clone(),
        metrics: m,
        throughput: w.throughput.clone(),
        rollback,
        resources: host,
        history: None,
        windows: w,
        gates,
        policy: policy.clone(),
    };
    let mut rejected = i1.rejected;
    rejected.extend(i2.rejected);
    Ok(Outcome { verdict, rejected, timings, dataset: ds, notes: Vec::new() })
}
