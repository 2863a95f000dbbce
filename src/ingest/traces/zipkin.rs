//! Zipkin v2 JSON (`/api/v2/spans` bodies and `/api/v2/trace/{id}` answers): an array of spans,
//! or an array of traces (`/api/v2/traces`), each an array of spans.
//!
//! Zipkin's span is already one flat record: `traceId`, `id`, `parentId`, `name`, `kind`
//! (`SERVER`, `CLIENT`, ...), `timestamp` and `duration` in microseconds, `localEndpoint`
//! (`serviceName`), `remoteEndpoint` and `tags` (string values: `tags."http.status_code"`,
//! `tags.error`). It is passed on as it is.

use serde_json::{Map, Value};

/// The spans of a Zipkin v2 document.
pub fn spans(doc: Value) -> Result<Vec<Map<String, Value>>, String> {
    let Value::Array(items) = doc else {
        return Err("expected a JSON array of spans (or of traces)".into());
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Object(s) => out.push(s),
            Value::Array(trace) => out.extend(trace.into_iter().filter_map(|s| if let Value::Object(s) = s { Some(s) } else { None })),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_spans_and_traces() {
        let one = json!({"traceId": "t", "id": "a", "kind": "SERVER", "timestamp": 1, "duration": 2});
        assert_eq!(spans(json!([one.clone(), one.clone()])).unwrap().len(), 2);
        assert_eq!(spans(json!([[one.clone()], [one.clone(), one]])).unwrap().len(), 3);
        assert!(spans(json!({"traceId": "t"})).is_err());
    }
}
