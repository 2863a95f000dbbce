//! `shadowgate generate`: realistic paired V1/V2 request logs with knobs for size, latency shift,
//! tail shift, error rates, error bursts, discrepancies, resources, defects and seed. Used for the
//! bundled fixtures, the test suite's calibration runs and the benchmarks.

use crate::error::{Error, Result};
use crate::ingest::Format;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Generator settings (the CLI flags of `shadowgate generate`).
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Directory to write v1.<ext> and v2.<ext> into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Requests served by both versions (shadow) or in total (canary).
    #[arg(long, default_value_t = 5000)]
    pub pairs: usize,
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Multiplies every V2 latency (1.10 = 10% slower).
    #[arg(long, default_value_t = 1.0)]
    pub latency_shift: f64,
    /// Multiplies V2 latency of the slowest `--tail-share` of requests (a tail regression).
    #[arg(long, default_value_t = 1.0)]
    pub tail_shift: f64,
    /// Share of requests, the slowest by request complexity, that `--tail-shift` slows down
    /// (0.02 with `--tail-shift 2.5`: p50 and p95 unchanged, the slowest 2% 2.5 times slower).
    #[arg(long, default_value_t = 0.10)]
    pub tail_share: f64,
    /// V2 slowdown of a middle band of requests, LO:HI:FACTOR: V2 requests whose latency lies
    /// between its LO and HI quantiles are FACTOR times slower (0.6:0.8:1.3 moves p70 by 30% and
    /// leaves p50, p95 and p99 where they were: a slow mode in the middle).
    #[arg(long)]
    pub middle_shift: Option<String>,
    /// Median latency of V1, ms.
    #[arg(long, default_value_t = 120.0)]
    pub median_ms: f64,
    #[arg(long, default_value_t = 0.004)]
    pub v1_error_rate: f64,
    #[arg(long, default_value_t = 0.004)]
    pub v2_error_rate: f64,
    /// Share of V2 ok answers whose result differs from V1's.
    #[arg(long, default_value_t = 0.0)]
    pub discrepancy_rate: f64,
    /// Only inject discrepancies into this validation_type (segment) value.
    #[arg(long)]
    pub discrepancy_segment: Option<String>,
    /// Only inject discrepancies into this result field: valid, violations or score.
    #[arg(long)]
    pub discrepancy_field: Option<String>,
    /// Multiplies V2 memory per request.
    #[arg(long, default_value_t = 1.0)]
    pub memory_factor: f64,
    /// V2 error burst: START_MINUTE:MINUTES:RATE (e.g. 20:7:0.09); may repeat.
    #[arg(long)]
    pub v2_error_burst: Vec<String>,
    /// Same burst syntax for V1.
    #[arg(long)]
    pub v1_error_burst: Vec<String>,
    /// Minutes the traffic spans.
    #[arg(long, default_value_t = 60)]
    pub minutes: u32,
    /// First request time, RFC 3339.
    #[arg(long, default_value = "2026-11-27T00:00:00Z")]
    pub start: String,
    /// Malformed lines/records added to each version's file (JSONL and CSV only).
    #[arg(long, default_value_t = 0)]
    pub malformed: usize,
    /// Repeated correlation ids added to each version (a later copy of an earlier row).
    #[arg(long, default_value_t = 0)]
    pub duplicates: usize,
    /// V1 requests with no V2 twin (and the same number of V2 requests with no V1 twin).
    #[arg(long, default_value_t = 0)]
    pub orphans: usize,
    /// Also write host resource samples (resources.jsonl: 3 hosts per version, every 10 s).
    #[arg(long)]
    pub host_samples: bool,
    /// Multiplies V2 host CPU utilisation in the host samples.
    #[arg(long, default_value_t = 1.0)]
    pub cpu_factor: f64,
    /// Canary mode: V1 and V2 serve different requests, V2 with this share of the traffic.
    #[arg(long)]
    pub canary_share: Option<f64>,
    /// A rollback drill: the flag is flipped back to V1 this many minutes after --start. V2's
    /// share of requests then falls linearly to 0 over --drain-seconds; the requests V2 no longer
    /// serves go to V1 alone.
    #[arg(long)]
    pub rollback_at_minute: Option<f64>,
    /// Seconds V2 keeps (a falling share of) traffic after the rollback flip.
    #[arg(long, default_value_t = 30.0)]
    pub drain_seconds: f64,
}

struct Burst {
    start: f64,
    minutes: f64,
    rate: f64,
}

fn parse_bursts(v: &[String]) -> Result<Vec<Burst>> {
    v.iter()
        .map(|s| {
            let parts: Vec<f64> = s.split(':').filter_map(|p| p.trim().parse().ok()).collect();
            if parts.len() != 3 {
                return Err(Error::Usage(format!("--*-error-burst {s}: expected START_MINUTE:MINUTES:RATE, e.g. 20:7:0.09")));
            }
            Ok(Burst { start: parts[0], minutes: parts[1], rate: parts[2] })
        })
        .collect()
}

/// One generated request of one version.
#[derive(Debug, Clone)]
pub struct GenRow {
    pub correlation_id: String,
    pub timestamp_ms: i64,
    pub latency_ms: f64,
    pub status: &'static str,
    pub error_code: Option<&'static str>,
    /// The result as compact JSON text (kept as text so 10M-row runs stay small in memory).
    pub result: Option<String>,
    pub cpu_ms: f64,
    pub memory_mb: f64,
    pub net_bytes: i64,
    pub validation_type: &'static str,
    pub region: &'static str,
}

const TYPES: [(&str, f64); 5] = [("address", 0.35), ("identity", 0.25), ("payment", 0.2), ("document", 0.12), ("email", 0.08)];
const REGIONS: [&str; 3] = ["eu-west", "us-east", "ap-south"];
const VIOLATIONS: [&str; 6] = ["MISSING_FIELD", "BAD_FORMAT", "CHECKSUM", "EXPIRED", "BLOCKLISTED", "MISMATCH"];
const ERROR_CODES: [&str; 3] = ["TIMEOUT", "UPSTREAM_5XX", "ENGINE_FAULT"];

fn pick_type(u: f64) -> &'static str {
    let mut acc = 0.0;
    for (t, w) in TYPES {
        acc += w;
        if u < acc {
            return t;
        }
    }
    TYPES[TYPES.len() - 1].0
}

fn in_burst(bursts: &[Burst], minute: f64) -> Option<f64> {
    bursts.iter().find(|b| minute >= b.start && minute < b.start + b.minutes).map(|b| b.rate)
}

/// Generates both versions' rows in memory.
pub fn generate(a: &GenerateArgs) -> Result<(Vec<GenRow>, Vec<GenRow>)> {
    let start =
        crate::ingest::value::parse_datetime(&a.start).ok_or_else(|| Error::Usage(format!("--start {}: not an RFC 3339 time", a.start)))?;
    let b1 = parse_bursts(&a.v1_error_burst)?;
    let b2 = parse_bursts(&a.v2_error_burst)?;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let sigma_base = 0.5;
    let base_dist = LogNormal::new(a.median_ms.max(1e-3).ln(), sigma_base).map_err(|e| Error::Usage(format!("latency model: {e}")))?;
    let noise = LogNormal::new(0.0, 0.15).map_err(|e| Error::Usage(format!("latency model: {e}")))?;
    if !(a.tail_share > 0.0 && a.tail_share <= 1.0) {
        return Err(Error::Usage(format!("--tail-share {}: must be in (0, 1], e.g. 0.02 for the slowest 2% of requests", a.tail_share)));
    }
    // Base latency above its (1 - tail_share) quantile marks the slow tail.
    let tail_cut = a.median_ms * (sigma_base * crate::stats::normal_quantile(1.0 - a.tail_share)).exp();
    let middle = match &a.middle_shift {
        None => None,
        Some(spec) => {
            let parts: Vec<f64> = spec.split(':').filter_map(|p| p.trim().parse().ok()).collect();
            match parts[..] {
                [lo, hi, factor] if 0.0 <= lo && lo < hi && hi <= 1.0 && factor > 0.0 => {
                    // Cut on the latency itself (base x noise, log-normal with both sigmas), so the
                    // quantiles outside the band keep their values exactly.
                    let sigma = (sigma_base * sigma_base + 0.15 * 0.15f64).sqrt();
                    let cut = |q: f64| a.median_ms * (sigma * crate::stats::normal_quantile(q)).exp();
                    Some((cut(lo), cut(hi), factor))
                }
                _ => {
                    return Err(Error::Usage(format!(
                        "--middle-shift {spec}: expected LO:HI:FACTOR with 0 <= LO < HI <= 1 and FACTOR > 0, e.g. 0.6:0.85:1.3"
                    )))
                }
            }
        }
    };
    let span_ms = a.minutes.max(1) as f64 * 60_000.0;
    let n = a.pairs + a.orphans;
    let mut v1 = Vec::with_capacity(n);
    let mut v2 = Vec::with_capacity(n);
    for i in 0..n {
        let t = start + (i as f64 / n as f64 * span_ms) as i64 + rng.gen_range(0..50);
        let minute = (t - start) as f64 / 60_000.0;
        let id = format!("req-{:08x}-{i:07}", a.seed as u32);
        let vt = pick_type(rng.gen::<f64>());
        let region = REGIONS[rng.gen_range(0..REGIONS.len())];
        let base: f64 = base_dist.sample(&mut rng);
        let valid = rng.gen::<f64>() < 0.88;
        let violations: Vec<&str> =
            if valid { vec![] } else { (0..rng.gen_range(1..3)).map(|_| VIOLATIONS[rng.gen_range(0..VIOLATIONS.len())]).collect() };
        let score = (rng.gen::<f64>() * 1000.0).round() / 1000.0;
        let result = json!({"valid": valid, "score": score, "violations": violations, "rule_set": "2026.11", "checks": {"format": true, "blocklist": !violations.contains(&"BLOCKLISTED")}});
        let make = |rng: &mut ChaCha8Rng, version: u8, result: &serde_json::Value| -> GenRow {
            let mut lat = base * noise.sample(rng);
            let (rate, bursts) = if version == 1 { (a.v1_error_rate, &b1) } else { (a.v2_error_rate, &b2) };
            if version == 2 {
                if let Some((lo, hi, factor)) = middle {
                    if lat > lo && lat <= hi {
                        lat *= factor;
                    }
                }
                lat *= a.latency_shift;
                if base > tail_cut {
                    lat *= a.tail_shift;
                }
            }
            let p_err = in_burst(bursts, minute).unwrap_or(rate);
            let failed = rng.gen::<f64>() < p_err;
            let code = failed.then(|| ERROR_CODES[rng.gen_range(0..ERROR_CODES.len())]);
            if code == Some("TIMEOUT") {
                lat = lat.max(2000.0) * 1.5;
            }
            let mem_factor = if version == 2 { a.memory_factor } else { 1.0 };
            GenRow {
                correlation_id: id.clone(),
                timestamp_ms: t + if version == 2 { rng.gen_range(0..5) } else { 0 },
                latency_ms: (lat * 1000.0).round() / 1000.0,
                status: if failed { "error" } else { "ok" },
                error_code: code,
                result: if failed { None } else { Some(result.to_string()) },
                cpu_ms: ((lat * 0.35 * noise.sample(rng)) * 100.0).round() / 100.0,
                memory_mb: ((180.0 + 40.0 * rng.gen::<f64>()) * mem_factor * 10.0).round() / 10.0,
                net_bytes: 1500 + rng.gen_range(0..900),
                validation_type: vt,
                region,
            }
        };
        let mut r1 = make(&mut rng, 1, &result);
        let mut v2_result = result.clone();
        let eligible = a.discrepancy_segment.as_deref().is_none_or(|s| s == vt);
        if eligible && rng.gen::<f64>() < a.discrepancy_rate {
            let kind = match a.discrepancy_field.as_deref() {
                Some("valid") => 0,
                Some("violations") => 1,
                Some("score") => 2,
                _ => rng.gen_range(0..3),
            };
            match kind {
                0 => v2_result["valid"] = json!(!valid),
                1 => v2_result["violations"] = json!(["MISMATCH"]),
                _ => v2_result["score"] = json!(score + 0.25),
            }
        }
        let mut r2 = make(&mut rng, 2, &v2_result);
        if let Some(flip_minute) = a.rollback_at_minute {
            // After the flip V2 serves a linearly falling share, then nothing.
            let since = (t - start) as f64 / 1000.0 - flip_minute * 60.0;
            let keep = since < 0.0 || (a.drain_seconds > 0.0 && rng.gen::<f64>() < 1.0 - since / a.drain_seconds);
            if !keep {
                // V1 serves the request alone (in shadow mode its V2 twin is missing).
                v1.push(r1);
                continue;
            }
        }
        if let Some(share) = a.canary_share {
            // Canary: each request is served by one version only.
            if rng.gen::<f64>() < share {
                r2.correlation_id = format!("{id}-c");
                v2.push(r2);
            } else {
                v1.push(r1);
            }
            continue;
        }
        if i >= a.pairs {
            // orphans: half V1-only, half V2-only ids
            if (i - a.pairs) % 2 == 0 {
                r2.correlation_id = format!("{id}-v2only");
            } else {
                r1.correlation_id = format!("{id}-v1only");
            }
        }
        v1.push(r1);
        v2.push(r2);
    }
    for rows in [&mut v1, &mut v2] {
        for k in 0..a.duplicates.min(rows.len()) {
            let mut dup = rows[k * rows.len() / a.duplicates.max(1)].clone();
            dup.timestamp_ms += 1000;
            dup.latency_ms *= 3.0;
            rows.push(dup);
        }
    }
    Ok((v1, v2))
}

fn row_json(r: &GenRow) -> serde_json::Value {
    json!({
        "correlation_id": r.correlation_id,
        "timestamp": crate::metrics::windows::rfc3339_ms(r.timestamp_ms),
        "latency_ms": r.latency_ms,
        "status": r.status,
        "error_code": r.error_code,
        "result": r.result.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()),
        "cpu_ms": r.cpu_ms,
        "memory_mb": r.memory_mb,
        "net_bytes": r.net_bytes,
        "validation_type": r.validation_type,
        "region": r.region,
    })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::output(path, e)
}

fn write_jsonl(path: &Path, rows: &[GenRow], malformed: usize) -> Result<()> {
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = std::io::BufWriter::new(f);
    let every = if malformed > 0 { (rows.len() / (malformed + 1)).max(1) } else { usize::MAX };
    let mut bad = 0;
    for (i, r) in rows.iter().enumerate() {
        if bad < malformed && i > 0 && i % every == 0 {
            writeln!(w, "{{\"correlation_id\": \"broken-{i}\", \"latency_ms\": 12, \"status\": ").map_err(io(path))?;
            bad += 1;
        }
        serde_json::to_writer(&mut w, &row_json(r)).map_err(|e| Error::output(path, std::io::Error::other(e)))?;
        w.write_all(b"\n").map_err(io(path))?;
    }
    w.flush().map_err(io(path))
}

fn write_csv(path: &Path, rows: &[GenRow], malformed: usize) -> Result<()> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_path(path).map_err(|e| Error::output(path, std::io::Error::other(e)))?;
    let err = |e: csv::Error| Error::output(path, std::io::Error::other(e));
    w.write_record([
        "correlation_id",
        "timestamp",
        "latency_ms",
        "status",
        "error_code",
        "result",
        "cpu_ms",
        "memory_mb",
        "net_bytes",
        "validation_type",
        "region",
    ])
    .map_err(err)?;
    let every = if malformed > 0 { (rows.len() / (malformed + 1)).max(1) } else { usize::MAX };
    let mut bad = 0;
    for (i, r) in rows.iter().enumerate() {
        if bad < malformed && i > 0 && i % every == 0 {
            w.write_record(["broken", "row"]).map_err(err)?;
            bad += 1;
        }
        w.write_record([
            r.correlation_id.clone(),
            crate::metrics::windows::rfc3339_ms(r.timestamp_ms),
            r.latency_ms.to_string(),
            r.status.to_string(),
            r.error_code.unwrap_or("").to_string(),
            r.result.clone().unwrap_or_default(),
            r.cpu_ms.to_string(),
            r.memory_mb.to_string(),
            r.net_bytes.to_string(),
            r.validation_type.to_string(),
            r.region.to_string(),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(io(path))
}

fn write_parquet(path: &Path, rows: &[GenRow]) -> Result<()> {
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
    use std::sync::Arc;
    let perr = |e: &dyn std::fmt::Display| Error::output(path, std::io::Error::other(e.to_string()));
    let strings = |f: &dyn Fn(&GenRow) -> Option<&str>| -> ArrayRef { Arc::new(rows.iter().map(f).collect::<StringArray>()) };
    let floats = |f: &dyn Fn(&GenRow) -> f64| -> ArrayRef { Arc::new(rows.iter().map(f).collect::<Float64Array>()) };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("correlation_id", strings(&|r| Some(r.correlation_id.as_str()))),
        ("timestamp", Arc::new(TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.timestamp_ms)).with_timezone("UTC"))),
        ("latency_ms", floats(&|r| r.latency_ms)),
        ("status", strings(&|r| Some(r.status))),
        ("error_code", strings(&|r| r.error_code)),
        ("result", strings(&|r| r.result.as_deref())),
        ("cpu_ms", floats(&|r| r.cpu_ms)),
        ("memory_mb", floats(&|r| r.memory_mb)),
        ("net_bytes", Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.net_bytes)))),
        ("validation_type", strings(&|r| Some(r.validation_type))),
        ("region", strings(&|r| Some(r.region))),
    ];
    let batch = RecordBatch::try_from_iter(columns).map_err(|e| perr(&e))?;
    let f = std::fs::File::create(path).map_err(io(path))?;
    crate::report::parquet::write(f, &batch, &["correlation_id", "timestamp", "latency_ms", "cpu_ms", "memory_mb"]).map_err(|e| perr(&e))
}

/// Writes `v1.<ext>` and `v2.<ext>` into `a.out`; returns their paths.
pub fn run(a: &GenerateArgs) -> Result<(PathBuf, PathBuf)> {
    if a.pairs == 0 {
        return Err(Error::Usage("--pairs must be at least 1".into()));
    }
    std::fs::create_dir_all(&a.out).map_err(io(&a.out))?;
    let (v1, v2) = generate(a)?;
    let ext = match a.format {
        Format::Jsonl => "jsonl",
        Format::Csv => "csv",
        Format::Parquet => "parquet",
        Format::Ipc | Format::Otlp | Format::Jaeger | Format::Zipkin => {
            return Err(Error::Usage("generate writes jsonl, csv or parquet".into()))
        }
    };
    let p1 = a.out.join(format!("v1.{ext}"));
    let p2 = a.out.join(format!("v2.{ext}"));
    for (p, rows) in [(&p1, &v1), (&p2, &v2)] {
        match a.format {
            Format::Jsonl => write_jsonl(p, rows, a.malformed)?,
            Format::Csv => write_csv(p, rows, a.malformed)?,
            _ => write_parquet(p, rows)?,
        }
    }
    if a.host_samples {
        write_host_samples(&a.out.join("resources.jsonl"), a)?;
    }
    Ok((p1, p2))
}

/// Generated rows as an ingested version (no files), for in-process simulation studies such as
/// the calibration tests. Segment columns: `validation_type` and `region`.
pub fn to_ingested(rows: &[GenRow], segment_names: &[String]) -> crate::ingest::Ingested {
    use crate::ingest::{IngestStats, Ingested, Reason, Requests};
    let seg = |r: &GenRow, name: &str| match name {
        "validation_type" => Some(r.validation_type.to_string()),
        "region" => Some(r.region.to_string()),
        _ => None,
    };
    let requests = Requests {
        id: rows.iter().map(|r| r.correlation_id.as_str()).collect(),
        ts_ms: rows.iter().map(|r| r.timestamp_ms).collect(),
        latency_ms: rows.iter().map(|r| r.latency_ms).collect(),
        ok: rows.iter().map(|r| r.status == "ok").collect(),
        error_code: rows.iter().map(|r| r.error_code).collect(),
        result: rows.iter().map(|r| r.result.as_deref().map(crate::metrics::canonical::canonical_str)).collect(),
        cpu_ms: rows.iter().map(|r| r.cpu_ms).collect(),
        memory_mb: rows.iter().map(|r| r.memory_mb).collect(),
        net_bytes: rows.iter().map(|r| r.net_bytes as f64).collect(),
        segments: segment_names.iter().map(|s| rows.iter().map(|r| seg(r, s)).collect()).collect(),
        segment_names: segment_names.to_vec(),
        has_result: true,
        has_cpu: true,
        has_memory: true,
        has_net: true,
    };
    let mut stats = IngestStats {
        files: vec!["(generated)".into()],
        rows_read: rows.len() as u64,
        rows_accepted: rows.len() as u64,
        ..Default::default()
    };
    for r in Reason::ALL {
        stats.rejected_by_reason.insert(r.as_str(), 0);
    }
    Ingested { requests, keys: None, stats, rejected: Vec::new() }
}

/// Host samples: 3 hosts per version every 10 s over the traffic's span; CPU around 35% (times
/// `--cpu-factor` for V2), memory around 800 MB (times `--memory-factor` for V2).
fn write_host_samples(path: &Path, a: &GenerateArgs) -> Result<()> {
    let start =
        crate::ingest::value::parse_datetime(&a.start).ok_or_else(|| Error::Usage(format!("--start {}: not an RFC 3339 time", a.start)))?;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed ^ 0x5eed_f00d);
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = std::io::BufWriter::new(f);
    let steps = a.minutes.max(1) as i64 * 6;
    for step in 0..steps {
        for (version, cpu_f, mem_f) in [("v1", 1.0, 1.0), ("v2", a.cpu_factor, a.memory_factor)] {
            for host in 0..3 {
                let row = json!({
                    "timestamp": crate::metrics::windows::rfc3339_ms(start + step * 10_000),
                    "version": version,
                    "host": format!("{version}-host-{host}"),
                    "cpu_pct": ((35.0 + 8.0 * (rng.gen::<f64>() - 0.5)) * cpu_f * 10.0).round() / 10.0,
                    "memory_mb": ((800.0 + 60.0 * (rng.gen::<f64>() - 0.5)) * mem_f).round(),
                    "net_bytes_per_s": (200_000.0 * (0.8 + 0.4 * rng.gen::<f64>())).round(),
                });
                serde_json::to_writer(&mut w, &row).map_err(|e| Error::output(path, std::io::Error::other(e)))?;
                w.write_all(b"\n").map_err(io(path))?;
            }
        }
    }
    w.flush().map_err(io(path))
}
