//! OpenTelemetry OTLP/JSON traces (opentelemetry-proto, `TracesData`): the collector's file
//! exporter writes one `{"resourceSpans": [...]}` per line; one pretty-printed document (an
//! OTLP/HTTP JSON body) is read too.
//!
//! Each span becomes a record with its own fields as OTLP/JSON names them (`traceId`, `spanId`,
//! `parentSpanId`, `name`, `kind`, `startTimeUnixNano`, `endTimeUnixNano`, `status`) plus
//! `attributes` as an object of plain values, and the shared `resource` (its attributes) and
//! `scope` (`name`, `version`, `attributes`). Plain values: `{"stringValue": s}` -> s,
//! `{"intValue": "200"}` -> 200 (OTLP/JSON writes 64-bit integers as strings), doubles, booleans,
//! arrays and key/value lists unwrapped recursively. `kind` and `status.code` are numbers even
//! when an exporter wrote the enum's name (`SPAN_KIND_SERVER` -> 2, `STATUS_CODE_ERROR` -> 2); a
//! span without a status has `status.code` 0 (unset), as the protocol defines.

use super::{document_body, document_bytes, finish, not_valid, validate_spans, Seen, SpanFields, SpanRecord, Target};
use crate::error::{Error, Result};
use crate::ingest::field::{walk, FieldPath};
use crate::ingest::jsonl::{open_text, MAX_LINE_BYTES};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// The spans of one resource and scope.
#[derive(Debug)]
pub struct ScopeSpans {
    pub resource: Value,
    pub scope: Value,
    pub spans: Vec<OtlpSpan>,
}

/// One span's own fields, kept as lists rather than one map per span: a span is looked up a
/// dozen times and then dropped, and building and freeing a tree map for each of millions of
/// spans cost more than the lookups.
#[derive(Debug)]
pub struct OtlpSpan {
    /// traceId, spanId, parentSpanId, traceState, name, kind (a number), the two times, flags.
    scalars: Vec<(&'static str, Value)>,
    /// Attribute keys and plain values, in the order written.
    attributes: Vec<(String, Value)>,
    /// `status.code` (0 when the span has no status) and `status.message`.
    status_code: Value,
    status_message: Option<Value>,
}

impl SpanFields for OtlpSpan {
    fn get(&self, path: &FieldPath) -> Option<&Value> {
        let segs = &path.segments;
        match (segs[0].as_str(), segs.len()) {
            ("attributes", n) if n >= 2 => attribute(&self.attributes, &segs[1..], !path.quoted),
            ("status", 2) => match segs[1].as_str() {
                "code" => Some(&self.status_code),
                "message" => self.status_message.as_ref(),
                _ => None,
            },
            (key, 1) => self.scalars.iter().find(|(n, _)| *n == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut m: Map<String, Value> = self.scalars.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect();
        m.insert("attributes".into(), Value::Object(self.attributes.iter().cloned().collect()));
        let mut status = Map::new();
        status.insert("code".into(), self.status_code.clone());
        if let Some(msg) = &self.status_message {
            status.insert("message".into(), msg.clone());
        }
        m.insert("status".into(), Value::Object(status));
        m
    }
}

/// An attribute by its key (`rest` = the path after `attributes`): one key as written; for an
/// unquoted path of several keys, the key with dots first (`http.response.status_code`), then
/// a walk into a key/value-list attribute.
fn attribute<'a>(attrs: &'a [(String, Value)], rest: &[String], dotted: bool) -> Option<&'a Value> {
    let find = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    if rest.len() == 1 {
        return find(&rest[0]);
    }
    if dotted {
        if let Some(v) = find(&rest.join(".")) {
            return Some(v);
        }
    }
    walk(find(&rest[0])?.as_object()?, &rest[1..], dotted)
}

/// Lines read per parallel batch.
const LINES_PER_BATCH: usize = 256;

/// Reads one OTLP/JSON file into the sink.
pub fn read(path: &Path, targets: &mut [Target<'_>]) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, open_text(path)?);
    let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut line_no = 0u64;
    let mut seen = vec![Seen::default(); targets.len()];
    let mut first: Option<Map<String, Value>> = None;
    let mut eof = false;
    let mut bytes_in_batch = 0usize;
    while !eof {
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => eof = true,
            Ok(_) => {
                line_no += 1;
                let trimmed = buf.trim_ascii();
                if line_no == 1 && !trimmed.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(strip_bom(trimmed)).is_err() {
                    // Not one object per line: one (pretty-printed) document.
                    return read_whole(path, targets);
                }
                if !trimmed.is_empty() {
                    bytes_in_batch += buf.len();
                    lines.push((line_no, buf));
                }
            }
            Err(e) => {
                return Err(Error::input(
                    path,
                    format!("reading stopped after line {line_no}: {e}. The file may be truncated; re-export it."),
                ))
            }
        }
        if lines.len() >= LINES_PER_BATCH || bytes_in_batch >= 64 << 20 || (eof && !lines.is_empty()) {
            batch(path, targets, &lines, &mut first, &mut seen);
            lines.clear();
            bytes_in_batch = 0;
        }
    }
    finish(path, targets, &seen, first.as_ref())
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix("\u{feff}".as_bytes()).unwrap_or(b)
}

/// Parses and flattens a batch of lines in parallel, then validates their spans.
fn batch(path: &Path, targets: &mut [Target<'_>], lines: &[(u64, Vec<u8>)], first: &mut Option<Map<String, Value>>, seen: &mut [Seen]) {
    let parsed: Vec<(u64, std::result::Result<Vec<ScopeSpans>, String>)> = lines
        .par_iter()
        .map(|(no, bytes)| {
            if bytes.len() > MAX_LINE_BYTES {
                return (*no, Err(format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20)));
            }
            (*no, flatten_slice(strip_bom(bytes.trim_ascii())))
        })
        .collect();
    let file = path.display().to_string();
    // Lines that are not a trace batch: (line, detail, start of the line), counted in every target.
    let mut bad: Vec<(u64, String, String)> = Vec::new();
    // The spans move out of their blocks; each keeps the index of its resource and scope.
    let mut shared: Vec<(Value, Value)> = Vec::new();
    let mut owned: Vec<(u64, usize, OtlpSpan)> = Vec::new();
    for ((no, r), (_, bytes)) in parsed.into_iter().zip(lines) {
        match r {
            Ok(blocks) => {
                for block in blocks {
                    let k = shared.len();
                    shared.push((block.resource, block.scope));
                    owned.extend(block.spans.into_iter().map(|span| (no, k, span)));
                }
            }
            Err(e) => bad.push((
                no,
                format!("not an OTLP/JSON trace batch: {e}"),
                String::from_utf8_lossy(&bytes[..bytes.len().min(4000)]).into_owned(),
            )),
        }
    }
    if !bad.is_empty() {
        for t in targets.iter_mut() {
            let mut part = t.sink.part();
            for (line, detail, raw) in &bad {
                part.malformed(*line, detail.clone(), || raw.clone());
            }
            t.sink.absorb(&file, part);
        }
    }
    let records: Vec<(u64, SpanRecord<'_, OtlpSpan>)> = owned
        .into_iter()
        .map(|(no, k, fields)| (no, SpanRecord { fields, shared: [("resource", &shared[k].0), ("scope", &shared[k].1)] }))
        .collect();
    if first.is_none() {
        *first = records.first().map(|r| r.1.shown());
    }
    let refs: Vec<(u64, &SpanRecord<'_, OtlpSpan>)> = records.iter().map(|(n, r)| (*n, r)).collect();
    validate_spans(path, targets, &refs, seen);
}

/// A file that is one OTLP/JSON document (or a JSON array of them).
fn read_whole(path: &Path, targets: &mut [Target<'_>]) -> Result<()> {
    // Straight into the typed records, as for a line: one document, or an array of them.
    let text = document_bytes(path, "OTLP/JSON")?;
    let body = document_body(&text);
    let docs: Vec<TracesDataJson> = if body.trim_ascii_start().starts_with(b"[") {
        serde_json::from_slice(body).map_err(|e| not_valid(path, "OTLP/JSON", e))?
    } else {
        vec![serde_json::from_slice(body).map_err(|e| not_valid(path, "OTLP/JSON", e))?]
    };
    let mut blocks = Vec::new();
    for d in docs {
        blocks.extend(flatten_typed(d).map_err(|e| Error::input(path, format!("not an OTLP/JSON trace export: {e}")))?);
    }
    let mut shared: Vec<(Value, Value)> = Vec::new();
    let mut spans: Vec<(usize, OtlpSpan)> = Vec::new();
    for block in blocks {
        let k = shared.len();
        shared.push((block.resource, block.scope));
        spans.extend(block.spans.into_iter().map(|s| (k, s)));
    }
    let records: Vec<SpanRecord<'_, OtlpSpan>> =
        spans.into_iter().map(|(k, fields)| SpanRecord { fields, shared: [("resource", &shared[k].0), ("scope", &shared[k].1)] }).collect();
    let first = records.first().map(SpanRecord::shown);
    let refs: Vec<(u64, &SpanRecord<'_, OtlpSpan>)> = records.iter().enumerate().map(|(i, r)| (i as u64 + 1, r)).collect();
    let mut seen = vec![Seen::default(); targets.len()];
    validate_spans(path, targets, &refs, &mut seen);
    finish(path, targets, &seen, first.as_ref())
}

// OTLP/JSON as typed records: deserializing straight into them skips building and then taking
// apart a `serde_json::Value` tree for every batch (twice as fast on 1M spans). Scalars stay
// `Value`, so a field written in an unexpected JSON type is kept as written, not an error.

#[derive(Deserialize)]
struct TracesDataJson {
    #[serde(rename = "resourceSpans")]
    resource_spans: Option<Vec<ResourceSpansJson>>,
}

#[derive(Deserialize)]
struct ResourceSpansJson {
    resource: Option<AttributesJson>,
    // `instrumentationLibrarySpans` is the name before OTLP 0.15; some old exporters still write it.
    #[serde(rename = "scopeSpans", alias = "instrumentationLibrarySpans")]
    scope_spans: Option<Vec<ScopeSpansJson>>,
}

#[derive(Deserialize)]
struct AttributesJson {
    attributes: Option<Vec<KeyValueJson>>,
}

#[derive(Deserialize)]
struct ScopeSpansJson {
    #[serde(alias = "instrumentationLibrary")]
    scope: Option<ScopeJson>,
    spans: Option<Vec<SpanJson>>,
}

#[derive(Deserialize)]
struct ScopeJson {
    name: Option<Value>,
    version: Option<Value>,
    attributes: Option<Vec<KeyValueJson>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpanJson {
    trace_id: Option<Value>,
    span_id: Option<Value>,
    parent_span_id: Option<Value>,
    trace_state: Option<Value>,
    name: Option<Value>,
    kind: Option<Value>,
    start_time_unix_nano: Option<Value>,
    end_time_unix_nano: Option<Value>,
    flags: Option<Value>,
    attributes: Option<Vec<KeyValueJson>>,
    status: Option<StatusJson>,
}

#[derive(Deserialize)]
struct StatusJson {
    code: Option<Value>,
    message: Option<Value>,
}

#[derive(Deserialize)]
struct KeyValueJson {
    key: String,
    value: Option<AnyValueJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyValueJson {
    string_value: Option<Value>,
    int_value: Option<Value>,
    double_value: Option<Value>,
    bool_value: Option<Value>,
    bytes_value: Option<Value>,
    array_value: Option<ArrayValueJson>,
    kvlist_value: Option<KeyValueListJson>,
}

#[derive(Deserialize)]
struct ArrayValueJson {
    values: Option<Vec<AnyValueJson>>,
}

#[derive(Deserialize)]
struct KeyValueListJson {
    values: Option<Vec<KeyValueJson>>,
}

impl AnyValueJson {
    /// The plain JSON value: `{"intValue": "200"}` -> 200, and so on.
    fn plain(self) -> Value {
        if let Some(s) = self.string_value {
            return s;
        }
        if let Some(i) = self.int_value {
            return match &i {
                Value::String(s) => s.trim().parse::<i64>().map_or(i, Value::from),
                _ => i,
            };
        }
        if let Some(d) = self.double_value {
            return match &d {
                // Infinity and NaN are written as strings; they stay strings.
                Value::String(s) => s.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(d, Value::Number),
                _ => d,
            };
        }
        if let Some(b) = self.bool_value.or(self.bytes_value) {
            return b;
        }
        if let Some(a) = self.array_value {
            return Value::Array(a.values.unwrap_or_default().into_iter().map(AnyValueJson::plain).collect());
        }
        if let Some(kv) = self.kvlist_value {
            return Value::Object(plain_map(kv.values));
        }
        Value::Null
    }
}

fn plain_map(list: Option<Vec<KeyValueJson>>) -> Map<String, Value> {
    list.unwrap_or_default().into_iter().map(|kv| (kv.key, kv.value.map_or(Value::Null, AnyValueJson::plain))).collect()
}

/// One `TracesData` JSON text -> its spans grouped by resource and scope.
pub fn flatten_slice(text: &[u8]) -> std::result::Result<Vec<ScopeSpans>, String> {
    let data: TracesDataJson = serde_json::from_slice(text).map_err(|e| format!("not OTLP/JSON: {e}"))?;
    flatten_typed(data)
}

fn flatten_typed(data: TracesDataJson) -> std::result::Result<Vec<ScopeSpans>, String> {
    let Some(resource_spans) = data.resource_spans else {
        return Err("no `resourceSpans` key; is this a metrics or logs export?".into());
    };
    let mut out = Vec::new();
    for rs in resource_spans {
        let resource = Value::Object(plain_map(rs.resource.and_then(|r| r.attributes)));
        for ss in rs.scope_spans.unwrap_or_default() {
            let scope = match ss.scope {
                Some(sc) => {
                    let mut m = Map::new();
                    if let Some(n) = sc.name {
                        m.insert("name".into(), n);
                    }
                    if let Some(v) = sc.version {
                        m.insert("version".into(), v);
                    }
                    if sc.attributes.is_some() {
                        m.insert("attributes".into(), Value::Object(plain_map(sc.attributes)));
                    }
                    Value::Object(m)
                }
                None => Value::Object(Map::new()),
            };
            let spans = ss.spans.unwrap_or_default().into_iter().map(span).collect();
            out.push(ScopeSpans { resource: resource.clone(), scope, spans });
        }
    }
    Ok(out)
}

/// One span's fields made plain (attributes as plain values, enums as numbers).
fn span(s: SpanJson) -> OtlpSpan {
    let mut scalars = Vec::with_capacity(9);
    for (k, v) in [
        ("traceId", s.trace_id),
        ("spanId", s.span_id),
        ("parentSpanId", s.parent_span_id),
        ("traceState", s.trace_state),
        ("name", s.name),
        ("startTimeUnixNano", s.start_time_unix_nano),
        ("endTimeUnixNano", s.end_time_unix_nano),
        ("flags", s.flags),
    ] {
        if let Some(v) = v {
            scalars.push((k, v));
        }
    }
    if let Some(k) = s.kind {
        let names = [
            "SPAN_KIND_UNSPECIFIED",
            "SPAN_KIND_INTERNAL",
            "SPAN_KIND_SERVER",
            "SPAN_KIND_CLIENT",
            "SPAN_KIND_PRODUCER",
            "SPAN_KIND_CONSUMER",
        ];
        scalars.push(("kind", enum_number(&k, &names)));
    }
    let attributes =
        s.attributes.unwrap_or_default().into_iter().map(|kv| (kv.key, kv.value.map_or(Value::Null, AnyValueJson::plain))).collect();
    let (code, message) = s.status.map_or((None, None), |st| (st.code, st.message));
    let status_code = code.map_or(Value::from(0), |c| enum_number(&c, &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]));
    OtlpSpan { scalars, attributes, status_code, status_message: message }
}

/// An enum written as a number or by name, as a number (unknown names are kept as written).
fn enum_number(v: &Value, names: &[&str]) -> Value {
    match v {
        Value::String(s) => match names.iter().position(|n| n.eq_ignore_ascii_case(s.trim())) {
            Some(i) => Value::from(i as u64),
            None => s.trim().parse::<u64>().map_or_else(|_| v.clone(), Value::from),
        },
        _ => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_resource_scope_and_span() {
        let v = json!({"resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "validator"}},
                {"key": "service.version", "value": {"stringValue": "2.0.0"}}]},
            "scopeSpans": [{"scope": {"name": "io.opentelemetry.http", "version": "1.2"},
                "spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
                    "name": "POST /validate", "kind": "SPAN_KIND_SERVER",
                    "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712660012000000",
                    "attributes": [{"key": "http.response.status_code", "value": {"intValue": "503"}},
                                   {"key": "ratio", "value": {"doubleValue": 0.5}},
                                   {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
                                   {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "x", "value": {"boolValue": true}}]}}}],
                    "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}},
                    {"traceId": "t2", "spanId": "s2", "kind": 3}]}]}]});
        let blocks = flatten_slice(v.to_string().as_bytes()).unwrap();
        assert_eq!(blocks.len(), 1);
        let b = &blocks[0];
        assert_eq!(b.resource, json!({"service.name": "validator", "service.version": "2.0.0"}));
        assert_eq!(b.scope["name"], json!("io.opentelemetry.http"));
        let s = &b.spans[0].to_map();
        assert_eq!(s["kind"], json!(2));
        assert_eq!(s["status"]["code"], json!(2));
        assert_eq!(s["attributes"]["http.response.status_code"], json!(503));
        assert_eq!(s["attributes"]["ratio"], json!(0.5));
        assert_eq!(s["attributes"]["tags"], json!(["a"]));
        assert_eq!(s["attributes"]["kv"], json!({"x": true}));
        // No status: code 0 (unset).
        assert_eq!(b.spans[1].to_map()["status"]["code"], json!(0));
        // Lookups by path: quoted and unquoted attribute keys, status, scalars.
        let get = |p: &str| b.spans[0].get(&FieldPath::parse(p).unwrap()).cloned();
        assert_eq!(get(r#"attributes."http.response.status_code""#), Some(json!(503)));
        assert_eq!(get("attributes.http.response.status_code"), Some(json!(503)));
        assert_eq!(get("attributes.kv.x"), Some(json!(true)));
        assert_eq!(get("status.code"), Some(json!(2)));
        assert_eq!(get("status.message"), Some(json!("boom")));
        assert_eq!(get("traceId"), Some(json!("5b8efff798038103d269b633813fc60c")));
        assert_eq!(get("attributes.missing"), None);
        assert_eq!(get("links"), None);
        assert!(flatten_slice(br#"{"resourceMetrics": []}"#).unwrap_err().contains("resourceSpans"));
    }
}
