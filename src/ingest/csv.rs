//! CSV/TSV reader (the `csv` crate): exact line numbers, a bad record costs only that record,
//! delimiter sniffed from the header (`,`, `;`, tab or `|`).

use super::jsonl::open_text;
use super::{missing_column_error, Normalizer, Part, RawRow, Sink, Val, FIXED_FIELDS};
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
    if let Some(rows) = crate::memory::text_rows(path) {
        sink.reserve_for_text(rows);
    }
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
    let idx = |name: &str| if name.is_empty() { None } else { headers.iter().position(|h| h == name) };
    for (col, key) in norm.required().into_iter().chain(norm.required_extra()) {
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
    let cols: Vec<Option<usize>> = norm.mapped_columns().iter().map(|c| idx(c)).collect();
    sink.requests.has_result |= cols[5].is_some();
    sink.requests.has_cpu |= cols[6].is_some();
    sink.requests.has_memory |= cols[7].is_some();
    sink.requests.has_net |= cols[8].is_some();
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

fn cell<'a>(rec: &'a csv::StringRecord, i: Option<usize>) -> Val<'a> {
    match i.and_then(|i| rec.get(i)) {
        None => Val::Absent,
        Some(s) if s.trim().is_empty() => Val::Null,
        Some(s) => Val::Str(Cow::Borrowed(s)),
    }
}

fn flush(
    batch: &mut Vec<(u64, Result<csv::StringRecord, String>)>,
    cols: &[Option<usize>],
    norm: &Normalizer,
    sink: &mut Sink,
    file: &str,
) {
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
                        let rest: Vec<Val<'_>> = cols[FIXED_FIELDS..].iter().map(|i| cell(r, *i)).collect();
                        let raw = RawRow::from_fn(|k| cell(r, cols[k]), &rest);
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
