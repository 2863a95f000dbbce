//! JSON Lines reader: plain, gzip or zstd; parsed in parallel chunks, one line at a time, so a
//! malformed line costs only that line.

use super::field::FieldPath;
use super::json_row::Selection;
use super::{missing_field_error, Normalizer, Part, RawRow, Sink, Val, FIXED_FIELDS, RESULT_FIELD};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::io::{BufReader, Read};
use std::path::Path;

/// Bytes read per parallel chunk.
const CHUNK: usize = 8 << 20;

/// Opens a possibly compressed file, detecting gzip / zstd by magic bytes (so a mislabelled
/// `.jsonl` that is really gzip still reads) and refusing binary formats under a text name.
pub fn open_text(path: &Path) -> Result<Box<dyn Read + Send>> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::input(path, format!("cannot open the file: {e}")))?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => return Err(Error::input(path, format!("cannot read the file: {e}"))),
        }
    }
    let head = magic[..got].to_vec();
    let file = std::io::Cursor::new(head.clone()).chain(file);
    if head.starts_with(b"PAR1") {
        return Err(Error::input(
            path,
            "this is a Parquet file, but its name says text (JSON Lines/CSV). Rename it to .parquet or pass --format parquet.",
        ));
    }
    if head.starts_with(b"ARROW1") || head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Err(Error::input(path, "this is an Arrow IPC file, but its name says text. Rename it to .arrow or pass --format ipc."));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file))));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec =
            zstd::stream::read::Decoder::new(file).map_err(|e| Error::input(path, format!("cannot start zstd decompression: {e}")))?;
        return Ok(Box::new(dec));
    }
    Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
}

/// The mapped keys in [`RawRow`] order (segments last), for the one-pass parser.
fn selection(norm: &Normalizer) -> Option<Selection> {
    Selection::new(&norm.mapped_columns(), RESULT_FIELD)
}

/// [`parse_line`] through the one-pass parser; None (nothing recorded) when the line needs the
/// general parser: not UTF-8, not valid JSON, or not an object.
fn parse_line_fast<'a>(
    bytes: &'a [u8],
    line_no: u64,
    norm: &Normalizer,
    sel: &Selection,
    fields: &mut Vec<Val<'a>>,
    part: &mut Part,
) -> Option<u16> {
    let line = std::str::from_utf8(bytes).ok()?;
    if !sel.parse_into(line, fields) {
        return None;
    }
    let mut present = 0u16;
    for (bit, i) in [0usize, 1, 2, 3, RESULT_FIELD, 6, 7, 8].into_iter().enumerate() {
        if !matches!(fields[i], Val::Absent) {
            present |= 1 << bit;
        }
    }
    // The segments are read where they are (no vector per line); the fixed fields move out.
    let (fixed, rest) = fields.split_at_mut(FIXED_FIELDS);
    let raw = RawRow::from_fn(|k| std::mem::replace(&mut fixed[k], Val::Absent), rest);
    part.row(norm, line_no, raw, || String::from_utf8_lossy(&bytes[..bytes.len().min(4000)]).into_owned());
    Some(present)
}

/// Parses and validates one line into `part`; for a JSON object, returns which mapped fields it
/// had (bit i for the i-th of id, timestamp, latency, status, result, cpu, memory, net).
fn parse_line<'a>(
    bytes: &'a [u8],
    line_no: u64,
    norm: &Normalizer,
    sel: Option<&Selection>,
    fields: &mut Vec<Val<'a>>,
    part: &mut Part,
) -> Option<u16> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    // A UTF-8 byte-order mark (Windows exports) is not part of the JSON.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let render = || String::from_utf8_lossy(&bytes[..bytes.len().min(4000)]).into_owned();
    if bytes.len() > MAX_LINE_BYTES {
        part.malformed(line_no, too_long(), render);
        return None;
    }
    if let Some(present) = sel.and_then(|sel| parse_line_fast(bytes, line_no, norm, sel, fields, part)) {
        return Some(present);
    }
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            part.malformed(line_no, format!("not valid JSON: {e}"), render);
            return None;
        }
    };
    let Some(obj) = value.as_object() else {
        part.malformed(line_no, "the line is valid JSON but not an object".into(), render);
        return None;
    };
    row_from_object(obj, norm, line_no, part, render)
}

/// Validates one record given as a JSON object (a JSON Lines line) into `part`, following
/// nested field paths; returns which mapped fields it had (bit i for the i-th of id, timestamp,
/// latency, status, result, cpu, memory, net), or None when it is not one of this version's
/// requests (`[input] select`, `[columns] version`).
pub fn row_from_object(
    obj: &serde_json::Map<String, serde_json::Value>,
    norm: &Normalizer,
    line_no: u64,
    part: &mut Part,
    render: impl FnOnce() -> String,
) -> Option<u16> {
    row_from_lookup(|p| p.lookup(obj), norm, line_no, part, render)
}

/// [`row_from_object`] for any record that can look a field path up (a span of a trace export,
/// whose resource and scope are shared by many spans and not copied into each).
pub fn row_from_lookup<'a>(
    get: impl Fn(&FieldPath) -> Option<&'a serde_json::Value>,
    norm: &Normalizer,
    line_no: u64,
    part: &mut Part,
    render: impl FnOnce() -> String,
) -> Option<u16> {
    let get = |k: usize| Val::from_json(norm.paths.get(k).filter(|p| !p.text.is_empty()).and_then(&get));
    // Selection first: a span of another service or version costs a lookup or two.
    let n_select = norm.select.len();
    let mut rest: Vec<Val<'_>> = (FIXED_FIELDS..FIXED_FIELDS + n_select).map(get).collect();
    if !norm.selects(&rest, &get(10), part) {
        return None;
    }
    rest.extend((FIXED_FIELDS + n_select..norm.paths.len()).map(get));
    let mut fields: Vec<Val<'_>> = (0..FIXED_FIELDS).map(get).collect();
    let mut present = 0u16;
    for (bit, k) in [0usize, 1, 2, 3, RESULT_FIELD, 6, 7, 8].into_iter().enumerate() {
        if !matches!(fields[k], Val::Absent) {
            present |= 1 << bit;
        }
    }
    let raw = RawRow::from_fn(|k| std::mem::replace(&mut fields[k], Val::Absent), &rest);
    part.selected_row(norm, line_no, raw, render);
    Some(present)
}

/// Longest line accepted (64 MiB): longer lines are counted as malformed and skipped as they
/// stream past, so one runaway line (a missing newline in a 10 GB export) cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

fn too_long() -> String {
    format!("the line is longer than {} MiB; a log line that long is not a request record", MAX_LINE_BYTES >> 20)
}

fn read_error(path: &Path, line_no: u64, e: std::io::Error) -> Error {
    Error::input(
        path,
        format!("reading stopped after line {line_no}: {e}. The file may be truncated or its compression corrupt; re-export it."),
    )
}

/// Reads one JSON Lines file into the sink.
pub fn read(path: &Path, norm: &Normalizer, sink: &mut Sink) -> Result<()> {
    let mut reader = open_text(path)?;
    if let Some(rows) = crate::memory::text_rows(path) {
        sink.reserve_for_text(rows);
    }
    let file = path.display().to_string();
    // The file is read straight into this buffer (no intermediate copy): bytes [0, filled) hold
    // data, the rest is room for the next read. It doubles when one line outgrows it.
    let mut buf: Vec<u8> = vec![0; CHUNK + (1 << 20)];
    let mut filled = 0usize;
    let mut line_no: u64 = 0;
    let mut present_any = 0u16;
    let mut parsed_rows = 0u64;
    let mut eof = false;
    let mut first_record: Option<serde_json::Map<String, serde_json::Value>> = None;
    let sel = selection(norm);
    let mut pool: Vec<Part> = Vec::new();
    while !eof {
        // Fill the buffer up to CHUNK bytes (or EOF), and past that until it holds a complete
        // line: a single line may be longer than CHUNK (a 10 MB result), but not longer than
        // MAX_LINE_BYTES: such a line is counted as malformed and skipped without holding it.
        let mut has_newline = memchr::memchr(b'\n', &buf[..filled]).is_some();
        while filled < CHUNK || !has_newline {
            if !has_newline && filled > MAX_LINE_BYTES {
                line_no += 1;
                let mut part = sink.part();
                let head = String::from_utf8_lossy(&buf[..2000.min(filled)]).into_owned();
                part.malformed(line_no, too_long(), || head);
                sink.absorb(&file, part);
                filled = 0;
                // Discard the rest of the line.
                let mut chunk = [0u8; 1 << 16];
                loop {
                    match reader.read(&mut chunk) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(k) => {
                            if let Some(p) = memchr::memchr(b'\n', &chunk[..k]) {
                                buf[..k - p - 1].copy_from_slice(&chunk[p + 1..k]);
                                filled = k - p - 1;
                                break;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(read_error(path, line_no, e)),
                    }
                }
                has_newline = memchr::memchr(b'\n', &buf[..filled]).is_some();
                if eof {
                    break;
                }
                continue;
            }
            if filled == buf.len() {
                // One line longer than the buffer: make room for the rest of it.
                buf.resize(2 * buf.len(), 0);
            }
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(k) => {
                    has_newline |= memchr::memchr(b'\n', &buf[filled..filled + k]).is_some();
                    filled += k;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(path, line_no, e)),
            }
        }
        let cut = if eof { filled } else { memchr::memrchr(b'\n', &buf[..filled]).map_or(filled, |p| p + 1) };
        let body = &buf[..cut];
        // Lines without their '\n'; a last line without one (at EOF) counts too.
        let mut lines: Vec<&[u8]> = Vec::with_capacity(body.len() / 128);
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', body) {
            lines.push(&body[start..nl]);
            start = nl + 1;
        }
        if start < body.len() {
            lines.push(&body[start..]);
        }
        let lines = &lines[..];
        // Parts of 4,096 lines, validated in parallel and merged in order.
        let base = line_no;
        // Parts are reused from chunk to chunk, so their columns are allocated once.
        let n_parts = lines.len().div_ceil(4096);
        while pool.len() < n_parts {
            pool.push(sink.part_with_capacity(4096));
        }
        let parts = &mut pool[..n_parts];
        for part in parts.iter_mut() {
            sink.recycle(part);
        }
        let results: Vec<(u16, u64)> = lines
            .par_chunks(4096)
            .zip(parts.par_iter_mut())
            .enumerate()
            .map(|(k, (ls, part))| {
                let mut present = 0u16;
                let mut rows = 0u64;
                let mut fields = Vec::new();
                for (off, l) in ls.iter().enumerate() {
                    if let Some(p) = parse_line(l, base + (k * 4096 + off) as u64 + 1, norm, sel.as_ref(), &mut fields, part) {
                        present |= p;
                        rows += 1;
                    }
                }
                (present, rows)
            })
            .collect();
        line_no += lines.len() as u64;
        if first_record.is_none() {
            if let Some(serde_json::Value::Object(o)) = lines.iter().find_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok()) {
                first_record = Some(o);
            }
        }
        for (part, (present, rows)) in parts.iter_mut().zip(results) {
            present_any |= present;
            parsed_rows += rows;
            sink.absorb_reuse(&file, part);
        }
        sink.share_learned();
        buf.copy_within(cut..filled, 0);
        filled -= cut;
    }
    if parsed_rows > 0 {
        for (i, (col, key)) in norm.required().iter().enumerate() {
            if present_any & (1 << i) == 0 {
                return Err(missing_field_error(path, col, key, first_record.as_ref()));
            }
        }
    }
    sink.requests.has_result |= present_any & (1 << 4) != 0;
    sink.requests.has_cpu |= present_any & (1 << 5) != 0;
    sink.requests.has_memory |= present_any & (1 << 6) != 0;
    sink.requests.has_net |= present_any & (1 << 7) != 0;
    Ok(())
}
