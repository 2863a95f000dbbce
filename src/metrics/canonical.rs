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

/// Canonical text of a result given as a string: if it holds JSON (an object, an array, or a
/// scalar such as `true`, `12` or `null`) it is parsed and canonicalized, so a CSV cell and a JSON
/// value with the same content compare equal; otherwise it is a plain string and becomes a JSON
/// string.
pub fn canonical_str(s: &str) -> String {
    let t = s.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return canonical_string(&v);
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

/// How results are compared (the policy's `[compare]` table).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareOptions {
    /// Paths whose differences are ignored, with `*` matching any run of characters
    /// (`evaluated_at`, `meta.*`, `items[].ts`). A path also covers everything below it.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Array paths (without `[]`) compared as multisets: order does not matter.
    #[serde(default)]
    pub multiset: Vec<String>,
    /// Numbers differing by at most abs_tolerance + rel_tolerance * max(|a|, |b|) are equal.
    #[serde(default)]
    pub abs_tolerance: f64,
    #[serde(default)]
    pub rel_tolerance: f64,
}

/// Whether `pattern` (with `*` wildcards) matches `path` or a parent of it.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    fn glob(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|k| glob(rest, &s[k..])),
            Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
        }
    }
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    if glob(p, s) {
        return true;
    }
    // A parent: the pattern matches a prefix that ends at a '.' or '[' boundary.
    (1..s.len()).any(|k| (s[k] == b'.' || s[k] == b'[') && glob(p, &s[..k]))
}

/// Structural diff of two canonical results (V1, V2) under `opts`: the paths that differ and how.
/// Non-JSON (plain string) results compare as a whole at `$`. Numeric differences within the
/// tolerance, order changes in multiset arrays and ignored paths are not differences.
pub fn diff_with(v1: &str, v2: &str, opts: &CompareOptions) -> Vec<FieldDiff> {
    let (Ok(a), Ok(b)) = (serde_json::from_str::<Value>(v1), serde_json::from_str::<Value>(v2)) else {
        return vec![FieldDiff { path: "$".into(), kind: "value_changed" }];
    };
    let mut out = Vec::new();
    diff_values(&a, &b, "$", opts, &mut out);
    out.retain(|d| !opts.ignore.iter().any(|p| path_matches(p, &d.path)));
    out.sort();
    out.dedup();
    out
}

/// [`diff_with`] under strict default options.
pub fn diff(v1: &str, v2: &str) -> Vec<FieldDiff> {
    diff_with(v1, v2, &CompareOptions::default())
}

fn numbers_close(x: f64, y: f64, opts: &CompareOptions) -> bool {
    (x - y).abs() <= opts.abs_tolerance + opts.rel_tolerance * x.abs().max(y.abs())
}

fn diff_values(a: &Value, b: &Value, path: &str, opts: &CompareOptions, out: &mut Vec<FieldDiff>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff_values(va, vb, &join_path(path, k), opts, out),
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
                if !opts.multiset.iter().any(|m| m == path) {
                    out.push(FieldDiff { path: elem, kind: "array_order_only" });
                }
                return;
            }
            for (ea, eb) in x.iter().zip(y) {
                diff_values(ea, eb, &elem, opts, out);
            }
        }
        _ if a == b => {}
        (Value::Number(x), Value::Number(y)) => {
            // Integers compare exactly (two ids above 2^53 can share an f64); the rest as f64,
            // so 1 and 1.0 are equal.
            let exact = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => Some(p == q),
                (_, _, Some(p), Some(q)) => Some(p == q),
                _ => None,
            };
            let (fx, fy) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            let tolerant = opts.abs_tolerance > 0.0 || opts.rel_tolerance > 0.0;
            if exact.unwrap_or(fx == fy) || (tolerant && numbers_close(fx, fy, opts)) {
                return;
            }
            out.push(FieldDiff { path: path.to_string(), kind: if tolerant { "numeric_drift_beyond_tolerance" } else { "value_changed" } });
        }
        _ if type_name(a) != type_name(b) => out.push(FieldDiff { path: path.to_string(), kind: "type_changed" }),
        _ => out.push(FieldDiff { path: path.to_string(), kind: "value_changed" }),
    }
}
