//! JSON canonicalization: two results are equal iff their canonical texts are equal.
//!
//! Canonical form: objects with keys sorted (byte order), no insignificant whitespace, numbers
//! normalized so that 1, 1.0 and 1e0 are the same (an integral float below 2^53 prints as an
//! integer; other floats print in serde_json's shortest round-trip form).

use serde_json::Value;
use std::fmt::Write as _;

/// Canonical text of a JSON value.
pub fn canonical_string(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

/// Canonical text of a result given as a string: if it holds a JSON object or array it is parsed
/// and canonicalized; otherwise it is a plain string and becomes a JSON string.
pub fn canonical_str(s: &str) -> String {
    let t = s.trim();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            return canonical_string(&v);
        }
    }
    serde_json::to_string(s).unwrap_or_default()
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    if n.is_i64() || n.is_u64() {
        let _ = write!(out, "{n}");
        return;
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            let _ = write!(out, "{}", f as i64);
        }
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                write_canonical(&o[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

/// One difference between two results at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FieldDiff {
    /// Dotted path; array elements are shown as `name[]`. The root is `$`.
    pub path: String,
    /// value_changed, type_changed, missing_in_v2, extra_in_v2, array_order_only, array_length.
    pub kind: &'static str,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join_path(base: &str, key: &str) -> String {
    if base == "$" {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// Structural diff of two canonical results (V1, V2): the paths that differ and how.
/// Non-JSON (plain string) results compare as a whole at `$`.
pub fn diff(v1: &str, v2: &str) -> Vec<FieldDiff> {
    let (Ok(a), Ok(b)) = (serde_json::from_str::<Value>(v1), serde_json::from_str::<Value>(v2)) else {
        return vec![FieldDiff { path: "$".into(), kind: "value_changed" }];
    };
    let mut out = Vec::new();
    diff_values(&a, &b, "$", &mut out);
    out.sort();
    out.dedup();
    out
}

fn diff_values(a: &Value, b: &Value, path: &str, out: &mut Vec<FieldDiff>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff_values(va, vb, &join_path(path, k), out),
                    None => out.push(FieldDiff { path: join_path(path, k), kind: "missing_in_v2" }),
                }
            }
            for k in y.keys() {
                if !x.contains_key(k) {
                    out.push(FieldDiff { path: join_path(path, k), kind: "extra_in_v2" });
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x == y {
                return;
            }
            let elem = format!("{path}[]");
            if x.len() != y.len() {
                out.push(FieldDiff { path: elem, kind: "array_length" });
                return;
            }
            let mut sx: Vec<String> = x.iter().map(canonical_string).collect();
            let mut sy: Vec<String> = y.iter().map(canonical_string).collect();
            sx.sort();
            sy.sort();
            if sx == sy {
                out.push(FieldDiff { path: elem, kind: "array_order_only" });
                return;
            }
            for (ea, eb) in x.iter().zip(y) {
                diff_values(ea, eb, &elem, out);
            }
        }
        _ if a == b => {}
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if type_name(a) != type_name(b) => out.push(FieldDiff { path: path.to_string(), kind: "type_changed" }),
        _ => out.push(FieldDiff { path: path.to_string(), kind: "value_changed" }),
    }
}
