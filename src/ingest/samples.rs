//! Host resource samples (`--resources PATH`): timestamp, version, cpu_pct, memory_mb,
//! net_bytes_per_s, in any request-log format. Rows with an unusable timestamp or version are
//! counted and skipped; missing numbers stay NaN.

use super::jsonl::open_text;
use super::paths;
use super::value::Val;
use super::Format;
use crate::error::{Error, Result};
use crate::policy::ResourceColumns;
use serde::Serialize;
use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

/// One sample of one host of one version.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub ts_ms: i64,
    /// 1 or 2.
    pub version: u8,
    pub cpu_pct: f64,
    pub memory_mb: f64,
    pub net_bytes_per_s: f64,
}

/// Counts for verdict.json `resources.inputs`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SampleStats {
    pub files: Vec<String>,
    pub rows_read: u64,
    pub v1_samples: u64,
    pub v2_samples: u64,
    /// Rows whose timestamp did not parse.
    pub invalid_timestamp: u64,
    /// Rows whose version was neither the V1 nor the V2 label.
    pub unknown_version: u64,
}

struct Mapper<'a> {
    c: &'a ResourceColumns,
    v1: String,
    v2: String,
}

impl Mapper<'_> {
    fn names(&self) -> [&str; 5] {
        [&self.c.timestamp, &self.c.version, &self.c.cpu_pct, &self.c.memory_mb, &self.c.net_bytes_per_s]
    }
}

impl Mapper<'_> {
    /// Values in the order timestamp, version, cpu_pct, memory_mb, net_bytes_per_s.
    fn row(&self, v: [Val<'_>; 5], stats: &mut SampleStats, out: &mut Vec<Sample>) {
        stats.rows_read += 1;
        let Some((ts_ms, _)) = v[0].as_epoch_ms(crate::policy::TimestampUnit::Auto) else {
            stats.invalid_timestamp += 1;
            return;
        };
        let version = match v[1].as_text().map(|s| s.to_ascii_lowercase()) {
            Some(v) if v == self.v1 => 1,
            Some(v) if v == self.v2 => 2,
            _ => {
                stats.unknown_version += 1;
                return;
            }
        };
        let num = |i: usize| v[i].as_f64().filter(|x| x.is_finite()).unwrap_or(f64::NAN);
        if version == 1 {
            stats.v1_samples += 1;
        } else {
            stats.v2_samples += 1;
        }
        out.push(Sample { ts_ms, version, cpu_pct: num(2), memory_mb: num(3), net_bytes_per_s: num(4) });
    }
}

/// Reads every resource-sample file behind `path`.
pub fn read(path: &Path, c: &ResourceColumns, format: Option<Format>) -> Result<(Vec<Sample>, SampleStats)> {
    let files = paths::resolve(path, format)?;
    let m = Mapper { c, v1: c.v1_label.to_ascii_lowercase(), v2: c.v2_label.to_ascii_lowercase() };
    let mut out = Vec::new();
    let mut stats = SampleStats::default();
    for (file, fmt) in &files {
        let needed = [(&c.timestamp, "timestamp"), (&c.version, "version")];
        match fmt {
            Format::Jsonl => {
                let reader = std::io::BufReader::new(open_text(file)?);
                for line in reader.lines() {
                    let line = line.map_err(|e| Error::input(file, format!("cannot read: {e}")))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(&line) else {
                        stats.rows_read += 1;
                        stats.invalid_timestamp += 1;
                        continue;
                    };
                    m.row(m.names().map(|k| Val::from_json(obj.get(k))), &mut stats, &mut out);
                }
            }
            Format::Csv => {
                let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(open_text(file)?);
                let headers: Vec<String> = rdr
                    .headers()
                    .map_err(|e| Error::input(file, format!("cannot read the CSV header: {e}")))?
                    .iter()
                    .map(|h| h.trim().to_string())
                    .collect();
                for (col, key) in needed {
                    if !headers.contains(col) {
                        return Err(super::missing_column_error(file, col, &format!("resource_columns.{key}"), &headers));
                    }
                }
                for rec in rdr.records() {
                    let Ok(rec) = rec else {
                        stats.rows_read += 1;
                        stats.invalid_timestamp += 1;
                        continue;
                    };
                    let vals = m.names().map(|k| match headers.iter().position(|h| h == k).and_then(|i| rec.get(i)) {
                        None => Val::Absent,
                        Some(s) if s.trim().is_empty() => Val::Null,
                        Some(s) => Val::Str(Cow::Borrowed(s)),
                    });
                    m.row(vals, &mut stats, &mut out);
                }
            }
            Format::Otlp | Format::Jaeger | Format::Zipkin => {
                return Err(Error::input(
                    file,
                    format!("--resources reads host samples (JSON Lines, CSV, Parquet or IPC), not {} traces.", fmt.as_str()),
                ));
            }
            Format::Parquet | Format::Ipc => {
                let rows =
                    super::columnar::read_generic(file, *fmt, &[&c.timestamp, &c.version, &c.cpu_pct, &c.memory_mb, &c.net_bytes_per_s])?;
                for (col, key) in needed {
                    if !rows.names.contains(col) {
                        return Err(super::missing_column_error(file, col, &format!("resource_columns.{key}"), &rows.all_names));
                    }
                }
                for i in 0..rows.height {
                    m.row(m.names().map(|k| rows.get(k, i)), &mut stats, &mut out);
                }
            }
        }
        stats.files.push(file.display().to_string());
    }
    if out.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "no usable resource samples ({} rows: {} with an unparseable timestamp, {} with a version other than {:?} or {:?}). Check [resource_columns] in the policy.",
                stats.rows_read, stats.invalid_timestamp, stats.unknown_version, c.v1_label, c.v2_label
            ),
        ));
    }
    Ok((out, stats))
}
