//! Trace exports as request logs: OpenTelemetry OTLP/JSON, Jaeger JSON and Zipkin v2 JSON.
//!
//! Each reader turns its format's nesting into one record per span (one file per format:
//! [`otlp`], [`jaeger`], [`zipkin`]) and hands the records to the same mapping and
//! [`Normalizer`] as JSON Lines: which spans are the requests under test (`[input] select`), the
//! correlation id, the times and the status are field paths in the policy, and the presets under
//! presets/ hold the usual choices. Nothing here knows which span is "the" request.
//!
//! Line numbers in rejected.jsonl: for a JSON Lines export (the OTLP file exporter) the line of
//! the batch that held the span; for a whole-document export (Jaeger, Zipkin, one OTLP/JSON
//! document) the span's position in the file (1-based). The detail names the span.

pub mod jaeger;
pub mod otlp;
pub mod zipkin;

use super::field::FieldPath;
use super::jsonl::{open_text, row_from_lookup};
use super::{missing_field_error, Format, Normalizer, Part, Sink};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;

/// A span's own fields, looked up by field path.
pub trait SpanFields: Sync {
    fn get(&self, path: &FieldPath) -> Option<&Value>;
    /// The fields as one object (for messages and rejected.jsonl).
    fn to_map(&self) -> Map<String, Value>;
}

/// Jaeger and Zipkin spans: an object, looked up like a JSON Lines record.
impl SpanFields for Map<String, Value> {
    fn get(&self, path: &FieldPath) -> Option<&Value> {
        path.lookup(self)
    }
    fn to_map(&self) -> Map<String, Value> {
        self.clone()
    }
}

/// One span, as the mapping sees it: its own fields, plus objects shared by the spans of one
/// batch (OTLP's `resource` and `scope`) that are looked up in place rather than copied.
pub struct SpanRecord<'a, F: SpanFields> {
    pub fields: F,
    /// (first key of a path, the object it walks into).
    pub shared: [(&'static str, &'a Value); 2],
}

impl<F: SpanFields> SpanRecord<'_, F> {
    pub fn lookup(&self, path: &FieldPath) -> Option<&Value> {
        for (key, obj) in &self.shared {
            if !key.is_empty() && path.segments[0] == *key {
                return if path.is_nested() { obj.as_object().and_then(|o| path.lookup_from(o, 1)) } else { Some(obj) };
            }
        }
        self.fields.get(path)
    }

    /// The span with its shared objects, as the mapping sees it (for messages).
    pub fn shown(&self) -> Map<String, Value> {
        let mut m = self.fields.to_map();
        for (key, obj) in &self.shared {
            if !key.is_empty() {
                m.insert((*key).to_string(), (*obj).clone());
            }
        }
        m
    }

    /// The span as JSON text, for rejected.jsonl.
    fn render(&self) -> String {
        Value::Object(self.shown()).to_string()
    }
}

/// The trace format of a `.json`/`.jsonl` file, from its first bytes: OTLP (an object whose
/// first key is `resourceSpans`), Jaeger (first key `data`, with `traceID` in the head) or
/// Zipkin v2 (an array of span objects with `traceId`). Only the first key counts, so a request
/// log whose results happen to mention `data` or `traceID` stays JSON Lines.
/// Only regular files are sniffed: reading the head of a pipe would take it from the reader.
pub fn sniff(path: &Path) -> Option<Format> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut head = Vec::with_capacity(8192);
    open_text(path).ok()?.take(8192).read_to_end(&mut head).ok()?;
    sniff_text(&String::from_utf8_lossy(&head))
}

/// [`sniff`] on the first bytes of a file.
pub fn sniff_text(text: &str) -> Option<Format> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(rest) = body.strip_prefix('{') {
        let rest = rest.trim_start();
        if rest.starts_with("\"resourceSpans\"") {
            return Some(Format::Otlp);
        }
        if rest.starts_with("\"data\"") && rest.contains("\"traceID\"") {
            return Some(Format::Jaeger);
        }
    } else if let Some(rest) = body.strip_prefix('[') {
        let rest = rest.trim_start();
        if (rest.starts_with('{') || rest.starts_with('[')) && rest.contains("\"traceId\"") {
            return Some(Format::Zipkin);
        }
    }
    None
}

/// Where a reader's records go: one version's rules and sink. An export holding both versions
/// (`--input`) is parsed once and every span offered to both targets; each keeps its own.
pub struct Target<'a> {
    pub norm: &'a Normalizer,
    pub sink: &'a mut Sink,
}

/// Reads one trace export into every target.
pub fn read(path: &Path, format: Format, targets: &mut [Target<'_>]) -> Result<()> {
    match format {
        Format::Otlp => otlp::read(path, targets),
        Format::Jaeger => read_document(path, targets, "Jaeger JSON", jaeger::spans),
        Format::Zipkin => read_document(path, targets, "Zipkin v2 JSON", zipkin::spans),
        _ => Err(Error::Usage(format!("{}: {} is not a trace format", path.display(), format.as_str()))),
    }
}

/// A format's document -> its spans (or what is wrong with it).
type SpansOf = fn(Value) -> std::result::Result<Vec<Map<String, Value>>, String>;

/// A whole-document export (Jaeger, Zipkin): parsed at once, then its spans in parallel parts.
fn read_document(path: &Path, targets: &mut [Target<'_>], what: &str, spans: SpansOf) -> Result<()> {
    let doc = parse_document(path, what)?;
    let records = spans(doc).map_err(|e| Error::input(path, format!("not a {what} trace export: {e}")))?;
    let null = Value::Null;
    let records: Vec<SpanRecord<'_, Map<String, Value>>> =
        records.into_iter().map(|fields| SpanRecord { fields, shared: [("", &null), ("", &null)] }).collect();
    let first = records.first().map(SpanRecord::shown);
    let refs: Vec<(u64, &SpanRecord<'_, _>)> = records.iter().enumerate().map(|(i, r)| (i as u64 + 1, r)).collect();
    let mut seen = vec![Seen::default(); targets.len()];
    validate_spans(path, targets, &refs, &mut seen);
    finish(path, targets, &seen, first.as_ref())
}

/// Reads and parses a file that holds one JSON document.
pub(super) fn parse_document(path: &Path, what: &str) -> Result<Value> {
    let text = document_bytes(path, what)?;
    serde_json::from_slice(document_body(&text)).map_err(|e| not_valid(path, what, e))
}

/// The bytes of a file that holds one JSON document (decompressed), up to [`MAX_DOCUMENT_BYTES`].
pub(super) fn document_bytes(path: &Path, what: &str) -> Result<Vec<u8>> {
    let mut text = Vec::new();
    open_text(path)?
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| Error::input(path, format!("cannot read the file: {e}")))?;
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::input(
            path,
            format!(
                "a {what} document larger than {} GiB is read whole into memory; split the export into smaller files (one per trace batch) and pass the directory.",
                MAX_DOCUMENT_BYTES >> 30
            ),
        ));
    }
    Ok(text)
}

/// A document without its UTF-8 byte-order mark.
pub(super) fn document_body(text: &[u8]) -> &[u8] {
    text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text)
}

/// The error for a document that does not parse as its format.
pub(super) fn not_valid(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::input(path, format!("not valid {what}: {e}. Re-export it, or pass --format to read it as another format."))
}

/// Largest whole-document trace export read (4 GiB).
const MAX_DOCUMENT_BYTES: usize = 4 << 30;

/// What one target found in a file: which mapped fields occurred in its selected spans (as
/// [`row_from_lookup`] reports them), and whether it selected any.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Seen {
    present: u16,
    selected: bool,
}

/// Validates spans (with the line or position each is reported at) into every target in
/// parallel parts, merged in order.
pub(super) fn validate_spans<F: SpanFields>(
    path: &Path,
    targets: &mut [Target<'_>],
    spans: &[(u64, &SpanRecord<'_, F>)],
    seen: &mut [Seen],
) {
    let file = path.display().to_string();
    let results: Vec<Vec<(Part, Seen)>> = {
        let shared: Vec<(&Normalizer, &Sink)> = targets.iter().map(|t| (t.norm, &*t.sink)).collect();
        spans
            .par_chunks(4096)
            .map(|chunk| {
                let mut out: Vec<(Part, Seen)> = shared.iter().map(|(_, sink)| (sink.part(), Seen::default())).collect();
                for (line, span) in chunk {
                    for ((norm, _), (part, seen)) in shared.iter().zip(out.iter_mut()) {
                        if let Some(p) = row_from_lookup(|p| span.lookup(p), norm, *line, part, || span.render()) {
                            seen.present |= p;
                            seen.selected = true;
                        }
                    }
                }
                out
            })
            .collect()
    };
    for parts in results {
        for ((part, s), (target, total)) in parts.into_iter().zip(targets.iter_mut().zip(seen.iter_mut())) {
            total.present |= s.present;
            total.selected |= s.selected;
            target.sink.absorb(&file, part);
        }
    }
    for t in targets.iter_mut() {
        t.sink.share_learned();
    }
}

/// After a file: records which optional fields occurred; a required field that no selected span
/// has is an error that shows where its path stopped in the first span (`first`, from
/// [`SpanRecord::shown`]).
pub(super) fn finish(path: &Path, targets: &mut [Target<'_>], seen: &[Seen], first: Option<&Map<String, Value>>) -> Result<()> {
    for (t, s) in targets.iter_mut().zip(seen) {
        if s.selected {
            for (i, (col, key)) in t.norm.required().iter().enumerate() {
                if s.present & (1 << i) == 0 {
                    return Err(missing_field_error(path, col, key, first));
                }
            }
        }
        let r = &mut t.sink.requests;
        r.has_result |= s.present & (1 << 4) != 0;
        r.has_cpu |= s.present & (1 << 5) != 0;
        r.has_memory |= s.present & (1 << 6) != 0;
        r.has_net |= s.present & (1 << 7) != 0;
    }
    Ok(())
}

/// Key/value lists (`[{"key": k, "value": v}]`, as OTLP attributes and Jaeger tags are written)
/// as one object, with each value made plain by `plain`.
pub(super) fn key_values(list: Value, plain: impl Fn(Value) -> Value) -> Value {
    let Value::Array(items) = list else {
        return Value::Object(Map::new());
    };
    let mut out = Map::with_capacity(items.len());
    for item in items {
        if let Value::Object(mut kv) = item {
            if let Some(Value::String(k)) = kv.remove("key") {
                out.insert(k, plain(kv.remove("value").unwrap_or(Value::Null)));
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_looks_at_the_first_key_only() {
        assert_eq!(sniff_text(r#"{"resourceSpans":[{"resource":{}}]}"#), Some(Format::Otlp));
        assert_eq!(sniff_text("\u{feff}{\n  \"resourceSpans\": ["), Some(Format::Otlp));
        assert_eq!(sniff_text(r#"{"data":[{"traceID":"a","spans":[]}]}"#), Some(Format::Jaeger));
        assert_eq!(sniff_text(r#"[{"traceId":"a","id":"b"}]"#), Some(Format::Zipkin));
        assert_eq!(sniff_text(r#"[[{"traceId":"a","id":"b"}]]"#), Some(Format::Zipkin));
        // A request log that mentions those names in its values or later keys stays JSON Lines.
        assert_eq!(sniff_text(r#"{"correlation_id":"x","result":{"data":1,"traceID":"t","resourceSpans":0}}"#), None);
        assert_eq!(sniff_text(r#"{"correlation_id":"x","traceId":"t"}"#), None);
        assert_eq!(sniff_text("correlation_id,traceId\n"), None);
    }
}
