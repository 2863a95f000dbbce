//! Ingest: request logs in any supported format -> one normalized, validated set of rows per
//! version, with every rejected row counted by reason.
//!
//! Readers per format: [`jsonl`] (JSON Lines, plain/.gz/.zst; hand-parsed line by line because a
//! malformed line must cost only that line, which Arrow's JSON readers do not offer), [`csv`]
//! (the `csv` crate, for the same reason and for exact line numbers), [`columnar`] (Parquet and
//! Arrow IPC through the arrow-rs crates, decoding only the mapped columns, in parallel pieces). All readers hand raw
//! values to [`Normalizer`], so the rejection rules of DESIGN.md section 2 are applied once.

pub mod columnar;
pub mod columns;
pub mod csv;
pub mod field;
pub mod json_row;
pub mod jsonl;
pub mod pairs;
pub mod paths;
pub mod row_spill;
pub mod samples;
pub mod spill;
pub mod traces;
pub mod value;

use crate::error::{Error, Result};
use crate::metrics::canonical::canonical_str;
use crate::policy::{Columns, Input, LatencyUnit};
pub use columns::{DictCol, NumCol, StrCol};
use field::FieldPath;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
pub use value::Val;

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
    Ipc,
    /// OpenTelemetry OTLP/JSON traces: the collector's file exporter (JSON Lines of
    /// `{"resourceSpans": [...]}`) or one OTLP/JSON document.
    Otlp,
    /// Jaeger's JSON trace export (`{"data": [{"traceID", "spans", "processes"}]}`).
    Jaeger,
    /// Zipkin v2 JSON: an array of spans, or an array of traces (arrays of spans).
    Zipkin,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Ipc => "ipc",
            Format::Otlp => "otlp",
            Format::Jaeger => "jaeger",
            Format::Zipkin => "zipkin",
        }
    }
}

impl Format {
    /// The format implied by a file name (compression suffixes `.gz` / `.zst` are looked through).
    pub fn from_path(p: &Path) -> Option<Format> {
        let name = p.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.trim_end_matches(".gz").trim_end_matches(".zst").trim_end_matches(".zstd");
        let ext = name.rsplit('.').next()?;
        match ext {
            "jsonl" | "ndjson" | "json" | "log" => Some(Format::Jsonl),
            "csv" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "arrow" | "ipc" | "feather" => Some(Format::Ipc),
            _ => None,
        }
    }
}

/// Why a row was rejected (DESIGN.md section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Malformed,
    MissingCorrelationId,
    InvalidLatency,
    InvalidTimestamp,
    InvalidStatus,
}

impl Reason {
    pub const ALL: [Reason; 5] =
        [Reason::Malformed, Reason::MissingCorrelationId, Reason::InvalidLatency, Reason::InvalidTimestamp, Reason::InvalidStatus];
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::MissingCorrelationId => "missing_correlation_id",
            Reason::InvalidLatency => "invalid_latency",
            Reason::InvalidTimestamp => "invalid_timestamp",
            Reason::InvalidStatus => "invalid_status",
        }
    }
}

/// A rejected row as written to rejected.jsonl.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub version: &'static str,
    pub file: String,
    /// 1-based line (JSONL, CSV including the header) or row (Parquet/IPC) number.
    pub line: u64,
    pub reason: Reason,
    pub detail: String,
    /// The raw line (truncated to 2,000 bytes) or a rendering of the row.
    pub raw: String,
}

/// Rows of one version after validation. Optional numeric fields use NaN for "missing".
#[derive(Debug, Default, Clone)]
pub struct Requests {
    pub id: StrCol,
    pub ts_ms: Vec<i64>,
    pub latency_ms: Vec<f64>,
    pub ok: Vec<bool>,
    pub error_code: DictCol,
    /// Canonical JSON text of the result (a plain string result is stored as a JSON string).
    pub result: DictCol,
    pub cpu_ms: NumCol,
    pub memory_mb: NumCol,
    pub net_bytes: NumCol,
    /// One column per segment, in the order of `segment_names`.
    pub segments: Vec<DictCol>,
    pub segment_names: Vec<String>,
    /// Which optional columns appeared in at least one file.
    pub has_result: bool,
    pub has_cpu: bool,
    pub has_memory: bool,
    pub has_net: bool,
}

impl Requests {
    pub fn new(segment_names: &[String]) -> Self {
        Requests { segments: vec![DictCol::default(); segment_names.len()], segment_names: segment_names.to_vec(), ..Default::default() }
    }
    pub fn len(&self) -> usize {
        self.ts_ms.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ts_ms.is_empty()
    }
    /// Frees the correlation ids of a version whose ids nothing reads any more (V2 after the
    /// join: reports name pairs by V1's id, which is the same text). At 100M rows the ids are a
    /// few GB.
    pub fn release_ids(&mut self) {
        self.id = StrCol::default();
    }
    /// Makes room for `rows` more rows without reallocating, where the allocator grants it: the
    /// count comes from a footer or an estimate, so a room that cannot be had (a count no machine
    /// holds, or a strict overcommit policy) is left out, and the columns grow as rows arrive.
    pub fn reserve(&mut self, rows: usize) {
        self.id.reserve(rows);
        let _ = self.ts_ms.try_reserve(rows);
        let _ = self.latency_ms.try_reserve(rows);
        let _ = self.ok.try_reserve(rows);
        let _ = self.error_code.codes.try_reserve(rows);
        let _ = self.result.codes.try_reserve(rows);
        self.cpu_ms.reserve(rows);
        self.memory_mb.reserve(rows);
        self.net_bytes.reserve(rows);
        for c in &mut self.segments {
            let _ = c.codes.try_reserve(rows);
        }
    }

    /// Empties every column, keeping the allocations (a reused part's pages stay mapped).
    pub fn clear(&mut self) {
        self.id.clear();
        self.ts_ms.clear();
        self.latency_ms.clear();
        self.ok.clear();
        self.error_code.clear();
        self.result.clear();
        self.cpu_ms.clear();
        self.memory_mb.clear();
        self.net_bytes.clear();
        for c in &mut self.segments {
            c.clear();
        }
    }

    /// Moves the rows of `other` (same segment columns) to the end; `id` and `result` are left
    /// to the caller, which knows where the ids go and how `other`'s result codes relate to
    /// this one's.
    fn append_except_id_result(&mut self, other: &Requests) {
        self.ts_ms.extend_from_slice(&other.ts_ms);
        self.latency_ms.extend_from_slice(&other.latency_ms);
        self.ok.extend_from_slice(&other.ok);
        self.error_code.append(&other.error_code);
        self.cpu_ms.append(&other.cpu_ms);
        self.memory_mb.append(&other.memory_mb);
        self.net_bytes.append(&other.net_bytes);
        for (col, o) in self.segments.iter_mut().zip(&other.segments) {
            col.append(o);
        }
    }
}

/// Counts for one version's input, reported in verdict.json `inputs`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestStats {
    pub files: Vec<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<&'static str, u64>,
    /// Numeric timestamps by the unit they were read in (`auto` guesses from magnitude).
    pub timestamp_units: BTreeMap<&'static str, u64>,
    /// Valid rows left out by `--sample-rate` (a hash of the correlation id, so V1 and V2 keep the
    /// same requests).
    pub rows_sampled_out: u64,
    /// Filled in by pairing: rows dropped because their correlation id occurred earlier.
    pub duplicate_rows: u64,
    /// Filled in by pairing: distinct correlation ids that occurred more than once.
    pub duplicate_ids: u64,
    /// Rows that are not this version's requests and were left out before validation: `select`
    /// (they fail `[input] select`: spans of other services, client spans) and `other_version`
    /// (`[columns] version` names the other version or none). Not counted in `rows_read`.
    pub rows_not_selected: u64,
    pub not_selected_by_reason: BTreeMap<&'static str, u64>,
    /// With `[columns] version`: how often each value of the version column occurred among the
    /// selected rows (at most 20 distinct values are listed).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub version_values: BTreeMap<String, u64>,
}

/// The raw values of one row, in the mapped order, as a reader found them.
pub struct RawRow<'a> {
    pub id: Val<'a>,
    pub ts: Val<'a>,
    pub latency: Val<'a>,
    pub status: Val<'a>,
    pub error_code: Val<'a>,
    pub result: Val<'a>,
    pub cpu: Val<'a>,
    pub memory: Val<'a>,
    pub net: Val<'a>,
    /// The end of a span (`columns.latency_end`); `latency` is then its start.
    pub latency_end: Val<'a>,
    /// The version column (`columns.version`), for one export holding both versions.
    pub version: Val<'a>,
    /// The `[input] select` fields, then the segment columns, in mapped order.
    pub rest: &'a [Val<'a>],
}

/// Index of the result among [`Normalizer::mapped_columns`] (and the arguments of
/// [`RawRow::from_fn`]).
pub const RESULT_FIELD: usize = 5;

/// Fields of [`RawRow`] before `rest`: the select fields and segments follow them in
/// [`Normalizer::mapped_columns`].
pub const FIXED_FIELDS: usize = 11;

impl<'a> RawRow<'a> {
    /// A row from the values of the mapped columns in [`Normalizer::mapped_columns`] order
    /// (`field(k)` for the k-th), as the columnar and one-pass JSON readers lay them out.
    pub fn from_fn(mut field: impl FnMut(usize) -> Val<'a>, rest: &'a [Val<'a>]) -> Self {
        RawRow {
            id: field(0),
            ts: field(1),
            latency: field(2),
            status: field(3),
            error_code: field(4),
            result: field(RESULT_FIELD),
            cpu: field(6),
            memory: field(7),
            net: field(8),
            latency_end: field(9),
            version: field(10),
            rest,
        }
    }
}

/// Latencies above this (1e9 ms, 11.6 days) are rejected as implausible: they are unit mistakes
/// or sentinel values, and a handful of them would dominate every mean.
pub const MAX_LATENCY_MS: f64 = 1e9;

/// Validation and normalization rules shared by all readers.
#[derive(Debug, Clone)]
pub struct Normalizer {
    pub columns: Columns,
    pub segment_names: Vec<String>,
    /// `[input] select`: (field, accepted values), mapped after the fixed fields.
    pub select: Vec<(String, Vec<String>)>,
    /// With `[columns] version`: the value of the version read by this pass.
    pub version_value: Option<String>,
    /// Parsed paths of [`Normalizer::mapped_columns`], for readers of nested records.
    pub paths: Vec<FieldPath>,
    ok_values: Vec<String>,
    error_codes: Vec<(i64, i64)>,
    latency_unit: LatencyUnit,
    /// Latency = latency_end - latency_start (spans).
    span_latency: bool,
}

impl Normalizer {
    /// Rules for reading one version (`version` is `v1`, `v2` or `v1-replay`).
    pub fn new(columns: &Columns, input: &Input, segment_names: &[String], version: &str) -> Self {
        let version_value = (!columns.version.is_empty()).then(|| {
            if version == "v2" {
                columns.v2_value.trim().to_string()
            } else {
                columns.v1_value.trim().to_string()
            }
        });
        let mut n = Normalizer {
            ok_values: columns.ok_values.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
            error_codes: value::status_code_ranges(&columns.error_status_codes).unwrap_or_default(),
            latency_unit: columns.latency_unit,
            span_latency: !columns.latency_start.is_empty() && !columns.latency_end.is_empty(),
            columns: columns.clone(),
            segment_names: segment_names.to_vec(),
            select: input.select.iter().map(|(k, v)| (k.clone(), v.iter().map(|x| x.trim().to_string()).collect())).collect(),
            version_value,
            paths: Vec::new(),
        };
        n.paths = n.mapped_columns().iter().map(|c| FieldPath::parse(c).unwrap_or_else(|_| FieldPath::literal(c))).collect();
        n
    }

    /// The mapped column names in [`RawRow`] field order (id, timestamp, latency or the span's
    /// start, status, error code, result, cpu, memory, net, the span's end, version), then the
    /// select fields, then the segments. Unused fields are empty names, which no reader finds.
    pub fn mapped_columns(&self) -> Vec<&String> {
        let c = &self.columns;
        let latency = if self.span_latency { &c.latency_start } else { &c.latency_ms };
        let end = if self.span_latency { &c.latency_end } else { &EMPTY };
        let version = if self.version_value.is_some() { &c.version } else { &EMPTY };
        [&c.correlation_id, &c.timestamp, latency, &c.status, &c.error_code, &c.result, &c.cpu_ms, &c.memory_mb, &c.net_bytes, end, version]
            .into_iter()
            .chain(self.select.iter().map(|s| &s.0))
            .chain(self.segment_names.iter())
            .collect()
    }

    /// Names of required columns with the policy key that maps each (id, timestamp, latency,
    /// status).
    pub fn required(&self) -> [(&str, &'static str); 4] {
        let c = &self.columns;
        let latency = if self.span_latency { (c.latency_start.as_str(), "latency_start") } else { (c.latency_ms.as_str(), "latency_ms") };
        [(&c.correlation_id, "correlation_id"), (&c.timestamp, "timestamp"), latency, (&c.status, "status")]
    }

    /// Further columns a flat file (CSV, Parquet, IPC) must have: the span's end and the version
    /// column when they are mapped. (In JSON a record without them is counted, not an error.)
    pub fn required_extra(&self) -> Vec<(&str, &'static str)> {
        let c = &self.columns;
        let mut v = Vec::new();
        if self.span_latency {
            v.push((c.latency_end.as_str(), "latency_end"));
        }
        if self.version_value.is_some() {
            v.push((c.version.as_str(), "version"));
        }
        v
    }

    /// Whether a row belongs to this version's requests (`[input] select`, `[columns] version`);
    /// a row that does not is counted in `part` and goes no further.
    fn selected(&self, raw: &RawRow<'_>, part: &mut Part) -> bool {
        self.selects(raw.rest, &raw.version, part)
    }

    /// [`Normalizer::selected`] from the select fields' values and the version's, for readers
    /// that look fields up one by one (a row of the other version then costs two lookups).
    pub fn selects(&self, select: &[Val<'_>], version: &Val<'_>, part: &mut Part) -> bool {
        for ((_, values), v) in self.select.iter().zip(select) {
            let keep = v.text().is_some_and(|t| values.iter().any(|x| *x == *t));
            if !keep {
                part.not_selected[0] += 1;
                return false;
            }
        }
        if let Some(want) = &self.version_value {
            let got = version.text();
            part.count_version(got.as_deref());
            if got.as_deref() != Some(want.as_str()) {
                part.not_selected[1] += 1;
                return false;
            }
        }
        true
    }

    /// Latency in ms from the mapped fields: the duration column, or a span's end - start.
    fn latency_ms(&self, raw: &RawRow<'_>) -> std::result::Result<f64, (Reason, String)> {
        let c = &self.columns;
        if self.span_latency {
            return match value::span_duration(&raw.latency, &raw.latency_end, |v| self.latency_unit.to_ms(v)) {
                Some(v) if v >= 0.0 => Ok(v),
                Some(v) => Err((Reason::InvalidLatency, format!("{} is before {} (a duration of {v} ms)", c.latency_end, c.latency_start))),
                None => Err((
                    Reason::InvalidLatency,
                    format!("{} is {} and {} is {}", c.latency_start, raw.latency.describe(), c.latency_end, raw.latency_end.describe()),
                )),
            };
        }
        match raw.latency.as_f64().map(|v| self.latency_unit.to_ms(v)) {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err((Reason::InvalidLatency, format!("{} is {}", c.latency_ms, raw.latency.describe()))),
        }
    }

    /// Applies the rejection rules in the order of DESIGN.md section 2 and appends a valid row to
    /// `part` (or counts it as sampled out).
    pub fn normalize_into(&self, raw: RawRow<'_>, part: &mut Part) -> std::result::Result<(), (Reason, String)> {
        let Some(id) = raw.id.as_id() else {
            return Err((Reason::MissingCorrelationId, format!("{} is {}", self.columns.correlation_id, raw.id.describe())));
        };
        let latency = self.latency_ms(&raw)?;
        if latency > MAX_LATENCY_MS {
            let name = if self.span_latency { &self.columns.latency_end } else { &self.columns.latency_ms };
            return Err((
                Reason::InvalidLatency,
                format!("{name} gives {latency:e} ms, more than a plausible {MAX_LATENCY_MS:e} ms (11.6 days); check latency_unit"),
            ));
        }
        let Some((ts_ms, unit)) = raw.ts.as_epoch_ms(self.columns.timestamp_unit) else {
            return Err((Reason::InvalidTimestamp, format!("{} is {}", self.columns.timestamp, raw.ts.describe())));
        };
        if let Some(unit) = unit {
            part.count_unit(unit);
        }
        let Some(ok) = raw.status.as_status(&self.ok_values, &self.error_codes) else {
            return Err((Reason::InvalidStatus, format!("{} is {}", self.columns.status, raw.status.describe())));
        };
        part.rows_accepted += 1;
        if part.sample_threshold.is_some_and(|t| sample_hash(&id) > t) {
            part.rows_sampled_out += 1;
            return Ok(());
        }
        let result = part.result_code(&raw.result);
        let r = &mut part.rows;
        r.id.push(&id);
        r.ts_ms.push(ts_ms);
        r.latency_ms.push(latency);
        r.ok.push(ok);
        r.error_code.push(raw.error_code.text().as_deref());
        r.result.push_code(result);
        r.cpu_ms.push(raw.cpu.as_f64().filter(|v| v.is_finite()).unwrap_or(f64::NAN));
        r.memory_mb.push(raw.memory.as_f64().filter(|v| v.is_finite()).unwrap_or(f64::NAN));
        r.net_bytes.push(raw.net.as_f64().filter(|v| v.is_finite()).unwrap_or(f64::NAN));
        let segments = raw.rest.get(self.select.len()..).unwrap_or_default();
        for (col, v) in r.segments.iter_mut().zip(segments) {
            col.push(v.text().as_deref());
        }
        Ok(())
    }
}

/// The name of a field that is not mapped.
static EMPTY: String = String::new();

/// Why rows were left out before validation, in the order of [`Part::not_selected`].
pub const NOT_SELECTED: [&str; 2] = ["select", "other_version"];

/// Distinct values of the version column counted per part (more are counted as other versions
/// but not listed).
const MAX_VERSION_VALUES: usize = 20;

/// Distinct raw result texts remembered per part (a bound for inputs where every result differs).
const RESULT_CACHE_MAX: usize = 1 << 16;

/// Raw -> canonical result texts remembered across parts of one version (a bound for inputs
/// where every result differs, where remembering would only cost memory).
const KNOWN_RESULTS_MAX: usize = 200_000;

/// Result codes with this bit are local to a [`Part`] (an index into its `learned` list) until
/// the sink absorbs the part and gives them version-wide codes.
const LOCAL: u32 = 1 << 31;

/// Rows, counts and the first rejections of one chunk of input, built by one parallel task and
/// merged into the [`Sink`] in input order, so line numbers and the rejected sample stay exact.
pub struct Part {
    /// The part's rows. `rows.result` holds only codes: version-wide codes of the sink's result
    /// dictionary for results it already knew, `LOCAL | k` for `learned[k]`.
    pub rows: Requests,
    /// Raw result text -> version-wide code, for the results earlier parts found (shared,
    /// read-only while parts run): each distinct raw result is parsed and canonicalized about
    /// once per version, not once per row or per part.
    known: Arc<FxHashMap<String, u32>>,
    /// Results new to this part: (raw text when it may be shared, canonical text).
    learned: Vec<(Option<String>, String)>,
    /// Raw text -> local code of results new to this part.
    fresh_raw: FxHashMap<String, u32>,
    /// Canonical text -> local code, so two spellings of one result share a code.
    fresh_canonical: FxHashMap<String, u32>,
    /// Set by readers whose strings do not move or get reused while the part runs (a Parquet
    /// batch): then a result text already seen at the same address and length is the same text,
    /// and its code is found without hashing or comparing it (dictionary-encoded columns point
    /// every repeat of a value at one place).
    pub stable_strings: bool,
    by_address: FxHashMap<usize, (usize, u32)>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_sampled_out: u64,
    /// Rows left out before validation: [select, other_version].
    pub not_selected: [u64; 2],
    /// Values of the version column seen (at most [`MAX_VERSION_VALUES`] distinct).
    pub versions: Vec<(String, u64)>,
    pub rejected_by_reason: [u64; Reason::ALL.len()],
    pub timestamp_units: Vec<(&'static str, u64)>,
    /// The first rejections: (line, reason, detail, raw rendering).
    pub rejected: Vec<(u64, Reason, String, String)>,
    max_rejected: usize,
    sample_threshold: Option<u64>,
}

impl Part {
    /// The code of a row's result: found by address (stable strings), else among the results
    /// the sink knows, else among this part's new ones, else canonicalized here.
    fn result_code(&mut self, v: &Val<'_>) -> u32 {
        let Val::Str(s) = v else {
            return match v.as_canonical_json() {
                Some(c) => self.local_code(None, c),
                None => columns::NONE,
            };
        };
        if s.is_empty() {
            // An empty field (nginx writes "" for an absent header) is no result, as in CSV.
            return columns::NONE;
        }
        if let Some(code) = self.by_address(s) {
            return code;
        }
        let code = match self.known.get(s.as_ref()).or_else(|| self.fresh_raw.get(s.as_ref())) {
            Some(&code) => code,
            None => {
                let code = self.local_code(Some(s), canonical_str(s));
                if self.fresh_raw.len() < RESULT_CACHE_MAX {
                    self.fresh_raw.insert(s.to_string(), code);
                }
                code
            }
        };
        self.remember_address(s, code);
        code
    }

    /// The local code of a canonical result new to this part.
    fn local_code(&mut self, raw: Option<&str>, canonical: String) -> u32 {
        if let Some(&code) = self.fresh_canonical.get(&canonical) {
            if let Some(raw) = raw {
                // Another spelling of a result already learned: remember it for later parts too.
                self.learned.push((Some(raw.to_string()), canonical));
            }
            return code;
        }
        let code = LOCAL | self.learned.len() as u32;
        self.learned.push((raw.map(str::to_string), canonical.clone()));
        self.fresh_canonical.insert(canonical, code);
        code
    }

    fn by_address(&self, s: &str) -> Option<u32> {
        if !self.stable_strings {
            return None;
        }
        match self.by_address.get(&(s.as_ptr() as usize)) {
            Some(&(len, code)) if len == s.len() => Some(code),
            _ => None,
        }
    }

    /// Forgets the result addresses seen so far: the strings behind them are about to be freed
    /// (a decoded batch that is done).
    pub fn forget_addresses(&mut self) {
        self.by_address.clear();
    }

    fn remember_address(&mut self, s: &str, code: u32) {
        if self.stable_strings && self.by_address.len() < RESULT_CACHE_MAX {
            self.by_address.insert(s.as_ptr() as usize, (s.len(), code));
        }
    }

    fn count_version(&mut self, v: Option<&str>) {
        let v = v.unwrap_or("(missing)");
        if let Some((_, n)) = self.versions.iter_mut().find(|(x, _)| x == v) {
            *n += 1;
        } else if self.versions.len() < MAX_VERSION_VALUES {
            self.versions.push((v.to_string(), 1));
        }
    }

    fn count_unit(&mut self, unit: &'static str) {
        match self.timestamp_units.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, n)) => *n += 1,
            None => self.timestamp_units.push((unit, 1)),
        }
    }

    /// Validates one row and records its outcome. `render` is called only for a rejected row
    /// that the rejected sample still has room for.
    pub fn row(&mut self, norm: &Normalizer, line: u64, raw: RawRow<'_>, render: impl FnOnce() -> String) {
        if !norm.selected(&raw, self) {
            return;
        }
        self.selected_row(norm, line, raw, render);
    }

    /// [`Part::row`] for a row already found selected ([`Normalizer::selects`]).
    pub fn selected_row(&mut self, norm: &Normalizer, line: u64, raw: RawRow<'_>, render: impl FnOnce() -> String) {
        self.rows_read += 1;
        if let Err((reason, detail)) = norm.normalize_into(raw, self) {
            self.reject(line, reason, detail, render);
        }
    }

    /// Counts a row that failed before validation (unparsable line or record).
    pub fn malformed(&mut self, line: u64, detail: String, render: impl FnOnce() -> String) {
        self.rows_read += 1;
        self.reject(line, Reason::Malformed, detail, render);
    }

    fn reject(&mut self, line: u64, reason: Reason, detail: String, render: impl FnOnce() -> String) {
        self.rejected_by_reason[reason as usize] += 1;
        if self.rejected.len() < self.max_rejected {
            let mut raw = render();
            truncate_utf8(&mut raw, 2000);
            self.rejected.push((line, reason, detail, raw));
        }
    }
}

/// Collects rows, rejections and counts for one version while readers stream through files.
pub struct Sink {
    pub version: &'static str,
    pub requests: Requests,
    pub stats: IngestStats,
    pub rejected: Vec<Rejected>,
    pub max_rejected: usize,
    /// Keep a valid row only if the hash of its id is at most this (`--sample-rate`).
    pub sample_threshold: Option<u64>,
    /// Raw result text -> code in `requests.result`, for results seen so far, so each distinct
    /// result is parsed about once per version rather than once per part.
    known_results: Arc<FxHashMap<String, u32>>,
    learned_results: Vec<(String, u32)>,
    /// Out of core: the ids go to these spill files instead of `requests.id`.
    pub keys: Option<spill::KeySpill>,
}

/// FNV-1a of a correlation id: stable across versions, runs and platforms, so a sample keeps
/// both halves of every pair it keeps.
pub fn sample_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    // Finalize (splitmix64) so that similar ids spread over the whole range.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl Sink {
    pub fn new(version: &'static str, segment_names: &[String], max_rejected: usize) -> Self {
        let mut stats = IngestStats::default();
        for r in Reason::ALL {
            stats.rejected_by_reason.insert(r.as_str(), 0);
        }
        for r in NOT_SELECTED {
            stats.not_selected_by_reason.insert(r, 0);
        }
        Sink {
            version,
            requests: Requests::new(segment_names),
            stats,
            rejected: Vec::new(),
            max_rejected,
            sample_threshold: None,
            known_results: Arc::default(),
            learned_results: Vec::new(),
            keys: None,
        }
    }

    /// An empty part with this sink's settings, for one parallel task.
    pub fn part(&self) -> Part {
        Part {
            rows: Requests::new(&self.requests.segment_names),
            known: Arc::clone(&self.known_results),
            learned: Vec::new(),
            fresh_raw: FxHashMap::default(),
            fresh_canonical: FxHashMap::default(),
            stable_strings: false,
            by_address: FxHashMap::default(),
            rows_read: 0,
            rows_accepted: 0,
            rows_sampled_out: 0,
            not_selected: [0; 2],
            versions: Vec::new(),
            rejected_by_reason: [0; Reason::ALL.len()],
            timestamp_units: Vec::new(),
            rejected: Vec::new(),
            max_rejected: self.max_rejected.saturating_sub(self.rejected.len()),
            sample_threshold: self.sample_threshold,
        }
    }

    /// Makes the results learned by absorbed parts known to the next parts. Call between waves
    /// of parts (when no part holds the shared map, so it is updated in place).
    pub fn share_learned(&mut self) {
        if self.learned_results.is_empty() {
            return;
        }
        let known = Arc::make_mut(&mut self.known_results);
        for (raw, code) in self.learned_results.drain(..) {
            known.insert(raw, code);
        }
    }

    /// Reserves the columns for a text file of about `rows` lines (after this sink's sampling,
    /// with 5% to spare), so that absorbing its parts does not regrow them: each regrowth copies
    /// the columns into fresh pages that the kernel zeroes first, and at 1M JSON Lines rows that
    /// was a tenth of the CPU time. Reserved but unwritten capacity is address space, not memory.
    pub fn reserve_for_text(&mut self, rows: u64) {
        let share = self.sample_threshold.map_or(1.0, |t| t as f64 / u64::MAX as f64);
        self.requests.reserve((rows as f64 * share * 1.05) as usize);
    }

    /// An empty part with room for `rows` rows, so filling it does not regrow its columns.
    pub fn part_with_capacity(&self, rows: usize) -> Part {
        let mut part = self.part();
        part.rows.reserve(rows);
        part
    }

    /// Merges a part; parts must arrive in input order.
    pub fn absorb(&mut self, file: &str, mut part: Part) {
        self.absorb_reuse(file, &mut part);
    }

    /// Merges a part (parts must arrive in input order) and leaves it empty but with its
    /// allocations, ready for [`Sink::recycle`]: a reader that reuses its parts touches fresh
    /// memory once instead of once per part.
    pub fn absorb_reuse(&mut self, file: &str, part: &mut Part) {
        crate::progress::rows(part.rows_read);
        self.stats.rows_read += part.rows_read;
        self.stats.rows_accepted += part.rows_accepted;
        self.stats.rows_sampled_out += part.rows_sampled_out;
        for (r, n) in NOT_SELECTED.iter().zip(part.not_selected) {
            self.stats.rows_not_selected += n;
            *self.stats.not_selected_by_reason.entry(r).or_insert(0) += n;
        }
        part.not_selected = [0; 2];
        for (v, n) in part.versions.drain(..) {
            let known = self.stats.version_values.len();
            match self.stats.version_values.get_mut(&v) {
                Some(m) => *m += n,
                None if known < MAX_VERSION_VALUES => {
                    self.stats.version_values.insert(v, n);
                }
                None => {}
            }
        }
        for (r, n) in Reason::ALL.iter().zip(part.rejected_by_reason) {
            self.stats.rows_rejected += n;
            *self.stats.rejected_by_reason.entry(r.as_str()).or_insert(0) += n;
        }
        for (unit, n) in part.timestamp_units.drain(..) {
            *self.stats.timestamp_units.entry(unit).or_insert(0) += n;
        }
        for (line, reason, detail, raw) in part.rejected.drain(..) {
            if self.rejected.len() < self.max_rejected {
                self.rejected.push(Rejected { version: self.version, file: file.to_string(), line, reason, detail, raw });
            }
        }
        // The part's new results get version-wide codes; their raw texts become known to later
        // parts (up to a bound: where every result differs, remembering only costs memory).
        let mut room = KNOWN_RESULTS_MAX.saturating_sub(self.known_results.len() + self.learned_results.len());
        let mut global = Vec::with_capacity(part.learned.len());
        for (raw, canonical) in part.learned.drain(..) {
            let code = self.requests.result.intern(&canonical);
            global.push(code);
            if let Some(raw) = raw.filter(|_| room > 0) {
                room -= 1;
                self.learned_results.push((raw, code));
            }
        }
        let codes = &mut self.requests.result.codes;
        codes.extend(part.rows.result.codes.iter().map(|&c| {
            if c != columns::NONE && c & LOCAL != 0 {
                global[(c & !LOCAL) as usize]
            } else {
                c
            }
        }));
        match &mut self.keys {
            Some(keys) => keys.push(self.requests.len() as u32, &part.rows.id),
            None => self.requests.id.append(&part.rows.id),
        }
        self.requests.append_except_id_result(&part.rows);
        part.rows.clear();
        part.rows_read = 0;
        part.rows_accepted = 0;
        part.rows_sampled_out = 0;
        part.rejected_by_reason = [0; Reason::ALL.len()];
        // Codes in both caches refer to the part's emptied dictionary (and addresses to a batch
        // that may be freed).
        part.fresh_raw.clear();
        part.fresh_canonical.clear();
        part.by_address.clear();
        // Drop the part's hold on the shared map, so share_learned can update it in place.
        part.known = Arc::default();
    }

    /// Readies an absorbed part for the next wave: the latest shared results and the rejected
    /// sample's remaining room.
    pub fn recycle(&self, part: &mut Part) {
        part.known = Arc::clone(&self.known_results);
        part.max_rejected = self.max_rejected.saturating_sub(self.rejected.len());
    }
}

/// Truncates a string to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…[truncated]");
    }
}

/// Everything ingest produced for one version.
pub struct Ingested {
    /// Out of core, `requests.id` is empty and the ids are in `keys`' spill files.
    pub requests: Requests,
    pub keys: Option<spill::SpilledKeys>,
    pub stats: IngestStats,
    pub rejected: Vec<Rejected>,
}

/// Options for reading one version.
pub struct ReadOptions<'a> {
    pub version: &'static str,
    pub columns: &'a Columns,
    /// `[input]`: the format (when `format` is None) and the row selection.
    pub input: &'a Input,
    pub segment_by: &'a [String],
    pub format: Option<Format>,
    pub max_rejected: usize,
    /// Share of requests to keep (1.0 = all), chosen by a hash of the correlation id.
    pub sample_rate: f64,
    /// The file is a paired table ([`pairs`]): the version split is by `v1_present` /
    /// `v2_present`, and the errors say so.
    pub pairs: bool,
}

/// Reads every file behind `path` (a file, a directory or a glob) into one normalized set.
pub fn read_version(path: &Path, opts: &ReadOptions<'_>) -> Result<Ingested> {
    read_version_spilling(path, opts, None)
}

/// [`read_version`], out of core with a plan ([`read_versions_spilling`]).
pub fn read_version_spilling(path: &Path, opts: &ReadOptions<'_>, spill: Option<&spill::SpillPlan>) -> Result<Ingested> {
    let mut all = read_versions_spilling(path, &[opts], spill)?;
    all.pop().ok_or_else(|| Error::Usage("internal: no version read".into()))
}

/// Reads one export into several versions' sets (`--input`: one export holding V1 and V2, split
/// by the version column). Trace exports are parsed once and each span offered to every
/// version; other formats are read once per version.
pub fn read_versions(path: &Path, all: &[&ReadOptions<'_>]) -> Result<Vec<Ingested>> {
    read_versions_spilling(path, all, None)
}

/// [`read_versions`]; with a plan, out of core: each version's ids go to spill files.
pub fn read_versions_spilling(path: &Path, all: &[&ReadOptions<'_>], spill: Option<&spill::SpillPlan>) -> Result<Vec<Ingested>> {
    let Some(first) = all.first() else {
        return Ok(Vec::new());
    };
    let forced = first.format.or(first.input.format);
    let files = paths::resolve(path, forced)?;
    let norms: Vec<Normalizer> = all.iter().map(|o| Normalizer::new(o.columns, o.input, o.segment_by, o.version)).collect();
    let mut sinks: Vec<Sink> = all
        .iter()
        .map(|o| {
            let mut sink = Sink::new(o.version, o.segment_by, o.max_rejected);
            if o.sample_rate < 1.0 {
                sink.sample_threshold = Some((o.sample_rate.max(0.0) * u64::MAX as f64) as u64);
            }
            sink
        })
        .collect();
    if let Some(plan) = spill {
        for (sink, o) in sinks.iter_mut().zip(all) {
            sink.keys = Some(spill::KeySpill::create(plan, o.version)?);
        }
    }
    for (file, format) in &files {
        let before: Vec<u64> = sinks.iter().map(|s| s.stats.rows_read + s.stats.rows_not_selected).collect();
        let format = match (forced, format) {
            (None, Format::Jsonl) => traces::sniff(file).unwrap_or(Format::Jsonl),
            _ => *format,
        };
        match format {
            Format::Otlp | Format::Jaeger | Format::Zipkin => {
                let mut targets: Vec<traces::Target<'_>> =
                    norms.iter().zip(sinks.iter_mut()).map(|(norm, sink)| traces::Target { norm, sink }).collect();
                traces::read(file, format, &mut targets)?;
            }
            _ => {
                for (norm, sink) in norms.iter().zip(sinks.iter_mut()) {
                    match format {
                        Format::Csv => csv::read(file, norm, sink)?,
                        Format::Parquet | Format::Ipc => columnar::read(file, format, norm, sink)?,
                        _ => jsonl::read(file, norm, sink)?,
                    }
                }
            }
        }
        for ((sink, before), o) in sinks.iter_mut().zip(before).zip(all) {
            sink.stats.files.push(file.display().to_string());
            if sink.stats.rows_read + sink.stats.rows_not_selected == before {
                return Err(Error::input(
                    file,
                    format!("the file has no data rows (it is empty or has only a header). Check the export that wrote it, or leave it out of --{}.", o.version),
                ));
            }
        }
    }
    let mut out = Vec::with_capacity(all.len());
    for ((sink, norm), opts) in sinks.into_iter().zip(&norms).zip(all) {
        if sink.stats.rows_accepted == 0 {
            if sink.stats.rows_read == 0 && sink.stats.rows_not_selected > 0 {
                if opts.pairs {
                    return Err(Error::input(
                        path,
                        format!(
                            "none of the {} rows of the paired table has {} = true, so it holds no {} request. Check that the SQL that built it read {} logs (its {}_requests relation), and that this is the table it wrote.",
                            sink.stats.rows_not_selected,
                            norm.columns.version,
                            opts.version.to_uppercase(),
                            opts.version.to_uppercase(),
                            opts.version
                        ),
                    ));
                }
                return Err(nothing_selected(path, opts, norm, &sink.stats));
            }
            let reasons: Vec<String> =
                sink.stats.rejected_by_reason.iter().filter(|(_, n)| **n > 0).map(|(r, n)| format!("{n} {r}")).collect();
            return Err(Error::input(
                path,
                format!(
                    "every one of the {} rows of --{} was rejected ({}); rejected rows look like: {}. Check the [columns] mapping of the policy (`shadowgate policy` shows it).",
                    sink.stats.rows_read,
                    opts.version,
                    reasons.join(", "),
                    sink.rejected.first().map(|r| format!("line {} of {}: {}", r.line, r.file, r.detail)).unwrap_or_default()
                ),
            ));
        }
        let keys = match sink.keys {
            Some(k) => Some(k.finish()?),
            None => None,
        };
        out.push(Ingested { requests: sink.requests, keys, stats: sink.stats, rejected: sink.rejected });
    }
    Ok(out)
}

/// The error when every row was left out by `[input] select` or `[columns] version`.
fn nothing_selected(path: &Path, opts: &ReadOptions<'_>, norm: &Normalizer, stats: &IngestStats) -> Error {
    let by = &stats.not_selected_by_reason;
    let n_select = by.get("select").copied().unwrap_or(0);
    let mut message = format!("none of the {} rows read for --{} is one of its requests: ", stats.rows_not_selected, opts.version);
    if n_select > 0 {
        let fields: Vec<String> = norm.select.iter().map(|(k, v)| format!("{k} in {v:?}")).collect();
        message.push_str(&format!(
            "{n_select} failed [input] select ({}). Check those field names and values against a row of the file (spans: is the service name right, and is kind the number 2 for SERVER?)",
            fields.join(", ")
        ));
    }
    if let Some(want) = &norm.version_value {
        let seen: Vec<String> = stats.version_values.iter().map(|(v, n)| format!("\"{v}\" ({n} rows)")).collect();
        if n_select > 0 {
            message.push_str("; ");
        }
        let key = if opts.version == "v2" { "v2_value" } else { "v1_value" };
        message.push_str(&format!(
            "no row has {} = \"{want}\". Values found: {}. Set columns.{key} to the value that marks {} (or, with one export per version in --v1 and --v2, set columns.version = \"\" to read every row of each).",
            norm.columns.version,
            if seen.is_empty() { "none".to_string() } else { seen.join(", ") },
            if opts.version == "v2" { "V2" } else { "V1" }
        ));
    }
    Error::input(path, message)
}

/// The error for a required field that no record of a JSON file has: for a nested path, where
/// the walk stopped in the first record.
pub fn missing_field_error(file: &Path, column: &str, key: &str, first: Option<&serde_json::Map<String, serde_json::Value>>) -> Error {
    let path = FieldPath::parse(column).unwrap_or_else(|_| FieldPath::literal(column));
    match first {
        Some(obj) if path.is_nested() => Error::input(
            file,
            format!(
                "required field `{column}` (policy key columns.{key}) is in no record. In the first record, {}. Fix the path under [columns] (quote keys that contain dots: attributes.\"http.route\").",
                path.explain_miss(obj)
            ),
        ),
        _ => missing_column_error(file, column, key, &first.map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()),
    }
}

/// The error for a required column that a file does not have.
pub fn missing_column_error(file: &Path, column: &str, key: &str, found: &[String]) -> Error {
    let mut shown: Vec<String> = found.iter().take(40).map(|s| format!("`{s}`")).collect();
    if found.len() > 40 {
        shown.push(format!("… ({} more)", found.len() - 40));
    }
    let hint = found
        .iter()
        .find(|f| f.eq_ignore_ascii_case(column) || f.replace(['-', ' '], "_").eq_ignore_ascii_case(column))
        .map(|f| format!(" A column `{f}` exists: set `{key} = \"{f}\"`."))
        .unwrap_or_default();
    Error::input(
        file,
        format!(
            "required column `{column}` is missing. Found columns: {}. Map the right column in your policy file under [columns], e.g. `{key} = \"your_column\"`, and pass it with --policy.{hint}",
            if shown.is_empty() { "none".to_string() } else { shown.join(", ") }
        ),
    )
}
