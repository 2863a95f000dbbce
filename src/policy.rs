//! The policy: column mapping, analysis settings, data-quality minimums and gates.
//!
//! The defaults are the V2 rollout plan's numbers (DESIGN.md section 5). A user's TOML file
//! overrides any part of them; unknown keys and wrong types are errors that name the key and line.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// How bad a failing gate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Reported; blocks only with `--strict`.
    Warning,
    /// A fail means NO_GO.
    Blocking,
    /// A fail means NO_GO and the recommendation is to roll back.
    Rollback,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Blocking => "blocking",
            Severity::Rollback => "rollback",
        }
    }
}

/// Shadow (paired) or canary (two independent samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Shadow,
    Canary,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Shadow => "shadow",
            Mode::Canary => "canary",
        }
    }
}

/// Unit of numeric timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampUnit {
    /// Guess per value from its magnitude (seconds, ms, us or ns since 1970) and report the guess.
    Auto,
    S,
    Ms,
    Us,
    Ns,
}

impl TimestampUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimestampUnit::Auto => "auto",
            TimestampUnit::S => "s",
            TimestampUnit::Ms => "ms",
            TimestampUnit::Us => "us",
            TimestampUnit::Ns => "ns",
        }
    }
}

/// Unit of the latency column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyUnit {
    S,
    Ms,
    Us,
    Ns,
}

impl LatencyUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            LatencyUnit::S => "s",
            LatencyUnit::Ms => "ms",
            LatencyUnit::Us => "us",
            LatencyUnit::Ns => "ns",
        }
    }
    /// A value in this unit in milliseconds. Dividing (us, ns) keeps whole milliseconds whole
    /// (12,000,000 ns is 12 ms exactly, where multiplying by 1e-6 is not); seconds are rounded
    /// to the nanosecond, so "0.012" s is 12 ms and not 12.000000000000002.
    pub fn to_ms(self, v: f64) -> f64 {
        match self {
            LatencyUnit::S => (v * 1e9).round() / 1e6,
            LatencyUnit::Ms => v,
            LatencyUnit::Us => v / 1e3,
            LatencyUnit::Ns => v / 1e6,
        }
    }
}

/// Where each logical field lives in the exported logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub correlation_id: String,
    pub timestamp: String,
    pub latency_ms: String,
    pub status: String,
    pub error_code: String,
    pub result: String,
    pub cpu_ms: String,
    pub memory_mb: String,
    pub net_bytes: String,
    /// Status values that mean success, compared case-insensitively. Anything else is an error.
    pub ok_values: Vec<String>,
    /// Numeric statuses (HTTP codes, or OpenTelemetry's status code) that mean an error: `5xx`,
    /// `4xx`, a code (`429`) or a range (`500-599`). Any other number is a success unless it is
    /// listed in `ok_values` too.
    pub error_status_codes: Vec<String>,
    pub timestamp_unit: TimestampUnit,
    pub latency_unit: LatencyUnit,
    /// Spans and other start/end records: latency = `latency_end` - `latency_start` (both in
    /// `latency_unit` when numeric, or RFC 3339 times); `latency_ms` is then not read. Empty: the
    /// latency column holds the duration.
    pub latency_start: String,
    pub latency_end: String,
    /// One export holding both versions: the column whose value says which version served the
    /// row (`resource."service.version"`), and its values for V1 and V2. Empty: the versions
    /// come from separate paths (--v1, --v2).
    pub version: String,
    pub v1_value: String,
    pub v2_value: String,
}

impl Columns {
    /// The keys that name a field of the logs, with their values: the nine per-request fields,
    /// then the span's start and end and the version column.
    pub fn field_names(&self) -> [(&'static str, &String); 12] {
        [
            ("correlation_id", &self.correlation_id),
            ("timestamp", &self.timestamp),
            ("latency_ms", &self.latency_ms),
            ("status", &self.status),
            ("error_code", &self.error_code),
            ("result", &self.result),
            ("cpu_ms", &self.cpu_ms),
            ("memory_mb", &self.memory_mb),
            ("net_bytes", &self.net_bytes),
            ("latency_start", &self.latency_start),
            ("latency_end", &self.latency_end),
            ("version", &self.version),
        ]
    }
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            correlation_id: "correlation_id".into(),
            timestamp: "timestamp".into(),
            latency_ms: "latency_ms".into(),
            status: "status".into(),
            error_code: "error_code".into(),
            result: "result".into(),
            cpu_ms: "cpu_ms".into(),
            memory_mb: "memory_mb".into(),
            net_bytes: "net_bytes".into(),
            ok_values: vec!["ok".into(), "success".into()],
            error_status_codes: vec!["5xx".into()],
            timestamp_unit: TimestampUnit::Auto,
            latency_unit: LatencyUnit::Ms,
            latency_start: String::new(),
            latency_end: String::new(),
            version: String::new(),
            v1_value: "v1".into(),
            v2_value: "v2".into(),
        }
    }
}

/// What the input files are and which of their rows are the requests under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Format of every input file (`--format` overrides it); none: from each file's name, and
    /// for `.json` files from their first bytes (OTLP, Jaeger and Zipkin exports are recognized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<crate::ingest::Format>,
    /// Keep a row only when each listed field (a column or nested path) has one of the listed
    /// values, compared as text: the server spans of the service under test in a trace export.
    /// Other rows are counted in verdict.json as `rows_not_selected`, not rejected.
    #[serde(default)]
    pub select: BTreeMap<String, Vec<String>>,
}

/// Column names of the host resource samples read with `--resources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceColumns {
    pub timestamp: String,
    /// Which version a sample belongs to; values `v1_label` / `v2_label` (case-insensitive).
    pub version: String,
    pub cpu_pct: String,
    pub memory_mb: String,
    pub net_bytes_per_s: String,
    pub v1_label: String,
    pub v2_label: String,
}

impl Default for ResourceColumns {
    fn default() -> Self {
        ResourceColumns {
            timestamp: "timestamp".into(),
            version: "version".into(),
            cpu_pct: "cpu_pct".into(),
            memory_mb: "memory_mb".into(),
            net_bytes_per_s: "net_bytes_per_s".into(),
            v1_label: "v1".into(),
            v2_label: "v2".into(),
        }
    }
}

/// Analysis settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    pub mode: Mode,
    /// Two-sided confidence level of every interval.
    pub confidence: f64,
    /// Seed of every randomized method (bootstrap, batch assignment, sampling).
    pub seed: u64,
    /// Canary mode: V2's expected share of requests (0.01 at the 1% stage).
    pub expected_v2_share: f64,
    /// Width of the time windows for sustained-breach rules, in minutes.
    pub window_minutes: u32,
    /// Windows with fewer requests neither breach nor count, and reset a streak.
    pub min_window_requests: u64,
    /// Columns to break results down by (besides `--segment-by`).
    pub segment_by: Vec<String>,
    /// At most this many rejected rows are written to rejected.jsonl.
    pub max_rejected_samples: usize,
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis {
            mode: Mode::Shadow,
            confidence: 0.95,
            seed: 42,
            expected_v2_share: 0.5,
            window_minutes: 1,
            min_window_requests: 20,
            segment_by: Vec::new(),
            max_rejected_samples: 1000,
        }
    }
}

/// Checks that decide whether the data can be trusted; a failure makes the decision INCONCLUSIVE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataQuality {
    /// data.min_pairs: at least this many comparable requests (pairs in shadow mode, the smaller
    /// version's requests in canary mode).
    pub min_pairs: u64,
    /// data.coverage: share of V1 requests with a V2 twin (shadow mode).
    pub min_coverage: f64,
    /// data.rejected: at most this share of rows rejected, per version.
    pub max_rejected_share: f64,
    /// data.srm: the traffic split's chi-square p-value must be at least this (canary mode).
    pub srm_min_p: f64,
    /// data.time_overlap: the two logs' time ranges must overlap on at least this share of their
    /// combined span.
    pub min_time_overlap: f64,
}

impl Default for DataQuality {
    fn default() -> Self {
        DataQuality { min_pairs: 1000, min_coverage: 0.99, max_rejected_share: 0.01, srm_min_p: 0.001, min_time_overlap: 0.9 }
    }
}

/// When to use anytime-valid intervals (confidence sequences) instead of fixed-sample ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SequentialMode {
    /// When `--history` holds earlier runs of the same stage and mode (the nightly re-analysis).
    Auto,
    Always,
    Never,
}

impl SequentialMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SequentialMode::Auto => "auto",
            SequentialMode::Always => "always",
            SequentialMode::Never => "never",
        }
    }
}

/// Nightly re-analysis without peeking bias: confidence sequences for the rate and quantile gates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequential {
    pub mode: SequentialMode,
    /// Requests (per version) at which the sequences are tightest; they are valid at every size.
    /// Fix it before the rollout starts: choosing it from the data breaks the guarantee.
    pub tuned_for: u64,
    /// Earlier runs of this stage and mode in `--history` (set at run time, not from the file).
    #[serde(skip)]
    pub earlier_runs: u64,
}

impl Default for Sequential {
    fn default() -> Self {
        Sequential { mode: SequentialMode::Auto, tuned_for: crate::stats::sequential::DEFAULT_TUNED_FOR, earlier_runs: 0 }
    }
}

impl Sequential {
    /// Whether this run uses confidence sequences.
    pub fn active(&self) -> bool {
        match self.mode {
            SequentialMode::Always => true,
            SequentialMode::Never => false,
            SequentialMode::Auto => self.earlier_runs > 0,
        }
    }
}

/// The rollback drill (`rollback.drill`): when the flag was flipped back to V1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// The flip, RFC 3339 (`--rollback-at` overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// A column whose value `marker_value` marks the flip: the earliest such row of either
    /// version gives the time (e.g. an `event` column with a "rollback" row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker_column: Option<String>,
    #[serde(default = "default_marker")]
    pub marker_value: String,
}

fn default_marker() -> String {
    "rollback".into()
}

/// One gate: a statistic compared with a threshold ("at most").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// What is measured; see [`STATISTICS`].
    pub statistic: String,
    /// The statistic must stay at or below this value.
    pub threshold: f64,
    pub severity: Severity,
    /// Sustained rules: the number of consecutive windows above the threshold that fires the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_windows: Option<u32>,
    /// Segment rules: the minimum number of comparable requests a segment needs to be judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_requests: Option<u64>,
    /// Shift function: the margin at its p99 point (the deciles and p95 use `threshold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail_threshold: Option<f64>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The statistics a gate can use, with their unit and a description.
pub const STATISTICS: &[(&str, &str, &str)] = &[
    ("v2.latency.p50", "ms", "V2 median latency"),
    ("v2.latency.p90", "ms", "V2 90th percentile latency"),
    ("v2.latency.p95", "ms", "V2 95th percentile latency"),
    ("v2.latency.p99", "ms", "V2 99th percentile latency"),
    ("v2.latency.mean", "ms", "V2 mean latency"),
    ("ratio.latency.p50", "ratio", "V2/V1 median latency"),
    ("ratio.latency.p90", "ratio", "V2/V1 90th percentile latency"),
    ("ratio.latency.p95", "ratio", "V2/V1 95th percentile latency"),
    ("ratio.latency.p99", "ratio", "V2/V1 99th percentile latency"),
    ("ratio.latency.mean", "ratio", "V2/V1 mean latency"),
    ("shift.latency", "ratio", "V2/V1 latency at every decile, p95 and p99 (shift function, simultaneous band)"),
    ("v2.error_rate", "rate", "V2 error rate"),
    ("diff.error_rate", "rate", "V2 minus V1 error rate"),
    ("ratio.memory_mb", "ratio", "V2/V1 mean memory per request"),
    ("ratio.cpu_ms", "ratio", "V2/V1 mean CPU time per request"),
    ("ratio.net_bytes", "ratio", "V2/V1 mean network bytes per request"),
    ("discrepancy.rate", "rate", "share of comparable pairs whose results differ"),
    ("window.v2.error_rate", "rate", "V2 error rate per window (sustained rule)"),
    ("window.v2.latency_mean", "ms", "V2 mean latency per window (sustained rule)"),
    ("window.v2.latency_p95", "ms", "V2 p95 latency per window (sustained rule)"),
    ("window.v2.cpu_mean", "ms", "V2 mean CPU time per request per window (sustained rule)"),
    ("window.v2.memory_mean", "mb", "V2 mean memory per request per window (sustained rule)"),
    ("throughput.v2_peak_shortfall", "rate", "how far V2's peak requests per minute fall short of V1's (1 - V2 peak / V1 peak)"),
    ("segment.v2.failure_rate", "rate", "share of a segment's requests where V2 fails or disagrees with V1"),
    ("resources.v2.cpu_pct", "percent", "V2 host CPU utilisation from --resources samples"),
    ("availability.v2.window", "rate", "V2 success ratio per window (availability), at least the threshold"),
    ("rollback.drain_seconds", "s", "seconds from the rollback flip until V2 serves no more requests"),
];

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub analysis: Analysis,
    pub input: Input,
    pub columns: Columns,
    pub resource_columns: ResourceColumns,
    pub data_quality: DataQuality,
    pub sequential: Sequential,
    pub rollback: Rollback,
    /// How V1 and V2 results are compared.
    pub compare: crate::metrics::canonical::CompareOptions,
    pub gates: BTreeMap<String, Gate>,
}

fn gate(statistic: &str, threshold: f64, severity: Severity) -> Gate {
    Gate { statistic: statistic.into(), threshold, severity, for_windows: None, min_requests: None, tail_threshold: None, enabled: true }
}

/// Gate ids, in the order of DESIGN.md section 5 (also the order of output tables).
pub fn default_gates() -> Vec<(&'static str, Gate, &'static str)> {
    use Severity::*;
    vec![
        ("latency.p95", gate("v2.latency.p95", 5000.0, Blocking), "V2 p95 latency at most 5 s"),
        ("latency.p95.warning", gate("v2.latency.p95", 7000.0, Warning), "V2 p95 latency at most 7 s"),
        ("latency.mean.critical", gate("v2.latency.mean", 10000.0, Blocking), "V2 mean latency at most 10 s"),
        ("latency.p95.vs_v1", gate("ratio.latency.p95", 1.05, Blocking), "V2 p95 within 5% of V1 (non-inferiority on the upper bound)"),
        (
            "latency.p99.vs_v1",
            gate("ratio.latency.p99", 1.10, Blocking),
            "V2 p99 within 10% of V1: the slowest 1% must not regress (wider margin than p95's: a p99 interval is about twice as wide)",
        ),
        (
            "latency.mean.vs_v1",
            gate("ratio.latency.mean", 1.05, Blocking),
            "V2 mean latency within 5% of V1: the mean sets the concurrency a fleet needs (Little's law), and moves with every slow request",
        ),
        ("latency.p50.vs_v1", gate("ratio.latency.p50", 1.05, Warning), "V2 median within 5% of V1 (warning: the typical request got slower)"),
        (
            "latency.shift",
            Gate { tail_threshold: Some(1.10), ..gate("shift.latency", 1.05, Blocking) },
            "V2 within 5% of V1 at every decile and p95, and within 10% at p99 (the p99 gate's margin), on the shift function's simultaneous band: catches a slow middle or tail that p50/p95/p99 miss",
        ),
        ("errors.rate", gate("v2.error_rate", 0.01, Blocking), "V2 error rate at most 1%"),
        ("errors.rate.warning", gate("v2.error_rate", 0.02, Warning), "V2 error rate at most 2%"),
        ("errors.rate.critical", gate("v2.error_rate", 0.05, Blocking), "V2 error rate at most 5%"),
        ("errors.vs_v1", gate("diff.error_rate", 0.005, Blocking), "V2 error rate at most 0.5 percentage points above V1"),
        ("memory.vs_v1", gate("ratio.memory_mb", 1.20, Blocking), "V2 mean memory at most +20% of V1"),
        ("memory.vs_v1.critical", gate("ratio.memory_mb", 1.50, Blocking), "V2 mean memory at most +50% of V1"),
        ("memory.vs_v1.rollback", gate("ratio.memory_mb", 2.00, Rollback), "V2 mean memory at most twice V1"),
        ("cpu.vs_v1", gate("ratio.cpu_ms", 1.20, Warning), "V2 mean CPU time per request at most +20% of V1 (warning: capacity and cost)"),
        ("network.vs_v1", gate("ratio.net_bytes", 1.20, Warning), "V2 mean network bytes per request at most +20% of V1 (warning)"),
        ("cpu.utilization.warning", gate("resources.v2.cpu_pct", 80.0, Warning), "V2 host CPU utilisation at most 80%"),
        ("discrepancy.rate", gate("discrepancy.rate", 0.001, Blocking), "V2 disagrees with V1 on at most 0.1% of comparable requests"),
        (
            "errors.sustained",
            Gate { for_windows: Some(5), ..gate("window.v2.error_rate", 0.05, Rollback) },
            "roll back if V2's error rate is above 5% for 5 consecutive minutes",
        ),
        (
            "latency.sustained",
            Gate { for_windows: Some(10), ..gate("window.v2.latency_mean", 10000.0, Rollback) },
            "roll back if V2's mean latency is above 10 s for 10 consecutive minutes",
        ),
        (
            "throughput.v2_peak",
            Gate { enabled: false, ..gate("throughput.v2_peak_shortfall", 0.10, Warning) },
            "V2 keeps up with at least 90% of V1's peak requests per minute (shadow mode; off by default)",
        ),
        (
            "availability.minute",
            gate("availability.v2.window", 0.999, Warning),
            "V2 available (succeeding) on at least 99.9% of requests in every minute and over the run (warning: V1 often misses it too)",
        ),
        (
            "rollback.drill",
            gate("rollback.drain_seconds", 120.0, Blocking),
            "after a rollback flip (--rollback-at or [rollback]), V2 stops serving within 2 minutes (skipped without a flip)",
        ),
        (
            "functionality.segment",
            Gate { min_requests: Some(100), ..gate("segment.v2.failure_rate", 0.5, Rollback) },
            "roll back if V2 fails or disagrees on at least half of a segment's requests (segments with >= 100)",
        ),
    ]
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            analysis: Analysis::default(),
            input: Input::default(),
            columns: Columns::default(),
            resource_columns: ResourceColumns::default(),
            data_quality: DataQuality::default(),
            sequential: Sequential::default(),
            rollback: Rollback { marker_value: default_marker(), ..Default::default() },
            compare: Default::default(),
            gates: default_gates().into_iter().map(|(id, g, _)| (id.to_string(), g)).collect(),
        }
    }
}

// ---- the user's file: every field optional, merged onto the defaults ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    analysis: Option<AnalysisFile>,
    input: Option<InputFile>,
    columns: Option<ColumnsFile>,
    resource_columns: Option<ResourceColumnsFile>,
    data_quality: Option<DataQualityFile>,
    sequential: Option<SequentialFile>,
    rollback: Option<RollbackFile>,
    compare: Option<crate::metrics::canonical::CompareOptions>,
    gates: Option<BTreeMap<String, GateFile>>,
}

macro_rules! partial {
    ($file:ident for $full:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $file { $($field: Option<$ty>),* }
        impl $file {
            fn apply(self, to: &mut $full) { $(if let Some(v) = self.$field { to.$field = IntoField::into_field(v); })* }
        }
    };
}

partial!(AnalysisFile for Analysis {
    mode: Mode, confidence: f64, seed: u64, expected_v2_share: f64, window_minutes: u32,
    min_window_requests: u64, segment_by: Vec<String>, max_rejected_samples: usize,
});
partial!(ColumnsFile for Columns {
    correlation_id: String, timestamp: String, latency_ms: String, status: String, error_code: String,
    result: String, cpu_ms: String, memory_mb: String, net_bytes: String, ok_values: Vec<String>,
    error_status_codes: Vec<Scalar>, timestamp_unit: TimestampUnit, latency_unit: LatencyUnit,
    latency_start: String, latency_end: String, version: String, v1_value: Scalar, v2_value: Scalar,
});

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputFile {
    format: Option<crate::ingest::Format>,
    select: Option<BTreeMap<String, Vec<Scalar>>>,
}

/// A value written as a TOML string, integer, float or boolean, kept as its text (`kind = [2]`
/// and `kind = ["2"]` mean the same).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    S(String),
    I(i64),
    F(f64),
    B(bool),
}

impl From<Scalar> for String {
    fn from(v: Scalar) -> String {
        match v {
            Scalar::S(s) => s,
            Scalar::I(i) => i.to_string(),
            Scalar::F(f) => f.to_string(),
            Scalar::B(b) => b.to_string(),
        }
    }
}

/// Converts a partial-file field to the policy's type (identity, or scalars to their text).
trait IntoField<T> {
    fn into_field(self) -> T;
}
impl<T> IntoField<T> for T {
    fn into_field(self) -> T {
        self
    }
}
impl IntoField<String> for Scalar {
    fn into_field(self) -> String {
        self.into()
    }
}
impl IntoField<Vec<String>> for Vec<Scalar> {
    fn into_field(self) -> Vec<String> {
        self.into_iter().map(String::from).collect()
    }
}
partial!(ResourceColumnsFile for ResourceColumns {
    timestamp: String, version: String, cpu_pct: String, memory_mb: String, net_bytes_per_s: String,
    v1_label: String, v2_label: String,
});
partial!(SequentialFile for Sequential { mode: SequentialMode, tuned_for: u64 });

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackFile {
    at: Option<String>,
    marker_column: Option<String>,
    marker_value: Option<String>,
}

partial!(DataQualityFile for DataQuality { min_pairs: u64, min_coverage: f64, max_rejected_share: f64, srm_min_p: f64, min_time_overlap: f64 });

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GateFile {
    statistic: Option<String>,
    threshold: Option<f64>,
    severity: Option<Severity>,
    for_windows: Option<u32>,
    min_requests: Option<u64>,
    tail_threshold: Option<f64>,
    enabled: Option<bool>,
}

impl Policy {
    /// Reads a policy file and merges it onto the defaults.
    pub fn load(path: &Path) -> Result<Policy> {
        Policy::load_layers(None, Some(path))
    }

    /// The defaults, then a preset (`--preset`, a policy file under presets/), then the user's
    /// file: each layer changes only the keys it names.
    pub fn load_layers(preset: Option<&str>, path: Option<&Path>) -> Result<Policy> {
        let mut policy = Policy::default();
        if let Some(name) = preset {
            let text = preset_text(name).ok_or_else(|| {
                Error::Usage(format!(
                    "--preset {name}: unknown preset; known: {}.",
                    PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                ))
            })?;
            policy.apply_toml(text).map_err(|message| Error::Policy { path: format!("presets/{name}.toml (built in)"), message })?;
        }
        if let Some(path) = path {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Policy {
                path: path.display().to_string(),
                message: format!("cannot read the file: {e}. Pass an existing TOML file to --policy (`shadowgate policy > policy.toml` writes the defaults)."),
            })?;
            policy.apply_toml(&text).map_err(|message| Error::Policy { path: path.display().to_string(), message })?;
        }
        let label = path.map(|p| p.display().to_string()).or_else(|| preset.map(|n| format!("presets/{n}.toml")));
        policy.validate().map_err(|message| match label {
            Some(path) => Error::Policy { path, message },
            None => Error::Usage(message),
        })?;
        Ok(policy)
    }

    /// Parses policy TOML merged onto the defaults; the error names the key (and the line).
    pub fn from_toml(text: &str) -> std::result::Result<Policy, String> {
        let mut policy = Policy::default();
        policy.apply_toml(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// Merges policy TOML onto this policy (without validating the result).
    fn apply_toml(&mut self, text: &str) -> std::result::Result<(), String> {
        let file: PolicyFile = toml::from_str(text)
            .map_err(|e| format!("{}\nRun `shadowgate policy` to see every key with its default value.", e.to_string().trim_end()))?;
        let policy = self;
        if let Some(a) = file.analysis {
            a.apply(&mut policy.analysis);
        }
        if let Some(i) = file.input {
            if i.format.is_some() {
                policy.input.format = i.format;
            }
            if let Some(sel) = i.select {
                policy.input.select = sel.into_iter().map(|(k, v)| (k, v.into_field())).collect();
            }
        }
        if let Some(c) = file.columns {
            c.apply(&mut policy.columns);
        }
        if let Some(r) = file.resource_columns {
            r.apply(&mut policy.resource_columns);
        }
        if let Some(c) = file.compare {
            policy.compare = c;
        }
        if let Some(d) = file.data_quality {
            d.apply(&mut policy.data_quality);
        }
        if let Some(q) = file.sequential {
            q.apply(&mut policy.sequential);
        }
        if let Some(r) = file.rollback {
            if r.at.is_some() {
                policy.rollback.at = r.at;
            }
            if r.marker_column.is_some() {
                policy.rollback.marker_column = r.marker_column;
            }
            if let Some(v) = r.marker_value {
                policy.rollback.marker_value = v;
            }
        }
        for (id, g) in file.gates.unwrap_or_default() {
            let entry = match policy.gates.get_mut(&id) {
                Some(e) => e,
                None => {
                    let (Some(statistic), Some(threshold), Some(severity)) = (g.statistic.clone(), g.threshold, g.severity) else {
                        return Err(format!(
                            "gate `{id}` is not a default gate, so it needs `statistic`, `threshold` and `severity`. Default gates: {}.",
                            policy.gates.keys().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    };
                    policy.gates.entry(id.clone()).or_insert(gate(&statistic, threshold, severity))
                }
            };
            if let Some(v) = g.statistic {
                entry.statistic = v;
            }
            if let Some(v) = g.threshold {
                entry.threshold = v;
            }
            if let Some(v) = g.severity {
                entry.severity = v;
            }
            if g.for_windows.is_some() {
                entry.for_windows = g.for_windows;
            }
            if g.min_requests.is_some() {
                entry.min_requests = g.min_requests;
            }
            if g.tail_threshold.is_some() {
                entry.tail_threshold = g.tail_threshold;
            }
            if let Some(v) = g.enabled {
                entry.enabled = v;
            }
        }
        Ok(())
    }

    /// Checks values that parse but cannot be meant.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let a = &self.analysis;
        if !(a.confidence > 0.5 && a.confidence < 1.0) {
            return Err(format!("analysis.confidence = {} must be between 0.5 and 1 (e.g. 0.95).", a.confidence));
        }
        if !(a.expected_v2_share > 0.0 && a.expected_v2_share < 1.0) {
            return Err(format!(
                "analysis.expected_v2_share = {} must be strictly between 0 and 1 (0.01 for a 1% canary).",
                a.expected_v2_share
            ));
        }
        if a.window_minutes == 0 {
            return Err("analysis.window_minutes must be at least 1.".into());
        }
        let d = &self.data_quality;
        for (key, v) in [
            ("min_coverage", d.min_coverage),
            ("max_rejected_share", d.max_rejected_share),
            ("srm_min_p", d.srm_min_p),
            ("min_time_overlap", d.min_time_overlap),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("data_quality.{key} = {v} must be between 0 and 1."));
            }
        }
        let c = &self.compare;
        if !(c.abs_tolerance >= 0.0 && c.rel_tolerance >= 0.0 && c.abs_tolerance.is_finite() && c.rel_tolerance.is_finite()) {
            return Err(format!(
                "compare.abs_tolerance = {} and compare.rel_tolerance = {} must be finite and >= 0.",
                c.abs_tolerance, c.rel_tolerance
            ));
        }
        if self.sequential.tuned_for < 100 {
            return Err(format!(
                "sequential.tuned_for = {} is too small: set it to the number of requests per version you expect by the time the stage is decided (e.g. 100000).",
                self.sequential.tuned_for
            ));
        }
        if let Some(at) = &self.rollback.at {
            if crate::ingest::value::parse_datetime(at).is_none() {
                return Err(format!("rollback.at = \"{at}\" is not an RFC 3339 time; write e.g. \"2026-11-27T00:30:00Z\"."));
            }
        }
        if self.columns.ok_values.is_empty() {
            return Err("columns.ok_values is empty: list the status values that mean success, e.g. [\"ok\"].".into());
        }
        let c = &self.columns;
        crate::ingest::value::status_code_ranges(&c.error_status_codes)?;
        if c.latency_start.is_empty() != c.latency_end.is_empty() {
            return Err(format!(
                "columns.latency_start = {} and columns.latency_end = {}: set both (latency = end - start, as in spans) or neither (latency_ms holds the duration).",
                toml_string(&c.latency_start),
                toml_string(&c.latency_end)
            ));
        }
        if !c.version.is_empty() && (c.v1_value.trim().is_empty() || c.v2_value.trim().is_empty() || c.v1_value.trim() == c.v2_value.trim())
        {
            return Err(format!(
                "columns.version = {} splits one export by version, so columns.v1_value ({}) and columns.v2_value ({}) must be two different, non-empty values of that column.",
                toml_string(&c.version),
                toml_string(&c.v1_value),
                toml_string(&c.v2_value)
            ));
        }
        for (field, values) in &self.input.select {
            if field.trim().is_empty() || values.is_empty() {
                return Err(format!(
                    "input.select: {} = {values:?} needs a field name and at least one value, e.g. kind = [2].",
                    toml_string(field)
                ));
            }
            crate::ingest::field::FieldPath::parse(field).map_err(|e| format!("input.select: {e}"))?;
        }
        for (key, name) in c.field_names() {
            if !name.is_empty() {
                crate::ingest::field::FieldPath::parse(name).map_err(|e| format!("columns.{key}: {e}"))?;
            }
        }
        for (id, g) in &self.gates {
            let Some((_, unit, _)) = STATISTICS.iter().find(|(s, _, _)| *s == g.statistic) else {
                return Err(format!(
                    "gates.\"{id}\".statistic = \"{}\" is not a known statistic. Known: {}.",
                    g.statistic,
                    STATISTICS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                ));
            };
            if !g.threshold.is_finite() || g.threshold < 0.0 {
                return Err(format!("gates.\"{id}\".threshold = {} must be a finite number >= 0.", g.threshold));
            }
            if *unit == "ratio" && g.threshold < 1.0 {
                return Err(format!(
                    "gates.\"{id}\".threshold = {} is a V2/V1 ratio margin below 1, which would demand that V2 be better than V1; use e.g. 1.05 for \"within 5%\".",
                    g.threshold
                ));
            }
            if *unit == "rate" && g.threshold > 1.0 {
                return Err(format!("gates.\"{id}\".threshold = {} is a rate and must be at most 1 (0.01 means 1%).", g.threshold));
            }
            if let Some(t) = g.tail_threshold {
                if !t.is_finite() || t < 1.0 {
                    return Err(format!("gates.\"{id}\".tail_threshold = {t} must be a V2/V1 ratio margin of at least 1, e.g. 1.10."));
                }
            }
            if g.statistic.starts_with("window.") && g.for_windows.unwrap_or(0) == 0 {
                return Err(format!("gates.\"{id}\" uses a per-window statistic and needs `for_windows` >= 1."));
            }
        }
        Ok(())
    }

    /// The policy as commented TOML that parses back to the same policy.
    pub fn to_commented_toml(&self) -> String {
        let mut s = String::new();
        let q = |v: &str| toml_string(v);
        let list = |v: &[String]| format!("[{}]", v.iter().map(|x| toml_string(x)).collect::<Vec<_>>().join(", "));
        let a = &self.analysis;
        let c = &self.columns;
        let d = &self.data_quality;
        let _ = writeln!(s, "# shadowgate policy. Every key is optional: a file only needs the keys it changes.");
        let _ = writeln!(s, "# `shadowgate analyze --policy FILE` merges FILE onto these defaults.\n");
        let _ = writeln!(s, "[analysis]");
        let _ = writeln!(s, "# shadow: V1 and V2 served the same requests (paired by correlation id); canary: different requests.");
        let _ = writeln!(s, "mode = {}", q(a.mode.as_str()));
        let _ = writeln!(s, "# Two-sided confidence level of every interval.\nconfidence = {}", fnum(a.confidence));
        let _ = writeln!(
            s,
            "# Seed of the bootstrap and of every other randomized step: same inputs + seed = same verdict.json.\nseed = {}",
            a.seed
        );
        let _ = writeln!(
            s,
            "# Canary mode: V2's expected share of requests (0.01 at the 1% stage), checked by data.srm.\nexpected_v2_share = {}",
            fnum(a.expected_v2_share)
        );
        let _ = writeln!(s, "# Window width for the sustained-breach rules, in minutes.\nwindow_minutes = {}", a.window_minutes);
        let _ = writeln!(
            s,
            "# Windows with fewer requests than this neither breach nor count, and reset a streak.\nmin_window_requests = {}",
            a.min_window_requests
        );
        let _ = writeln!(
            s,
            "# Columns to break discrepancies and failures down by (added to --segment-by).\nsegment_by = {}",
            list(&a.segment_by)
        );
        let _ = writeln!(
            s,
            "# At most this many rejected rows are written to rejected.jsonl (all are counted).\nmax_rejected_samples = {}\n",
            a.max_rejected_samples
        );
        let inp = &self.input;
        let _ = writeln!(s, "[input]");
        let _ = writeln!(s, "# Format of every input file (--format overrides it): jsonl, csv, parquet, ipc, otlp, jaeger, zipkin.");
        let _ = writeln!(s, "# Unset: from each file's name; .json/.jsonl files that are OTLP, Jaeger or Zipkin exports are recognized.");
        match inp.format {
            Some(f) => {
                let _ = writeln!(s, "format = {}", q(f.as_str()));
            }
            None => {
                let _ = writeln!(s, "# format = \"otlp\"");
            }
        }
        let _ = writeln!(s, "\n[input.select]");
        let _ = writeln!(s, "# Keep a row only when each listed field has one of the listed values (text comparison); other rows");
        let _ = writeln!(s, "# (spans of other services, client spans) are counted as rows_not_selected, not rejected. Example:");
        let _ = writeln!(s, "# kind = [2]\n# 'resource.\"service.name\"' = [\"validator\"]");
        for (k, v) in &inp.select {
            let _ = writeln!(s, "{} = {}", q(k), list(v));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "[columns]");
        let _ = writeln!(s, "# Names of the columns (JSON keys) in your logs. Required: correlation_id, timestamp, latency_ms, status.");
        let _ = writeln!(s, "# In JSON inputs a name may be a path into nested objects: request.id, or attributes.\"http.route\" with");
        let _ = writeln!(s, "# quotes around a key that contains dots (write the value in single quotes in TOML).");
        for (k, v) in c.field_names().into_iter().take(9) {
            let _ = writeln!(s, "{k} = {}", q(v));
        }
        let _ = writeln!(
            s,
            "# Status values that mean success (case-insensitive); any other status is an error.\nok_values = {}",
            list(&c.ok_values)
        );
        let _ = writeln!(
            s,
            "# Numeric statuses (HTTP codes; also strings of digits) that mean an error: a class \"5xx\", a code \"429\" or a\n# range \"500-599\". Other numbers are successes (4xx is the client's error, not the service's).\nerror_status_codes = {}",
            list(&c.error_status_codes)
        );
        let _ = writeln!(
            s,
            "# Numeric timestamps: auto (guess s/ms/us/ns from the magnitude and report it), s, ms, us or ns.\ntimestamp_unit = {}",
            q(c.timestamp_unit.as_str())
        );
        let _ = writeln!(
            s,
            "# Unit of the latency column (and of latency_start/latency_end): s, ms, us or ns (converted to ms).\nlatency_unit = {}",
            q(c.latency_unit.as_str())
        );
        let _ = writeln!(
            s,
            "# Spans: latency = latency_end - latency_start (numbers in latency_unit, or RFC 3339 times); latency_ms is\n# then not read. Both empty: latency_ms holds the duration.\nlatency_start = {}\nlatency_end = {}",
            q(&c.latency_start),
            q(&c.latency_end)
        );
        let _ = writeln!(
            s,
            "# One export holding both versions (analyze --input FILE): the column with the version, and its values for V1\n# and V2. Empty: the versions come from --v1 and --v2.\nversion = {}\nv1_value = {}\nv2_value = {}\n",
            q(&c.version),
            q(&c.v1_value),
            q(&c.v2_value)
        );
        let r = &self.resource_columns;
        let _ = writeln!(s, "[resource_columns]");
        let _ = writeln!(s, "# Host resource samples given with --resources: one row per host sample and version.");
        for (k, v) in [
            ("timestamp", &r.timestamp),
            ("version", &r.version),
            ("cpu_pct", &r.cpu_pct),
            ("memory_mb", &r.memory_mb),
            ("net_bytes_per_s", &r.net_bytes_per_s),
        ] {
            let _ = writeln!(s, "{k} = {}", q(v));
        }
        let _ = writeln!(s, "# Values of the version column that mean V1 and V2 (case-insensitive).");
        let _ = writeln!(s, "v1_label = {}\nv2_label = {}\n", q(&r.v1_label), q(&r.v2_label));
        let cmp = &self.compare;
        let _ = writeln!(s, "[compare]");
        let _ = writeln!(
            s,
            "# How results are compared. Paths: `a.b` nested field, `list[]` array element; `*` matches any run of characters."
        );
        let _ = writeln!(
            s,
            "# Differences at these paths (and below them) are ignored, e.g. [\"evaluated_at\", \"meta.*\"].\nignore = {}",
            list(&cmp.ignore)
        );
        let _ = writeln!(
            s,
            "# Arrays at these paths compare as multisets (order does not matter), e.g. [\"violations\"].\nmultiset = {}",
            list(&cmp.multiset)
        );
        let _ = writeln!(
            s,
            "# Numbers within abs_tolerance + rel_tolerance * max(|a|, |b|) are equal.\nabs_tolerance = {}\nrel_tolerance = {}\n",
            fnum(cmp.abs_tolerance),
            fnum(cmp.rel_tolerance)
        );
        let sq = &self.sequential;
        let _ = writeln!(s, "[sequential]");
        let _ = writeln!(s, "# Nightly re-analysis without peeking bias: anytime-valid intervals (confidence sequences) for the");
        let _ = writeln!(s, "# error-rate, discrepancy and latency-percentile gates. auto: when --history holds earlier runs of the");
        let _ = writeln!(s, "# same stage and mode; always (also --sequential); never.");
        let _ = writeln!(s, "mode = {}", q(sq.mode.as_str()));
        let _ = writeln!(
            s,
            "# Requests per version at which the sequences are tightest (valid at every size); fix it before the stage starts.\ntuned_for = {}\n",
            sq.tuned_for
        );
        let rb = &self.rollback;
        let _ = writeln!(s, "[rollback]");
        let _ = writeln!(s, "# The rollback drill (gate rollback.drill): when the flag was flipped back to V1. Either a time,");
        let _ = writeln!(s, "# or a column whose value marks the flip (the earliest such row of either version).");
        match &rb.at {
            Some(at) => {
                let _ = writeln!(s, "at = {}", q(at));
            }
            None => {
                let _ = writeln!(s, "# at = \"2026-11-27T00:30:00Z\"");
            }
        }
        match &rb.marker_column {
            Some(c) => {
                let _ = writeln!(s, "marker_column = {}", q(c));
            }
            None => {
                let _ = writeln!(s, "# marker_column = \"event\"");
            }
        }
        let _ = writeln!(s, "marker_value = {}\n", q(&rb.marker_value));
        let _ = writeln!(s, "[data_quality]");
        let _ = writeln!(s, "# Failing any of these makes the decision INCONCLUSIVE: shadowgate never says GO on data it cannot trust.");
        let _ = writeln!(s, "# data.min_pairs: comparable requests needed.\nmin_pairs = {}", d.min_pairs);
        let _ = writeln!(
            s,
            "# data.coverage: share of V1 requests that have a V2 twin (shadow mode).\nmin_coverage = {}",
            fnum(d.min_coverage)
        );
        let _ = writeln!(
            s,
            "# data.rejected: share of rows rejected per version, at most.\nmax_rejected_share = {}",
            fnum(d.max_rejected_share)
        );
        let _ = writeln!(
            s,
            "# data.srm: minimum chi-square p-value of the traffic split against expected_v2_share (canary mode).\nsrm_min_p = {}",
            fnum(d.srm_min_p)
        );
        let _ = writeln!(
            s,
            "# data.time_overlap: the two logs' time ranges must overlap on at least this share of their combined span.\nmin_time_overlap = {}\n",
            fnum(d.min_time_overlap)
        );
        let _ = writeln!(s, "# Gates: the statistic must stay at or below the threshold. Severity: warning (reported; blocks only with");
        let _ = writeln!(s, "# --strict), blocking (a fail means NO_GO), rollback (NO_GO and roll back). Set enabled = false to drop one.");
        let _ = writeln!(s, "# Statistics: {}.", STATISTICS.iter().map(|x| x.0).collect::<Vec<_>>().join(", "));
        let _ = writeln!(s, "# Latencies are in ms, rates are fractions (0.01 = 1%), ratios are V2/V1.");
        let descriptions: BTreeMap<&str, &str> = default_gates().into_iter().map(|(id, _, d)| (id, d)).collect();
        let order: Vec<String> = default_gates()
            .iter()
            .map(|(id, _, _)| id.to_string())
            .filter(|id| self.gates.contains_key(id))
            .chain(self.gates.keys().filter(|k| !descriptions.contains_key(k.as_str())).cloned())
            .collect();
        for id in order {
            let g = &self.gates[&id];
            let _ = writeln!(s);
            if let Some(desc) = descriptions.get(id.as_str()) {
                let _ = writeln!(s, "# {desc}");
            }
            let _ = writeln!(s, "[gates.{}]", q(&id));
            let _ = writeln!(s, "statistic = {}", q(&g.statistic));
            let _ = writeln!(s, "threshold = {}", fnum(g.threshold));
            let _ = writeln!(s, "severity = {}", q(g.severity.as_str()));
            if let Some(w) = g.for_windows {
                let _ = writeln!(s, "for_windows = {w}");
            }
            if let Some(m) = g.min_requests {
                let _ = writeln!(s, "min_requests = {m}");
            }
            if let Some(t) = g.tail_threshold {
                let _ = writeln!(s, "tail_threshold = {}", fnum(t));
            }
            if !g.enabled {
                let _ = writeln!(s, "enabled = false");
            }
        }
        s
    }
}

/// The built-in presets (`--preset NAME`): policy files for common exports, copied from presets/.
pub const PRESETS: [(&str, &str); 5] = [
    ("otlp", include_str!("../presets/otlp.toml")),
    ("jaeger", include_str!("../presets/jaeger.toml")),
    ("zipkin", include_str!("../presets/zipkin.toml")),
    ("envoy", include_str!("../presets/envoy.toml")),
    ("nginx", include_str!("../presets/nginx.toml")),
];

/// The text of a built-in preset.
pub fn preset_text(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|p| p.0 == name).map(|p| p.1)
}

fn toml_string(v: &str) -> String {
    // serde_json's string escaping is valid TOML basic-string escaping.
    serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into())
}

/// A float as TOML: always with a decimal point or exponent so it parses back as a float.
fn fnum(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}
