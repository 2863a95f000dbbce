//! Parquet and Arrow IPC through polars' lazy scans: only the mapped columns are read
//! (projection pushdown), then rows are validated by the shared [`Normalizer`].

use super::{missing_column_error, Format, Normalizer, Part, RawRow, Sink, Val};
use crate::error::{Error, Result};
use polars::prelude::*;
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// One column's values, converted once from the file's Arrow type.
enum ColData<'a> {
    Absent,
    Str(Vec<Option<&'a str>>),
    I64(Vec<Option<i64>>),
    F64(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Ms(Vec<Option<i64>>),
    Null,
}

impl ColData<'_> {
    fn val(&self, i: usize) -> Val<'_> {
        let opt = |o: Option<Val<'static>>| o.unwrap_or(Val::Null);
        match self {
            ColData::Absent => Val::Absent,
            ColData::Null => Val::Null,
            ColData::Str(v) => {
                v[i].map_or(Val::Null, |s| if super::value::trim(s).is_empty() { Val::Null } else { Val::Str(Cow::Borrowed(s)) })
            }
            ColData::I64(v) => opt(v[i].map(Val::I64)),
            ColData::F64(v) => opt(v[i].map(Val::F64)),
            ColData::Bool(v) => opt(v[i].map(Val::Bool)),
            ColData::Ms(v) => opt(v[i].map(Val::EpochMs)),
        }
    }
}

fn polars_err(path: &Path, what: &str, e: PolarsError) -> Error {
    Error::input(path, format!("{what}: {e}. The file may be truncated or not what its name says; re-export it."))
}

fn check_magic(path: &Path, format: Format) -> Result<()> {
    if !path.is_file() {
        return Err(Error::input(
            path,
            "Parquet and Arrow IPC need a regular file (their readers seek); a pipe or device cannot be read. Write the data to a file first, or stream JSON Lines/CSV instead.",
        ));
    }
    let mut f = std::fs::File::open(path).map_err(|e| Error::input(path, format!("cannot open the file: {e}")))?;
    let mut head = [0u8; 6];
    let n = f.read(&mut head).map_err(|e| Error::input(path, format!("cannot read the file: {e}")))?;
    let head = &head[..n];
    let (ok, name, magic) = match format {
        Format::Parquet => (head.starts_with(b"PAR1"), "Parquet", "PAR1"),
        _ => (head.starts_with(b"ARROW1"), "Arrow IPC", "ARROW1"),
    };
    if n == 0 {
        return Err(Error::input(path, "the file is empty (0 bytes). Check the export that wrote it."));
    }
    if !ok {
        let guess = if head.starts_with(b"{") {
            " It looks like JSON Lines: rename it to .jsonl or pass --format jsonl."
        } else if head.starts_with(&[0x1f, 0x8b]) {
            " It is gzip-compressed: name it .jsonl.gz / .csv.gz as appropriate."
        } else if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            " It looks like text (CSV?): rename it or pass --format csv."
        } else {
            ""
        };
        return Err(Error::input(path, format!("this is not a {name} file (it does not start with the {magic} magic bytes).{guess}")));
    }
    Ok(())
}

fn scan(path: &Path, format: Format) -> Result<LazyFrame> {
    let p = PlRefPath::try_from_path(path).map_err(|e| polars_err(path, "cannot use this path", e))?;
    let lf = match format {
        Format::Parquet => {
            let args = ScanArgsParquet { glob: false, ..Default::default() };
            LazyFrame::scan_parquet(p, args)
        }
        _ => {
            let args = UnifiedScanArgs { glob: false, ..Default::default() };
            LazyFrame::scan_ipc(p, IpcScanOptions::default(), args)
        }
    };
    lf.map_err(|e| polars_err(path, "cannot open", e))
}

fn convert<'a>(path: &Path, name: &str, c: &'a Column) -> Result<ColData<'a>> {
    let bad = |e: PolarsError| polars_err(path, &format!("cannot read column `{name}`"), e);
    Ok(match c.dtype() {
        DataType::String => ColData::Str(c.str().map_err(bad)?.iter().collect()),
        DataType::Boolean => ColData::Bool(c.bool().map_err(bad)?.iter().collect()),
        DataType::Float64 => ColData::F64(c.f64().map_err(bad)?.iter().collect()),
        DataType::Int64 => ColData::I64(c.i64().map_err(bad)?.iter().collect()),
        DataType::Float32 => ColData::F64(c.cast(&DataType::Float64).map_err(bad)?.f64().map_err(bad)?.iter().collect()),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            ColData::I64(c.cast(&DataType::Int64).map_err(bad)?.i64().map_err(bad)?.iter().collect())
        }
        DataType::Datetime(tu, _) => {
            let div = match tu {
                TimeUnit::Nanoseconds => 1_000_000,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Milliseconds => 1,
            };
            ColData::Ms(c.datetime().map_err(bad)?.physical().iter().map(|o| o.map(|v| v.div_euclid(div))).collect())
        }
        DataType::Date => ColData::Ms(c.date().map_err(bad)?.physical().iter().map(|o| o.map(|d| d as i64 * 86_400_000)).collect()),
        DataType::Null => ColData::Null,
        other => {
            return Err(Error::input(
                path,
                format!(
                "column `{name}` has type {other}, which shadowgate cannot read; export it as a string (results as JSON text) or a number."
            ),
            ))
        }
    })
}

/// Reads one Parquet or Arrow IPC file into the sink.
pub fn read(path: &Path, format: Format, norm: &Normalizer, sink: &mut Sink) -> Result<()> {
    check_magic(path, format)?;
    let mut lf = scan(path, format)?;
    let schema = lf.collect_schema().map_err(|e| polars_err(path, "cannot read the schema", e))?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    for (col, key) in norm.required() {
        if !names.iter().any(|n| n == col) {
            return Err(missing_column_error(path, col, key, &names));
        }
    }
    let c = &norm.columns;
    let wanted: Vec<&String> =
        [&c.correlation_id, &c.timestamp, &c.latency_ms, &c.status, &c.error_code, &c.result, &c.cpu_ms, &c.memory_mb, &c.net_bytes]
            .into_iter()
            .chain(norm.segment_names.iter())
            .collect();
    let mut selected: Vec<&String> = Vec::new();
    for w in &wanted {
        if names.contains(w) && !selected.contains(w) {
            selected.push(w);
        }
    }
    // The row count is in the file's metadata: reserve the columns once instead of growing them
    // (growth re-copies and re-faults every page of a multi-GB column).
    if let Ok(n) = lf.clone().select([len()]).collect().and_then(|df| df.column("len").and_then(|c| c.get(0).map(|v| v.extract::<usize>())))
    {
        sink.requests.reserve(n.unwrap_or(0));
    }
    let projected = lf.select(selected.iter().map(|n| col(n.as_str())).collect::<Vec<Expr>>());
    let file = path.display().to_string();
    // The file is read BATCH rows at a time (the slice is pushed down into the reader, which
    // skips row groups outside it), so memory holds one batch of decoded columns, not the file.
    const BATCH: usize = 1 << 21;
    let mut offset = 0usize;
    loop {
        let df =
            projected.clone().slice(offset as i64, BATCH as IdxSize).collect().map_err(|e| polars_err(path, "cannot read the data", e))?;
        let height = df.height();
        if offset == 0 || height > 0 {
            read_batch(path, &df, &wanted, offset, norm, sink, &file)?;
        }
        offset += height;
        if height < BATCH {
            return Ok(());
        }
    }
}

/// Validates one batch of rows (`offset` = rows before it in the file) into the sink.
fn read_batch(
    path: &Path,
    df: &DataFrame,
    wanted: &[&String],
    offset: usize,
    norm: &Normalizer,
    sink: &mut Sink,
    file: &str,
) -> Result<()> {
    let height = df.height();
    let columns: Vec<Option<&Column>> = wanted.iter().map(|w| df.column(w.as_str()).ok()).collect();
    sink.requests.has_result |= columns[5].is_some();
    sink.requests.has_cpu |= columns[6].is_some();
    sink.requests.has_memory |= columns[7].is_some();
    sink.requests.has_net |= columns[8].is_some();
    // Rows are converted and validated in parallel parts of CHUNK rows, WAVE parts at a time, and
    // merged in order. Each part converts only its own slice of the columns, so the extra memory
    // is one wave of parts, not a second copy of the file.
    const CHUNK: usize = 65_536;
    const WAVE: usize = 16;
    let mut start = 0;
    while start < height {
        let ranges: Vec<(usize, usize)> =
            (0..WAVE).map(|w| start + w * CHUNK).take_while(|s| *s < height).map(|s| (s, (s + CHUNK).min(height))).collect();
        let parts: Vec<Part> = ranges
            .par_iter()
            .map(|&(s, e)| -> Result<Part> {
                let sliced: Vec<Option<Column>> = columns.iter().map(|c| c.map(|c| c.slice(s as i64, e - s))).collect();
                let mut data: Vec<ColData<'_>> = Vec::with_capacity(sliced.len());
                for (w, c) in wanted.iter().zip(&sliced) {
                    data.push(match c {
                        Some(c) => convert(path, w, c)?,
                        None => ColData::Absent,
                    });
                }
                let mut part = sink.part();
                // The batch's strings stay put while this part runs: results may be cached by address.
                part.stable_strings = true;
                let mut segments = Vec::with_capacity(data.len() - 9);
                for i in 0..e - s {
                    segments.clear();
                    segments.extend(data[9..].iter().map(|d| d.val(i)));
                    let raw = RawRow {
                        id: data[0].val(i),
                        ts: data[1].val(i),
                        latency: data[2].val(i),
                        status: data[3].val(i),
                        error_code: data[4].val(i),
                        result: data[5].val(i),
                        cpu: data[6].val(i),
                        memory: data[7].val(i),
                        net: data[8].val(i),
                        segments: &segments,
                    };
                    part.row(norm, (offset + s + i) as u64 + 1, raw, || render_row(wanted, &data, i));
                }
                Ok(part)
            })
            .collect::<Result<_>>()?;
        for part in parts {
            sink.absorb(file, part);
        }
        sink.share_learned();
        start = ranges.last().map_or(height, |r| r.1);
    }
    Ok(())
}

fn render_row(names: &[&String], data: &[ColData<'_>], i: usize) -> String {
    let mut obj = serde_json::Map::new();
    for (n, d) in names.iter().zip(data) {
        let v = match d.val(i) {
            Val::Absent => continue,
            Val::Null => serde_json::Value::Null,
            Val::Str(s) => serde_json::Value::String(s.into_owned()),
            Val::I64(v) | Val::EpochMs(v) => serde_json::Value::from(v),
            Val::F64(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::String(v.to_string()), serde_json::Value::Number),
            Val::Bool(b) => serde_json::Value::Bool(b),
            Val::Json(j) => j.clone(),
        };
        obj.insert((*n).clone(), v);
    }
    serde_json::Value::Object(obj).to_string()
}

/// An owned column, for readers that keep rows beyond the DataFrame's life.
enum OwnedCol {
    Str(Vec<Option<String>>),
    I64(Vec<Option<i64>>),
    F64(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Ms(Vec<Option<i64>>),
    Null,
}

/// Selected columns of a Parquet/IPC file, owned, for generic row access.
pub struct GenericRows {
    /// Wanted columns that the file has.
    pub names: Vec<String>,
    /// Every column of the file (for error messages).
    pub all_names: Vec<String>,
    pub height: usize,
    cols: Vec<(String, OwnedCol)>,
}

impl GenericRows {
    pub fn get(&self, name: &str, i: usize) -> Val<'_> {
        let Some((_, c)) = self.cols.iter().find(|(n, _)| n == name) else {
            return Val::Absent;
        };
        match c {
            OwnedCol::Str(v) => v[i].as_deref().map_or(Val::Null, |s| Val::Str(Cow::Borrowed(s))),
            OwnedCol::I64(v) => v[i].map_or(Val::Null, Val::I64),
            OwnedCol::F64(v) => v[i].map_or(Val::Null, Val::F64),
            OwnedCol::Bool(v) => v[i].map_or(Val::Null, Val::Bool),
            OwnedCol::Ms(v) => v[i].map_or(Val::Null, Val::EpochMs),
            OwnedCol::Null => Val::Null,
        }
    }
}

/// Reads the `wanted` columns that exist in a Parquet or IPC file.
pub fn read_generic(path: &Path, format: Format, wanted: &[&String]) -> Result<GenericRows> {
    check_magic(path, format)?;
    let mut lf = scan(path, format)?;
    let schema = lf.collect_schema().map_err(|e| polars_err(path, "cannot read the schema", e))?;
    let all_names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let mut names: Vec<String> = Vec::new();
    for w in wanted {
        if all_names.contains(w) && !names.contains(w) {
            names.push((*w).clone());
        }
    }
    let df = lf
        .select(names.iter().map(|n| col(n.as_str())).collect::<Vec<Expr>>())
        .collect()
        .map_err(|e| polars_err(path, "cannot read the data", e))?;
    let mut cols = Vec::new();
    for n in &names {
        let c = df.column(n.as_str()).map_err(|e| polars_err(path, "cannot read the data", e))?;
        let owned = match convert(path, n, c)? {
            ColData::Str(v) => OwnedCol::Str(v.into_iter().map(|s| s.map(str::to_string)).collect()),
            ColData::I64(v) => OwnedCol::I64(v),
            ColData::F64(v) => OwnedCol::F64(v),
            ColData::Bool(v) => OwnedCol::Bool(v),
            ColData::Ms(v) => OwnedCol::Ms(v),
            ColData::Null | ColData::Absent => OwnedCol::Null,
        };
        cols.push((n.clone(), owned));
    }
    Ok(GenericRows { names, all_names, height: df.height(), cols })
}
