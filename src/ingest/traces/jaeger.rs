//! Jaeger's JSON trace export (the UI's "Download JSON" and the query service's `/api/traces`):
//! `{"data": [{"traceID", "spans": [...], "processes": {"p1": {...}}}]}`; an array of traces or a
//! single trace object is read too.
//!
//! Each span becomes a record with its own fields (`traceID`, `spanID`, `operationName`,
//! `startTime` and `duration` in microseconds, `flags`), `parentSpanID` from its first `CHILD_OF`
//! reference, `tags` as an object (`tags."span.kind"`, `tags."http.status_code"`), and its
//! `process` (`serviceName`, `tags` as an object) copied in from the trace's processes.

use super::key_values;
use serde_json::{Map, Value};

/// The spans of a Jaeger export document.
pub fn spans(doc: Value) -> Result<Vec<Map<String, Value>>, String> {
    let traces = match doc {
        Value::Object(mut m) if m.contains_key("data") => match m.remove("data") {
            Some(Value::Array(t)) => t,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => return Err("`data` is not an array of traces".into()),
        },
        Value::Object(m) if m.contains_key("spans") => vec![Value::Object(m)],
        Value::Array(t) => t,
        Value::Object(m) => {
            let keys: Vec<&String> = m.keys().take(10).collect();
            return Err(format!("expected `data` (a list of traces) or `spans`; found keys {keys:?}"));
        }
        _ => return Err("the document is not a JSON object or array".into()),
    };
    let mut out = Vec::new();
    for trace in traces {
        let Value::Object(mut trace) = trace else { continue };
        let mut processes = match trace.remove("processes") {
            Some(Value::Object(p)) => p,
            _ => Map::new(),
        };
        for p in processes.values_mut() {
            if let Value::Object(p) = p {
                if let Some(tags) = p.remove("tags") {
                    p.insert("tags".into(), key_values(tags, |v| v));
                }
            }
        }
        let Some(Value::Array(spans)) = trace.remove("spans") else { continue };
        for span in spans {
            let Value::Object(mut s) = span else { continue };
            if let Some(tags) = s.remove("tags") {
                s.insert("tags".into(), key_values(tags, |v| v));
            }
            let parent = s.get("references").and_then(Value::as_array).and_then(|refs| {
                refs.iter().find(|r| r.get("refType").and_then(Value::as_str) == Some("CHILD_OF")).and_then(|r| r.get("spanID")).cloned()
            });
            if let Some(p) = parent {
                s.insert("parentSpanID".into(), p);
            }
            // Logs and references are not request fields; leave them out of the record.
            s.remove("logs");
            s.remove("references");
            if let Some(process) = s.get("processID").and_then(Value::as_str).and_then(|id| processes.get(id)).cloned() {
                s.insert("process".into(), process);
            }
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spans_get_tags_as_objects_and_their_process() {
        let doc = json!({"data": [{"traceID": "t1", "spans": [{
            "traceID": "t1", "spanID": "s1", "operationName": "POST /validate",
            "references": [{"refType": "CHILD_OF", "traceID": "t1", "spanID": "s0"}],
            "startTime": 1700000000000000u64, "duration": 12000,
            "tags": [{"key": "span.kind", "type": "string", "value": "server"},
                     {"key": "http.status_code", "type": "int64", "value": 200}],
            "logs": [], "processID": "p1"}],
            "processes": {"p1": {"serviceName": "validator", "tags": [{"key": "service.version", "type": "string", "value": "2.0.0"}]}}}]});
        let spans = spans(doc).unwrap();
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(s["tags"]["span.kind"], json!("server"));
        assert_eq!(s["tags"]["http.status_code"], json!(200));
        assert_eq!(s["parentSpanID"], json!("s0"));
        assert_eq!(s["process"]["serviceName"], json!("validator"));
        assert_eq!(s["process"]["tags"]["service.version"], json!("2.0.0"));
        assert!(spans_err(json!({"foo": 1})).contains("expected `data`"));
    }

    fn spans_err(v: Value) -> String {
        spans(v).unwrap_err()
    }
}
