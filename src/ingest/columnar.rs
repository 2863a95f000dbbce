//! Parquet and Arrow IPC through polars' lazy scans: only the mapped columns are read
//! (projection pushdown), then rows are validated by the shared [`Normalizer`].

use super::{missing_column_error, Format, Normalizer, Part, RawRow, Sink, Val, FIXED_FIELDS};
use crate::error::{Error, Result};
use polars::prelude::*;
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// One column of one part, read in place from a single-chunk slice of the decoded batch (no
/// per-part copy: `get` on a one-chunk array is a bounds check and a validity bit).
enum ColData<'a> {
    Absent,
    Str(&'a StringChunked),
    I64(&'a Int64Chunked),
    F64(&'a Float64Chunked),
    Bool(&'a BooleanChunked),
    /// Physical epoch values and the divisor to milliseconds.
    Ms(&'a Int64Chunked, i64),
    /// Days since the epoch.
    Days(&'a Int32Chunked),
    Null,
}

impl ColData<'_> {
    fn val(&self, i: usize) -> Val<'_> {
        let opt = |o: Option<Val<'static>>| o.unwrap_or(Val::Null);
        match self {
            ColData::Absent => Val::Absent,
            ColData::Null => Val::Null,
            ColData::Str(v) => {
                v.get(i).map_or(Val::Null, |s| if super::value::trim(s).is_empty() { Val::Null } else { Val::Str(Cow::Borrowed(s)) })
            }
            ColData::I64(v) => opt(v.get(i).map(Val::I64)),
            ColData::F64(v) => opt(v.get(i).map(Val::F64)),
            ColData::Bool(v) => opt(v.get(i).map(Val::Bool)),
            ColData::Ms(v, div) => opt(v.get(i).map(|t| Val::EpochMs(t.div_euclid(*div)))),
            ColData::Days(v) => opt(v.get(i).map(|d| Val::EpochMs(d as i64 * 86_400_000))),
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

/// Casts a column to the type [`view`] reads (narrow integers to i64, f32 to f64) and makes it
/// one chunk; rejects types shadowgate cannot read.
fn prepare(path: &Path, name: &str, c: &Column) -> Result<Column> {
    let bad = |e: PolarsError| polars_err(path, &format!("cannot read column `{name}`"), e);
    let c = match c.dtype() {
        DataType::String
        | DataType::Boolean
        | DataType::Float64
        | DataType::Int64
        | DataType::Datetime(..)
        | DataType::Date
        | DataType::Null => c.rechunk(),
        DataType::Float32 => c.cast(&DataType::Float64).map_err(bad)?.rechunk(),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            c.cast(&DataType::Int64).map_err(bad)?.rechunk()
        }
        other => {
            return Err(Error::input(
                path,
                format!(
                "column `{name}` has type {other}, which shadowgate cannot read; export it as a string (results as JSON text) or a number."
            ),
            ))
        }
    };
    Ok(c)
}

/// Typed access to a column made by [`prepare`].
fn view<'a>(path: &Path, name: &str, c: &'a Column) -> Result<ColData<'a>> {
    let bad = |e: PolarsError| polars_err(path, &format!("cannot read column `{name}`"), e);
    Ok(match c.dtype() {
        DataType::String => ColData::Str(c.str().map_err(bad)?),
        DataType::Boolean => ColData::Bool(c.bool().map_err(bad)?),
        DataType::Float64 => ColData::F64(c.f64().map_err(bad)?),
        DataType::Int64 => ColData::I64(c.i64().map_err(bad)?),
        DataType::Datetime(tu, _) => {
            let div = match tu {
                TimeUnit::Nanoseconds => 1_000_000,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Milliseconds => 1,
            };
            ColData::Ms(c.datetime().map_err(bad)?.physical(), div)
        }
        DataType::Date => ColData::Days(c.date().map_err(bad)?.physical()),
        DataType::Null => ColData::Null,
        other => return Err(Error::input(path, format!("column `{name}` has type {other}, which shadowgate cannot read."))),
    })
}

/// Reads one Parquet or Arrow IPC file into the sink.
pub fn read(path: &Path, format: Format, norm: &Normalizer, sink: &mut Sink) -> Result<()> {
    check_magic(path, format)?;
    let mut lf = scan(path, format)?;
    let schema = lf.collect_schema().map_err(|e| polars_err(path, "cannot read the schema", e))?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    for (col, key) in norm.required().into_iter().chain(norm.required_extra()) {
        if !names.iter().any(|n| n == col) {
            if let Some(head) = col.split('.').next().filter(|h| col.contains('.') && names.iter().any(|n| n == h)) {
                return Err(Error::input(
                    path,
                    format!(
                        "columns.{key} = \"{col}\" is a path into the column `{head}`, but shadowgate reads nested paths only from JSON inputs. Flatten the column in the export (SQL: SELECT {head}.… AS {}) and map the flat name.",
                        col.replace(['.', '"'], "_")
                    ),
                ));
            }
            return Err(missing_column_error(path, col, key, &names));
        }
    }
    let wanted = norm.mapped_columns();
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
    let ctx = FileCtx { path, file: path.display().to_string(), wanted, norm };
    // The file is read BATCH rows at a time (the slice is pushed down into the reader, which
    // skips row groups outside it), so memory holds one batch of decoded columns, not the file.
    const BATCH: usize = 1 << 21;
    let mut offset = 0usize;
    // Parts are reused from wave to wave and batch to batch.
    let mut pool: Vec<Part> = Vec::new();
    loop {
        let df =
            projected.clone().slice(offset as i64, BATCH as IdxSize).collect().map_err(|e| polars_err(path, "cannot read the data", e))?;
        let height = df.height();
        if offset == 0 || height > 0 {
            read_batch(&ctx, &df, offset, sink, &mut pool)?;
        }
        offset += height;
        if height < BATCH {
            return Ok(());
        }
    }
}

/// What every batch of one file shares.
struct FileCtx<'a> {
    path: &'a Path,
    /// Its display form, for rejected rows.
    file: String,
    /// The mapped column names in [`RawRow`] order, segments last.
    wanted: Vec<&'a String>,
    norm: &'a Normalizer,
}

/// Validates one batch of rows (`offset` = rows before it in the file) into the sink, through
/// a pool of parts reused from batch to batch.
fn read_batch(ctx: &FileCtx<'_>, df: &DataFrame, offset: usize, sink: &mut Sink, pool: &mut Vec<Part>) -> Result<()> {
    let FileCtx { path, file, wanted, norm } = ctx;
    let (path, norm) = (*path, *norm);
    let height = df.height();
    let columns: Vec<Option<&Column>> = wanted.iter().map(|w| df.column(w.as_str()).ok()).collect();
    sink.requests.has_result |= columns[5].is_some();
    sink.requests.has_cpu |= columns[6].is_some();
    sink.requests.has_memory |= columns[7].is_some();
    sink.requests.has_net |= columns[8].is_some();
    // Rows are validated in parallel parts of CHUNK rows, WAVE parts at a time, and merged in
    // order, so the extra memory is one wave of parts, not a second copy of the file.
    const CHUNK: usize = 65_536;
    const WAVE: usize = 16;
    // Parts end where the decoded chunks end (row groups, morsels), so a part's slice of each
    // column is usually one chunk already and `prepare` need not copy it into one.
    let lens: Vec<usize> =
        columns.iter().flatten().next().map_or_else(|| vec![height], |c| c.as_materialized_series().chunk_lengths().collect());
    let mut bounds = part_bounds(&lens, CHUNK);
    if bounds.last().copied().unwrap_or(0) != height {
        // Not expected (chunk lengths add up to the height); fall back to plain pieces.
        bounds = (1..=height.div_ceil(CHUNK)).map(|k| (k * CHUNK).min(height)).collect();
    }
    let all: Vec<(usize, usize)> = bounds.iter().scan(0, |prev, &b| Some((std::mem::replace(prev, b), b))).filter(|(a, b)| a < b).collect();
    for ranges in all.chunks(WAVE) {
        let ranges: Vec<(usize, usize)> = ranges.to_vec();
        while pool.len() < ranges.len() {
            let mut part = sink.part_with_capacity(CHUNK);
            // The batch's strings stay put while a part runs: results may be cached by address.
            part.stable_strings = true;
            pool.push(part);
        }
        let parts = &mut pool[..ranges.len()];
        for part in parts.iter_mut() {
            sink.recycle(part);
        }
        ranges
            .par_iter()
            .zip(parts.par_iter_mut())
            .map(|(&(s, e), part)| -> Result<()> {
                let mut sliced: Vec<Option<Column>> = Vec::with_capacity(columns.len());
                for (w, c) in wanted.iter().zip(&columns) {
                    sliced.push(match c {
                        Some(c) => Some(prepare(path, w, &c.slice(s as i64, e - s))?),
                        None => None,
                    });
                }
                let mut data: Vec<ColData<'_>> = Vec::with_capacity(sliced.len());
                for (w, c) in wanted.iter().zip(&sliced) {
                    data.push(match c {
                        Some(c) => view(path, w, c)?,
                        None => ColData::Absent,
                    });
                }
                let mut rest = Vec::with_capacity(data.len() - FIXED_FIELDS);
                for i in 0..e - s {
                    rest.clear();
                    rest.extend(data[FIXED_FIELDS..].iter().map(|d| d.val(i)));
                    let raw = RawRow::from_fn(|k| data[k].val(i), &rest);
                    part.row(norm, (offset + s + i) as u64 + 1, raw, || render_row(wanted, &data, i));
                }
                Ok(())
            })
            .collect::<Result<()>>()?;
        for part in parts.iter_mut() {
            sink.absorb_reuse(file, part);
        }
        sink.share_learned();
    }
    Ok(())
}

/// Ends of the parts for chunks of the given lengths: each part at most `max` rows, ending at a
/// chunk end where it can; a chunk longer than `max` is cut into even pieces, and chunks shorter
/// than a part are grouped (such a part spans chunks and is copied into one).
fn part_bounds(lens: &[usize], max: usize) -> Vec<usize> {
    let mut bounds = Vec::new();
    let (mut at, mut open) = (0, 0);
    for &len in lens {
        let end = at + len;
        if end - open > max && at > open {
            bounds.push(at);
            open = at;
        }
        if end - open > max {
            // Even pieces: a 272,727-row row group makes five of ~54.5k rows, not four of
            // 65,536 and a remainder of 10,583.
            let step = (end - open).div_ceil((end - open).div_ceil(max));
            while end - open > step {
                open += step;
                bounds.push(open);
            }
        }
        at = end;
    }
    if at > open {
        bounds.push(at);
    }
    bounds
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
            Val::Json(j) => j.into_owned(),
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
        let c = prepare(path, n, c)?;
        let owned = match view(path, n, &c)? {
            ColData::Str(v) => OwnedCol::Str(v.iter().map(|s| s.map(str::to_string)).collect()),
            ColData::I64(v) => OwnedCol::I64(v.iter().collect()),
            ColData::F64(v) => OwnedCol::F64(v.iter().collect()),
            ColData::Bool(v) => OwnedCol::Bool(v.iter().collect()),
            ColData::Ms(v, div) => OwnedCol::Ms(v.iter().map(|o| o.map(|t| t.div_euclid(div))).collect()),
            ColData::Days(v) => OwnedCol::Ms(v.iter().map(|o| o.map(|d| d as i64 * 86_400_000)).collect()),
            ColData::Null | ColData::Absent => OwnedCol::Null,
        };
        cols.push((n.clone(), owned));
    }
    Ok(GenericRows { names, all_names, height: df.height(), cols })
}

#[cfg(test)]
mod tests {
    use super::part_bounds;

    #[test]
    fn parts_follow_chunks_and_stay_within_the_limit() {
        assert_eq!(part_bounds(&[10], 4), vec![4, 8, 10]);
        assert_eq!(part_bounds(&[3, 3, 3], 4), vec![3, 6, 9]);
        assert_eq!(part_bounds(&[1, 1, 1, 1, 1], 4), vec![4, 5]);
        assert_eq!(part_bounds(&[2, 9, 1], 4), vec![2, 5, 8, 12]);
        assert_eq!(part_bounds(&[0, 5, 0], 8), vec![5]);
        assert!(part_bounds(&[], 4).is_empty());
        for lens in [vec![272_727; 8], vec![84_664, 272_727, 272_727, 272_730], vec![1; 300], vec![70_000, 3, 65_536]] {
            let b = part_bounds(&lens, 65_536);
            assert_eq!(b.last().copied(), Some(lens.iter().sum::<usize>()));
            let mut prev = 0;
            for &e in &b {
                assert!(e > prev && e - prev <= 65_536, "{lens:?} -> {b:?}");
                prev = e;
            }
        }
    }
}
