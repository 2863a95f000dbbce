//! Parquet (the `parquet` crate's Arrow reader) and Arrow IPC (`arrow-ipc`). Only the mapped
//! columns are decoded (projection). A file is cut into pieces (along row groups for Parquet);
//! pieces are decoded and validated in parallel by the shared [`Normalizer`], a wave at a time,
//! and merged in file order, so memory holds one wave of decoded columns, not the file.

use super::{missing_column_error, Format, Normalizer, Part, RawRow, Sink, Val, FIXED_FIELDS};
use crate::error::{Error, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal32Type, Decimal64Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Float64Array, Int32Array, Int64Array, LargeBinaryArray, LargeStringArray,
    RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;
use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

mod fast;

/// Most rows in a Parquet piece, the unit of parallel decoding and validation. Pieces follow
/// row groups: a row group up to this size is one piece (cutting one inside decodes the page at
/// each cut twice), smaller ones are grouped, larger ones cut evenly.
const PIECE: usize = 1 << 18;
/// Most rows in an Arrow IPC piece (its batches are sliced without copying).
const IPC_PIECE: usize = 1 << 16;
/// Rows of a Parquet record batch: a piece is decoded and validated a batch at a time.
const BATCH: usize = 1 << 15;
/// Rows decoded and validated at once, in pieces: memory holds one wave of decoded columns.
const WAVE_ROWS: usize = 1 << 19;

/// Consecutive pieces of about [`WAVE_ROWS`] rows in all (at least one piece, and at least two
/// where there are two, so both cores work).
fn waves<T>(pieces: &[T], wave_rows: usize, rows: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut sum) = (0, 0);
    for (k, p) in pieces.iter().enumerate() {
        sum += rows(p);
        if sum >= wave_rows && k + 1 - start >= 2 {
            out.push(&pieces[start..=k]);
            (start, sum) = (k + 1, 0);
        }
    }
    if start < pieces.len() {
        out.push(&pieces[start..]);
    }
    out
}

/// One column of one record batch, typed for row access. Holds its arrays (reference-counted
/// buffers, so making one copies no values; narrow integers, `f32` and decimals are widened).
enum ColData {
    Absent,
    Null,
    Str(StringArray),
    LargeStr(LargeStringArray),
    ViewStr(StringViewArray),
    /// Binary columns holding text (Parquet BYTE_ARRAY without a UTF8 annotation, as older
    /// Hive and Impala write strings); invalid UTF-8 is replaced, not dropped.
    Bin(BinaryArray),
    LargeBin(LargeBinaryArray),
    ViewBin(BinaryViewArray),
    I64(Int64Array),
    F64(Float64Array),
    Bool(BooleanArray),
    /// Epoch values, and the multiplier and divisor to milliseconds.
    Ms(Int64Array, i64, i64),
    /// Days since the epoch.
    Days(Int32Array),
    /// Dictionary with 32-bit keys (how the Parquet reader returns dictionary-encoded text):
    /// the keys array, whose nulls are the column's, into the values.
    DictI32(Int32Array, Box<ColData>),
    /// Dictionary-encoded with other keys: each row's key (None where the row is null).
    Dict(Vec<Option<usize>>, Box<ColData>),
}

fn text(s: &str) -> Val<'_> {
    if super::value::trim(s).is_empty() {
        Val::Null
    } else {
        Val::Str(Cow::Borrowed(s))
    }
}

fn bytes(b: &[u8]) -> Val<'_> {
    match String::from_utf8_lossy(b) {
        Cow::Borrowed(s) => text(s),
        Cow::Owned(s) if super::value::trim(&s).is_empty() => Val::Null,
        Cow::Owned(s) => Val::Str(Cow::Owned(s)),
    }
}

impl ColData {
    fn val(&self, i: usize) -> Val<'_> {
        let v = match self {
            ColData::Absent => return Val::Absent,
            ColData::Null => None,
            ColData::Str(a) => (!a.is_null(i)).then(|| text(a.value(i))),
            ColData::LargeStr(a) => (!a.is_null(i)).then(|| text(a.value(i))),
            ColData::ViewStr(a) => (!a.is_null(i)).then(|| text(a.value(i))),
            ColData::Bin(a) => (!a.is_null(i)).then(|| bytes(a.value(i))),
            ColData::LargeBin(a) => (!a.is_null(i)).then(|| bytes(a.value(i))),
            ColData::ViewBin(a) => (!a.is_null(i)).then(|| bytes(a.value(i))),
            ColData::I64(a) => (!a.is_null(i)).then(|| Val::I64(a.value(i))),
            ColData::F64(a) => (!a.is_null(i)).then(|| Val::F64(a.value(i))),
            ColData::Bool(a) => (!a.is_null(i)).then(|| Val::Bool(a.value(i))),
            ColData::Ms(a, mul, div) => (!a.is_null(i)).then(|| Val::EpochMs(a.value(i).saturating_mul(*mul).div_euclid(*div))),
            ColData::Days(a) => (!a.is_null(i)).then(|| Val::EpochMs(a.value(i) as i64 * 86_400_000)),
            ColData::DictI32(keys, values) => (!keys.is_null(i)).then(|| values.val(keys.value(i) as usize)),
            ColData::Dict(keys, values) => keys[i].map(|k| values.val(k)),
        };
        v.unwrap_or(Val::Null)
    }
}

/// Decimal integers to `f64`: the quotient of two exact doubles is the double nearest the
/// decimal value (for unscaled values below 2^53).
fn decimal(v: f64, scale: i8) -> f64 {
    if scale >= 0 {
        v / 10f64.powi(scale as i32)
    } else {
        v * 10f64.powi(-(scale as i32))
    }
}

/// Typed access to one column; rejects types shadowgate cannot read.
fn view(path: &Path, name: &str, c: &ArrayRef) -> Result<ColData> {
    let ms = |unit: &TimeUnit| match unit {
        TimeUnit::Second => (1000, 1),
        TimeUnit::Millisecond => (1, 1),
        TimeUnit::Microsecond => (1, 1_000),
        TimeUnit::Nanosecond => (1, 1_000_000),
    };
    Ok(match c.data_type() {
        DataType::Null => ColData::Null,
        DataType::Utf8 => ColData::Str(c.as_string::<i32>().clone()),
        DataType::LargeUtf8 => ColData::LargeStr(c.as_string::<i64>().clone()),
        DataType::Utf8View => ColData::ViewStr(c.as_string_view().clone()),
        DataType::Binary => ColData::Bin(c.as_binary::<i32>().clone()),
        DataType::LargeBinary => ColData::LargeBin(c.as_binary::<i64>().clone()),
        DataType::BinaryView => ColData::ViewBin(c.as_binary_view().clone()),
        DataType::Boolean => ColData::Bool(c.as_boolean().clone()),
        DataType::Int64 => ColData::I64(c.as_primitive::<Int64Type>().clone()),
        DataType::Int32 => ColData::I64(c.as_primitive::<Int32Type>().unary(|v| v as i64)),
        DataType::Int16 => ColData::I64(c.as_primitive::<Int16Type>().unary(|v| v as i64)),
        DataType::Int8 => ColData::I64(c.as_primitive::<Int8Type>().unary(|v| v as i64)),
        DataType::UInt32 => ColData::I64(c.as_primitive::<UInt32Type>().unary(|v| v as i64)),
        DataType::UInt16 => ColData::I64(c.as_primitive::<UInt16Type>().unary(|v| v as i64)),
        DataType::UInt8 => ColData::I64(c.as_primitive::<UInt8Type>().unary(|v| v as i64)),
        // Beyond i64: null (the row is then rejected or counted like any missing value).
        DataType::UInt64 => ColData::I64(c.as_primitive::<UInt64Type>().unary_opt(|v| i64::try_from(v).ok())),
        DataType::Float64 => ColData::F64(c.as_primitive::<Float64Type>().clone()),
        DataType::Float32 => ColData::F64(c.as_primitive::<Float32Type>().unary(|v| v as f64)),
        DataType::Decimal128(_, s) => ColData::F64(c.as_primitive::<Decimal128Type>().unary(|v| decimal(v as f64, *s))),
        DataType::Decimal64(_, s) => ColData::F64(c.as_primitive::<Decimal64Type>().unary(|v| decimal(v as f64, *s))),
        DataType::Decimal32(_, s) => ColData::F64(c.as_primitive::<Decimal32Type>().unary(|v| decimal(v as f64, *s))),
        DataType::Timestamp(unit, _) => {
            let (mul, div) = ms(unit);
            let values = match unit {
                TimeUnit::Second => c.as_primitive::<TimestampSecondType>().reinterpret_cast::<Int64Type>(),
                TimeUnit::Millisecond => c.as_primitive::<TimestampMillisecondType>().reinterpret_cast::<Int64Type>(),
                TimeUnit::Microsecond => c.as_primitive::<TimestampMicrosecondType>().reinterpret_cast::<Int64Type>(),
                TimeUnit::Nanosecond => c.as_primitive::<TimestampNanosecondType>().reinterpret_cast::<Int64Type>(),
            };
            ColData::Ms(values, mul, div)
        }
        DataType::Date32 => ColData::Days(c.as_primitive::<Date32Type>().reinterpret_cast::<Int32Type>()),
        DataType::Date64 => ColData::Ms(c.as_primitive::<Date64Type>().reinterpret_cast::<Int64Type>(), 1, 1),
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let d = c.as_dictionary::<Int32Type>();
            ColData::DictI32(d.keys().clone(), Box::new(view(path, name, d.values())?))
        }
        DataType::Dictionary(..) => {
            let Some(d) = c.as_any_dictionary_opt() else {
                return Err(unreadable(path, name, c.data_type()));
            };
            let keys = d.normalized_keys().into_iter().enumerate().map(|(i, k)| (!c.is_null(i)).then_some(k)).collect();
            ColData::Dict(keys, Box::new(view(path, name, d.values())?))
        }
        other => return Err(unreadable(path, name, other)),
    })
}

fn unreadable(path: &Path, name: &str, t: &DataType) -> Error {
    Error::input(
        path,
        format!(
            "column `{name}` has type {t}, which shadowgate cannot read; export it as a string (results as JSON text), a number or a timestamp."
        ),
    )
}

fn read_err(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
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

/// Reads one Parquet or Arrow IPC file into the sink.
pub fn read(path: &Path, format: Format, norm: &Normalizer, sink: &mut Sink) -> Result<()> {
    check_magic(path, format)?;
    match format {
        Format::Parquet => read_parquet(path, norm, sink, PIECE, WAVE_ROWS, BATCH),
        _ => read_ipc(path, norm, sink),
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::input(path, format!("cannot open the file: {e}")))
}

/// Every required column is in the file (`names`), or a clear error.
fn check_columns(path: &Path, names: &[String], norm: &Normalizer) -> Result<()> {
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
            return Err(missing_column_error(path, col, key, names));
        }
    }
    Ok(())
}

/// What every piece of one file shares.
struct FileCtx<'a> {
    path: &'a Path,
    /// Its display form, for rejected rows.
    file: String,
    /// The mapped column names in [`RawRow`] order, segments last.
    wanted: Vec<&'a String>,
    norm: &'a Normalizer,
    /// Validate a column at a time where [`fast::applies`] (false: every row by the row path,
    /// for the tests that compare the two).
    columnar: bool,
}

impl FileCtx<'_> {
    /// Marks the optional columns the file has (also when it has no rows).
    fn mark_columns(&self, names: &[String], sink: &mut Sink) {
        let has = |k: usize| names.contains(self.wanted[k]);
        sink.requests.has_result |= has(5);
        sink.requests.has_cpu |= has(6);
        sink.requests.has_memory |= has(7);
        sink.requests.has_net |= has(8);
    }

    /// Validates the rows of `batches` (which start at row `first` of the file, 0-based) into
    /// the part.
    fn validate(&self, batches: &[RecordBatch], first: usize, part: &mut Part) -> Result<()> {
        let mut at = first;
        for b in batches {
            let mut data: Vec<ColData> = Vec::with_capacity(self.wanted.len());
            for w in &self.wanted {
                data.push(match b.column_by_name(w) {
                    Some(c) => view(self.path, w, c)?,
                    None => ColData::Absent,
                });
            }
            let mut rest = Vec::with_capacity(data.len() - FIXED_FIELDS);
            let mut row_path = |i: usize, part: &mut Part| {
                rest.clear();
                rest.extend(data[FIXED_FIELDS..].iter().map(|d| d.val(i)));
                let raw = RawRow::from_fn(|k| data[k].val(i), &rest);
                part.row(self.norm, (at + i) as u64 + 1, raw, || render_row(&self.wanted, &data, i));
            };
            if self.columnar && fast::applies(self.norm) {
                fast::validate(self.norm, &data, b.num_rows(), part, row_path);
            } else {
                (0..b.num_rows()).for_each(|i| row_path(i, part));
            }
            at += b.num_rows();
        }
        Ok(())
    }

    /// Runs `work` on each piece of a wave in parallel, each into its own part, and merges the
    /// parts in order. The parts are reused from wave to wave.
    fn wave<T: Sync>(
        &self,
        pieces: &[T],
        sink: &mut Sink,
        pool: &mut Vec<Part>,
        work: impl Fn(&T, &mut Part) -> Result<()> + Sync,
    ) -> Result<()> {
        while pool.len() < pieces.len() {
            let mut part = sink.part_with_capacity(IPC_PIECE);
            // A batch's result strings live until the part forgets their addresses (IPC: the
            // piece's batches, until the part is absorbed; Parquet: each decoded batch, until
            // it is validated), so results may be cached by address.
            part.stable_strings = true;
            pool.push(part);
        }
        let parts = &mut pool[..pieces.len()];
        for part in parts.iter_mut() {
            sink.recycle(part);
        }
        pieces.par_iter().zip(parts.par_iter_mut()).map(|(p, part)| work(p, part)).collect::<Result<()>>()?;
        for part in parts.iter_mut() {
            sink.absorb_reuse(&self.file, part);
        }
        sink.share_learned();
        Ok(())
    }
}

/// Reads a Parquet file in pieces of at most `piece` rows, waves of about `wave_rows`, each piece
/// decoded `batch` rows at a time.
fn read_parquet(path: &Path, norm: &Normalizer, sink: &mut Sink, piece: usize, wave_rows: usize, batch: usize) -> Result<()> {
    let meta =
        ArrowReaderMetadata::load(&open(path)?, ArrowReaderOptions::new()).map_err(|e| read_err(path, "cannot read the footer", e))?;
    let names: Vec<String> = meta.schema().fields().iter().map(|f| f.name().clone()).collect();
    check_columns(path, &names, norm)?;
    let ctx = FileCtx { path, file: path.display().to_string(), wanted: norm.mapped_columns(), norm, columnar: true };
    let meta = match dictionary_schema(&meta, &ctx.wanted) {
        Some(schema) => ArrowReaderMetadata::try_new(meta.metadata().clone(), ArrowReaderOptions::new().with_schema(schema))
            .map_err(|e| read_err(path, "cannot read the footer", e))?,
        None => meta,
    };
    ctx.mark_columns(&names, sink);
    let mask = ProjectionMask::roots(meta.parquet_schema(), picked(&names, &ctx.wanted));
    let groups: Vec<usize> = meta.metadata().row_groups().iter().map(|g| g.num_rows().max(0) as usize).collect();
    let starts: Vec<usize> = groups.iter().scan(0, |at, &n| Some(std::mem::replace(at, *at + n))).collect();
    // The row count is in the footer: reserve the columns once instead of growing them (growth
    // re-copies and re-faults every page of a multi-GB column).
    sink.requests.reserve(groups.iter().sum());
    let bounds = part_bounds(&groups, piece);
    let pieces: Vec<(usize, usize)> =
        bounds.iter().scan(0, |prev, &b| Some((std::mem::replace(prev, b), b))).filter(|(a, b)| a < b).collect();
    // Each piece opens the file and decodes its rows: the row groups it overlaps, with the
    // rows before and after it skipped (whole pages are skipped without decompressing them).
    let decode = |&(s, e): &(usize, usize), part: &mut Part| -> Result<()> {
        let overlapping: Vec<usize> = (0..groups.len()).filter(|&g| starts[g] < e && starts[g] + groups[g] > s).collect();
        let first = overlapping.first().map_or(s, |&g| starts[g]);
        let mut selection = Vec::with_capacity(2);
        if s > first {
            selection.push(RowSelector::skip(s - first));
        }
        selection.push(RowSelector::select(e - s));
        let bad = |e: &dyn std::fmt::Display| read_err(path, "cannot read the data", e);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(open(path)?, meta.clone())
            .with_projection(mask.clone())
            .with_row_groups(overlapping)
            .with_row_selection(RowSelection::from(selection))
            .with_batch_size(batch.min(e - s))
            .build()
            .map_err(|e| bad(&e))?;
        // Each batch is validated as soon as it is decoded, while it is in cache, and dropped,
        // so its buffers are reused by the next one instead of a piece's worth of fresh pages.
        let mut at = s;
        for b in reader {
            let b = b.map_err(|e| bad(&e))?;
            ctx.validate(std::slice::from_ref(&b), at, part)?;
            at += b.num_rows();
            // The batch's strings are freed with it: results found by address (stable
            // strings) must not be looked up at those addresses again.
            part.forget_addresses();
        }
        Ok(())
    };
    let mut pool: Vec<Part> = Vec::new();
    for wave in waves(&pieces, wave_rows, |(s, e)| e - s) {
        ctx.wave(wave, sink, &mut pool, decode)?;
    }
    Ok(())
}

/// The file's Arrow schema with its dictionary-encoded text columns read as Arrow dictionaries,
/// or None if there are none. Results, status, error codes and segments repeat a lot and writers
/// dictionary-encode them; decoded as plain strings, every row's text (~150 bytes of JSON for a
/// result) is copied out of the dictionary page, and one wave of them is hundreds of MB at 10M
/// rows. As a dictionary, each row is a 4-byte key into the page's values. Only a column whose
/// every row group has a dictionary page qualifies (a chunk the writer fell back to plain
/// encoding is re-hashed into a dictionary by the reader, which costs more than it saves), and
/// never the correlation id, which is unique per row. Files whose Arrow schema asks for string
/// views or large strings (Polars writes views) qualify too: the dictionary is what is stored.
fn dictionary_schema(meta: &ArrowReaderMetadata, wanted: &[&String]) -> Option<arrow_schema::SchemaRef> {
    let pq = meta.metadata();
    let leaf = |name: &str| pq.file_metadata().schema_descr().columns().iter().position(|c| c.path().parts() == [name.to_string()]);
    let dictionary_encoded =
        |k: usize| pq.row_groups().iter().all(|g| g.column(k).dictionary_page_offset().is_some()) && pq.num_row_groups() > 0;
    let mut changed = false;
    let fields: Vec<arrow_schema::FieldRef> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let eligible = matches!(f.data_type(), DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
                && wanted.first().is_some_and(|id| *id != f.name())
                && wanted.contains(&f.name())
                && leaf(f.name()).is_some_and(dictionary_encoded);
            if !eligible {
                return f.clone();
            }
            changed = true;
            Arc::new(f.as_ref().clone().with_data_type(DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))))
        })
        .collect();
    changed.then(|| Arc::new(arrow_schema::Schema::new_with_metadata(fields, meta.schema().metadata().clone())))
}

/// Indices of the file's columns (`names`, in file order) that are wanted: the projection.
fn picked(names: &[String], wanted: &[&String]) -> Vec<usize> {
    (0..names.len()).filter(|&i| wanted.contains(&&names[i])).collect()
}

fn ipc_reader(path: &Path, projection: Option<Vec<usize>>) -> Result<arrow_ipc::reader::FileReader<std::io::BufReader<File>>> {
    arrow_ipc::reader::FileReader::try_new(std::io::BufReader::new(open(path)?), projection)
        .map_err(|e| read_err(path, "cannot read the Arrow IPC footer", e))
}

/// Arrow IPC: batches are read in order (reading is mostly copying), cut into pieces of at most
/// [`IPC_PIECE`] rows, and validated a wave at a time in parallel.
fn read_ipc(path: &Path, norm: &Normalizer, sink: &mut Sink) -> Result<()> {
    let names: Vec<String> = ipc_reader(path, None)?.schema().fields().iter().map(|f| f.name().clone()).collect();
    check_columns(path, &names, norm)?;
    let ctx = FileCtx { path, file: path.display().to_string(), wanted: norm.mapped_columns(), norm, columnar: true };
    ctx.mark_columns(&names, sink);
    let reader = ipc_reader(path, Some(picked(&names, &ctx.wanted)))?;
    let mut pool: Vec<Part> = Vec::new();
    let mut wave: Vec<(RecordBatch, usize)> = Vec::new();
    let mut at = 0usize;
    let run = |wave: &mut Vec<(RecordBatch, usize)>, sink: &mut Sink, pool: &mut Vec<Part>| -> Result<()> {
        ctx.wave(wave, sink, pool, |(b, first), part| ctx.validate(std::slice::from_ref(b), *first, part))?;
        wave.clear();
        Ok(())
    };
    for batch in reader {
        let batch = batch.map_err(|e| read_err(path, "cannot read the data", e))?;
        let mut off = 0;
        while off < batch.num_rows() {
            let len = IPC_PIECE.min(batch.num_rows() - off);
            wave.push((batch.slice(off, len), at + off));
            off += len;
            if wave.len() * IPC_PIECE >= WAVE_ROWS {
                run(&mut wave, sink, &mut pool)?;
            }
        }
        at += batch.num_rows();
    }
    if !wave.is_empty() {
        run(&mut wave, sink, &mut pool)?;
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

fn render_row(names: &[&String], data: &[ColData], i: usize) -> String {
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

/// Selected columns of a Parquet/IPC file, for generic row access.
pub struct GenericRows {
    /// Wanted columns that the file has.
    pub names: Vec<String>,
    /// Every column of the file (for error messages).
    pub all_names: Vec<String>,
    pub height: usize,
    /// First row of each batch, and the batch's columns in `names` order.
    batches: Vec<(usize, Vec<ColData>)>,
}

impl GenericRows {
    pub fn get(&self, name: &str, i: usize) -> Val<'_> {
        let Some(c) = self.names.iter().position(|n| n == name) else {
            return Val::Absent;
        };
        let b = self.batches.partition_point(|(first, _)| *first <= i).saturating_sub(1);
        match self.batches.get(b) {
            Some((first, cols)) => cols[c].val(i - first),
            None => Val::Absent,
        }
    }
}

/// Reads the `wanted` columns that exist in a Parquet or IPC file.
pub fn read_generic(path: &Path, format: Format, wanted: &[&String]) -> Result<GenericRows> {
    check_magic(path, format)?;
    let (all_names, batches): (Vec<String>, Box<dyn Iterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>>) =
        match format {
            Format::Parquet => {
                let builder =
                    ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(|e| read_err(path, "cannot read the footer", e))?;
                let all: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
                let mask = ProjectionMask::roots(builder.parquet_schema(), picked(&all, wanted));
                let reader = builder.with_projection(mask).build().map_err(|e| read_err(path, "cannot read the data", e))?;
                (all, Box::new(reader))
            }
            _ => {
                let all: Vec<String> = ipc_reader(path, None)?.schema().fields().iter().map(|f| f.name().clone()).collect();
                let projection = picked(&all, wanted);
                (all, Box::new(ipc_reader(path, Some(projection))?))
            }
        };
    let mut names: Vec<String> = Vec::new();
    for w in wanted {
        if all_names.contains(w) && !names.contains(w) {
            names.push((*w).clone());
        }
    }
    let mut out = Vec::new();
    let mut height = 0;
    for b in batches {
        let b = b.map_err(|e| read_err(path, "cannot read the data", e))?;
        let mut cols = Vec::with_capacity(names.len());
        for n in &names {
            cols.push(match b.column_by_name(n) {
                Some(c) => view(path, n, c)?,
                None => ColData::Absent,
            });
        }
        out.push((height, cols));
        height += b.num_rows();
    }
    Ok(GenericRows { names, all_names, height, batches: out })
}

#[cfg(test)]
mod tests {
    use super::{part_bounds, read_parquet, waves};
    use crate::ingest::{Normalizer, Sink};
    use crate::policy::{Columns, Input};
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;

    #[test]
    fn waves_hold_about_the_rows_asked_and_two_pieces_at_least() {
        let sizes = |w: Vec<&[usize]>| w.iter().map(|w| w.len()).collect::<Vec<_>>();
        assert_eq!(sizes(waves(&[5, 5, 5, 5, 5], 10, |&r| r)), vec![2, 2, 1]);
        assert_eq!(sizes(waves(&[50, 1, 1, 50], 10, |&r| r)), vec![2, 2]);
        assert_eq!(sizes(waves(&[3, 3, 3], 100, |&r| r)), vec![3]);
        assert_eq!(sizes(waves(&[7], 1, |&r| r)), vec![1]);
        assert!(waves(&[] as &[usize], 10, |&r| r).is_empty());
    }

    /// A file of `n` rows in row groups of `group` rows, with a bad latency every 13th row and
    /// a missing id every 29th; read with pieces that group, cut and straddle row groups, and
    /// batches smaller than pieces, it gives the same rows, in order, and the same rejections,
    /// with file line numbers. Results repeat (every third row) or are unique, dictionary-encoded
    /// or plain: each row keeps its own, though earlier batches' buffers are freed and reused
    /// while the part finds results by address.
    #[test]
    fn pieces_cut_anywhere_read_every_row_once_in_order() {
        for dictionary in [true, false] {
            pieces_cut_anywhere(dictionary);
        }
    }

    fn pieces_cut_anywhere(dictionary: bool) {
        let n = 1000usize;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let result = |i: usize| if i % 3 == 0 { r#"{"valid":true}"#.to_string() } else { format!(r#"{{"n":{i}}}"#) };
        let ids: Vec<Option<String>> = (0..n).map(|i| (i % 29 != 5).then(|| format!("id-{i}"))).collect();
        let lat: Vec<f64> = (0..n).map(|i| if i % 13 == 4 { -1.0 } else { i as f64 }).collect();
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("correlation_id", Arc::new(StringArray::from(ids.clone()))),
            ("timestamp", Arc::new(TimestampMicrosecondArray::from_iter_values((0..n).map(|i| 1_790_000_000_000_000 + i as i64 * 1000)))),
            ("latency_ms", Arc::new(Float64Array::from(lat.clone()))),
            ("status", Arc::new(StringArray::from_iter_values((0..n).map(|_| "ok")))),
            ("result", Arc::new(StringArray::from_iter_values((0..n).map(result)))),
        ];
        let batch = RecordBatch::try_from_iter(cols).unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(97))
            .set_column_dictionary_enabled("result".into(), dictionary)
            .build();
        let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let norm = Normalizer::new(&Columns::default(), &Input::default(), &[], "v1");
        let expect: Vec<usize> = (0..n).filter(|i| i % 13 != 4 && i % 29 != 5).collect();
        for (piece, wave, batch) in [(1000, 1000, 1000), (97, 200, 10), (50, 120, 7), (130, 260, 33), (7, 1, 2), (1, 10, 1), (300, 300, 64)]
        {
            let mut sink = Sink::new("v1", &[], 10_000);
            read_parquet(&path, &norm, &mut sink, piece, wave, batch).unwrap();
            let r = &sink.requests;
            let got: Vec<usize> = (0..r.len()).map(|k| r.id.get(k).trim_start_matches("id-").parse().unwrap()).collect();
            assert_eq!(got, expect, "piece {piece}, wave {wave}, batch {batch}");
            assert!(expect.iter().enumerate().all(|(k, &i)| r.result.get(k) == Some(result(i).as_str())), "batch {batch}");
            assert!(expect.iter().enumerate().all(|(k, &i)| r.latency_ms[k] == i as f64 && r.ts_ms[k] == 1_790_000_000_000 + i as i64));
            assert_eq!(sink.stats.rows_read, n as u64);
            let mut lines: Vec<u64> = sink.rejected.iter().map(|x| x.line).collect();
            lines.sort_unstable();
            let want: Vec<u64> = (0..n).filter(|i| i % 13 == 4 || i % 29 == 5).map(|i| i as u64 + 1).collect();
            assert_eq!(lines, want, "piece {piece}");
        }
    }

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
