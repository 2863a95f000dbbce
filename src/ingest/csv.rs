//! CSV/TSV reader (the `csv` crate): exact line numbers, a bad record costs only that record,
//! delimiter sniffed from the header (`,`, `;`, tab or `|`).

use super::jsonl::open_text;
use super::{missing_column_error, Normalizer, Part, RawRow, Sink, Val};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

const BATCH: usize = 65_536;

fn sniff_delimiter(header: &[u8], path: &Path) -> u8 {
    if path.to_string_lossy().to_ascii_lowercase().contains(".tsv") {
        return b'\t';
    }
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    [b',', b';', b'\t', b'|'].into_iter().max_by_key(|c| (count(*c), *c == b',')).unwrap_or(b',')
}

/// Reads one CSV file into the sink.
pub fn read(path: &Path, norm: &Normalizer, sink: &mut Sink) -> Result<()> {
    let mut input = BufReader::new(open_text(path)?);
    // Read the header line to sniff the delimiter, then hand it back to the CSV reader.
    let mut header_line = Vec::new();
    input.read_until(b'\n', &mut header_line).map_err(|e| Error::input(path, format!("cannot read the file: {e}")))?;
    let delimiter = sniff_delimiter(&header_line, path);
    let reader: Box<dyn Read> = Box::new(std::io::Cursor::new(header_line).chain(input));
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(reader);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim_start_matches('\u{feff}').trim().to_string()).collect(),
        Err(e) => return Err(Error::input(path, format!("cannot read the CSV header: {e}"))),
    };
    if headers.iter().all(|h| h.is_empty()) {
        return Ok(());
    }
    let idx = |name: &str| headers.iter().position(|h| h == name);
    for (col, key) in norm.required() {
        if idx(col).is_none() {
            let mut err = missing_column_error(path, col, key, &headers);
            if headers.len() == 1 {
                if let Error::Input { message, .. } = &mut err {
                    message.push_str(" The header has a single column: is the delimiter something other than , ; tab or |?");
                }
            }
            return Err(err);
        }
    }
    let c = &norm.columns;
    let cols = Cols {
        id: idx(&c.correlation_id),
        ts: idx(&c.timestamp),
        latency: idx(&c.latency_ms),
        status: idx(&c.status),
        error_code: idx(&c.error_code),
        result: idx(&c.result),
        cpu: idx(&c.cpu_ms),
        memory: idx(&c.memory_mb),
        net: idx(&c.net_bytes),
        segments: norm.segment_names.iter().map(|s| idx(s)).collect(),
    };
    sink.requests.has_result |= cols.result.is_some();
    sink.requests.has_cpu |= cols.cpu.is_some();
    sink.requests.has_memory |= cols.memory.is_some();
    sink.requests.has_net |= cols.net.is_some();
    let file = path.display().to_string();
    let width = headers.len();
    let mut batch: Vec<(u64, Result<csv::StringRecord, String>)> = Vec::with_capacity(BATCH);
    let mut record = csv::ByteRecord::new();
    loop {
        let more = match rdr.read_byte_record(&mut record) {
            Ok(more) => {
                if more {
                    let line = record.position().map_or(0, |p| p.line());
                    let item = if record.len() != width {
                        Err(format!("{} fields where the header has {width}", record.len()))
                    } else {
                        csv::StringRecord::from_byte_record(record.clone()).map_err(|_| "not valid UTF-8".to_string())
                    };
                    batch.push((line, item));
                }
                more
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(Error::input(
                        path,
                        format!("reading stopped near line {line}: {e}. The file may be truncated; re-export it."),
                    ));
                }
                batch.push((line, Err(e.to_string())));
                true
            }
        };
        if batch.len() >= BATCH || (!more && !batch.is_empty()) {
            flush(&mut batch, &cols, norm, sink, &file);
        }
        if !more {
            break;
        }
    }
    Ok(())
}

struct Cols {
    id: Option<usize>,
    ts: Option<usize>,
    latency: Option<usize>,
    status: Option<usize>,
    error_code: Option<usize>,
    result: Option<usize>,
    cpu: Option<usize>,
    memory: Option<usize>,
    net: Option<usize>,
    segments: Vec<Option<usize>>,
}

fn cell<'a>(rec: &'a csv::StringRecord, i: Option<usize>) -> Val<'a> {
    match i.and_then(|i| rec.get(i)) {
        None => Val::Absent,
        Some(s) if s.trim().is_empty() => Val::Null,
        Some(s) => Val::Str(Cow::Borrowed(s)),
    }
}

fn flush(batch: &mut Vec<(u64, Result<csv::StringRecord, String>)>, cols: &Cols, norm: &Normalizer, sink: &mut Sink, file: &str) {
    let render = |rec: &Result<csv::StringRecord, String>| match rec {
        Ok(r) => r.iter().collect::<Vec<_>>().join(","),
        Err(_) => String::new(),
    };
    let parts: Vec<Part> = batch
        .par_chunks(4096)
        .map(|records| {
            let mut part = sink.part();
            for (line, rec) in records {
                match rec {
                    Ok(r) => {
                        let segments: Vec<Val<'_>> = cols.segments.iter().map(|i| cell(r, *i)).collect();
                        let raw = RawRow {
                            id: cell(r, cols.id),
                            ts: cell(r, cols.ts),
                            latency: cell(r, cols.latency),
                            status: cell(r, cols.status),
                            error_code: cell(r, cols.error_code),
                            result: cell(r, cols.result),
                            cpu: cell(r, cols.cpu),
                            memory: cell(r, cols.memory),
                            net: cell(r, cols.net),
                            segments: &segments,
                        };
                        part.row(norm, *line, raw, || render(rec));
                    }
                    Err(detail) => part.malformed(*line, format!("bad CSV record: {detail}"), || render(rec)),
                }
            }
            part
        })
        .collect();
    for part in parts {
        sink.absorb(file, part);
    }
    sink.share_learned();
    batch.clear();
}
