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
    if is_canonical(t.as_bytes()) {
        return t.to_string();
    }
    canonical_str_parsed(s)
}

/// [`canonical_str`] the long way: parsed into a `Value` and written back.
fn canonical_str_parsed(s: &str) -> String {
    let t = s.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return canonical_string(&v);
    }
    serde_json::to_string(s).unwrap_or_default()
}

/// Whether `t` is JSON already in canonical form, so that parsing and writing it back gives `t`:
/// checked in one scan, without building a `Value` (which is most of the cost of canonicalizing a
/// result, once per distinct result text and version). Keys must be strictly ascending (no
/// duplicates), strings and keys free of escapes and control characters, no whitespace between
/// tokens, nesting shallower than serde_json's limit, and every number must print back as
/// itself ([`write_number`] on serde_json's own parse of it). `false` only means "not known to be
/// canonical": the caller then parses. Hand-written because no JSON crate answers "is this text
/// the canonical form" without materializing the value.
fn is_canonical(t: &[u8]) -> bool {
    let mut scan = Scan { s: t, at: 0, number: String::new() };
    scan.value(0) && scan.at == t.len()
}

struct Scan<'a> {
    s: &'a [u8],
    at: usize,
    /// Scratch for a number written back.
    number: String,
}

impl Scan<'_> {
    /// serde_json refuses nesting deeper than 128; stay well inside it.
    const MAX_DEPTH: usize = 64;

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let ok = self.peek() == Some(b);
        self.at += usize::from(ok);
        ok
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') if depth < Self::MAX_DEPTH => self.object(depth + 1),
            Some(b'[') if depth < Self::MAX_DEPTH => self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let ok = self.s[self.at..].starts_with(word);
        self.at += if ok { word.len() } else { 0 };
        ok
    }

    /// A string without escapes or control characters (which serde_json writes back as is);
    /// returns where its contents are.
    fn string(&mut self) -> Option<(usize, usize)> {
        self.at += 1;
        let start = self.at;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        Some((start, self.at - 1))
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    /// A number in JSON's grammar that [`write_number`] writes back unchanged.
    fn number(&mut self) -> bool {
        let start = self.at;
        self.eat(b'-');
        if self.digits() == 0 {
            return false;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return false;
            }
        }
        let token = &self.s[start..self.at];
        // serde_json refuses what JSON does (a leading zero, "01"), as here.
        let Ok(n) = serde_json::from_slice::<serde_json::Number>(token) else {
            return false;
        };
        self.number.clear();
        write_number(&n, &mut self.number);
        self.number.as_bytes() == token
    }

    fn array(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<(usize, usize)> = None;
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let Some((start, end)) = self.string() else {
                return false;
            };
            // serde_json keeps an object's keys sorted by bytes (and the last of duplicates).
            if previous.is_some_and(|(a, b)| self.s[a..b] >= self.s[start..end]) {
                return false;
            }
            previous = Some((start, end));
            if !self.eat(b':') || !self.value(depth) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::{canonical_str, canonical_str_parsed, canonical_string, is_canonical};
    use proptest::prelude::*;
    use serde_json::Value;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            (-100_000i64..100_000).prop_map(|k| Value::from(k as f64 / 1000.0)),
            "[a-z\"\\\\\u{0}-\u{1f}\u{7f}é/]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[a-c\"\\\\é]{0,3}", inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Spellings of a value: canonical, serde_json's own, pretty, keys out of order or
    /// repeated, numbers respelled.
    fn spellings(v: &Value) -> Vec<String> {
        let c = canonical_string(v);
        let mut out = vec![c.clone(), v.to_string(), serde_json::to_string_pretty(v).unwrap_or_default(), format!(" {c}\n")];
        out.push(c.replace(',', ", ").replace("0.", "0.0").replace('1', "1.0").replace("e", "E+"));
        out.push(c.replace("{\"", "{\"z\":0,\"").replace("-", "-0"));
        // An empty key first: ascending, or a duplicate where the object has one.
        out.push(c.replacen('{', "{\"\":0,", 1));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn the_scan_agrees_with_parsing(v in json()) {
            for s in spellings(&v) {
                prop_assert_eq!(canonical_str(&s), canonical_str_parsed(&s), "{:?}", s);
            }
            // The canonical spelling is recognized without parsing whenever it has no string
            // that needs escaping and reads back as itself (serde_json's default float parser
            // is not exact beyond 15 significant digits).
            let c = canonical_string(&v);
            if !c.contains('\\') && canonical_str_parsed(&c) == c {
                prop_assert!(is_canonical(c.as_bytes()), "{}", c);
            }
        }

        #[test]
        fn text_that_is_not_canonical_json_is_parsed(s in "[\\[\\]{}\":,0-9a-e.+\\- \\\\]{0,24}") {
            prop_assert_eq!(canonical_str(&s), canonical_str_parsed(&s), "{:?}", s);
        }
    }

    #[test]
    fn a_validation_result_is_recognized_and_near_misses_are_not() {
        let r = r#"{"checks":{"blocklist":true,"format":true},"rule_set":"2026.11","score":0.461,"valid":true,"violations":[]}"#;
        assert!(is_canonical(r.as_bytes()));
        for bad in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1e2}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a":12345678901234567890123}"#,
            r#"{"a":1,}"#,
            r#"[1,2"#,
            "OK",
            "",
        ] {
            assert!(!is_canonical(bad.as_bytes()), "{bad}");
            assert_eq!(canonical_str(bad), canonical_str_parsed(bad), "{bad}");
        }
        // serde_json refuses nesting deeper than 128: such text is a plain string.
        for deep in [format!("{}{}", "[".repeat(200), "]".repeat(200)), format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200))] {
            assert!(!is_canonical(deep.as_bytes()));
            assert_eq!(canonical_str(&deep), canonical_str_parsed(&deep));
            assert!(canonical_str(&deep).starts_with('"'));
        }
    }
}
