//! Field paths into nested records, as the policy writes them: `request.id`,
//! `attributes."http.response.status_code"`, `resource."service.version"`.
//!
//! A path is split at dots outside double quotes; a quoted segment may itself contain dots (as
//! OpenTelemetry attribute names do). A record key that equals the whole text is taken first, so
//! a flat export with a column literally named `http.status` still maps with `http.status`.

use serde_json::{Map, Value};

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    /// The text as written in the policy.
    pub text: String,
    /// The keys to walk, quotes removed.
    pub segments: Vec<String>,
    /// Whether a key was quoted: the path is then exactly as written, and neither the whole text
    /// as one key nor dotted keys for unquoted runs are tried.
    pub quoted: bool,
}

impl FieldPath {
    /// Parses a path; the error says what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let mut segments = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '"' if quoted => {
                    quoted = false;
                    if chars.peek().is_some_and(|&c| c != '.') {
                        return Err(format!(
                            "field path `{text}`: a quoted key must be followed by `.` or the end, e.g. attributes.\"http.route\""
                        ));
                    }
                }
                '"' if cur.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '\\' if quoted => match chars.next() {
                    Some(c) => cur.push(c),
                    None => break,
                },
                '.' if !quoted => {
                    if cur.is_empty() && !was_quoted {
                        return Err(format!("field path `{text}` has an empty key (two dots, or a dot at an end)"));
                    }
                    segments.push(std::mem::take(&mut cur));
                    was_quoted = false;
                }
                c => cur.push(c),
            }
        }
        if quoted {
            return Err(format!("field path `{text}` has a `\"` that is not closed"));
        }
        if cur.is_empty() && !was_quoted {
            return Err(format!("field path `{text}` has an empty key (two dots, or a dot at an end)"));
        }
        segments.push(cur);
        Ok(FieldPath { text: text.to_string(), segments, quoted: text.contains('"') })
    }

    /// A path for a name that failed to parse: the whole text as one key (a flat column named
    /// that way still maps; the policy check reports the syntax).
    pub fn literal(text: &str) -> FieldPath {
        FieldPath { text: text.to_string(), segments: vec![text.to_string()], quoted: false }
    }

    /// Whether the path walks into nested records (more than one key).
    pub fn is_nested(&self) -> bool {
        self.segments.len() > 1
    }

    /// The value at this path: the key equal to the whole text first, then the walk.
    pub fn lookup<'a>(&self, obj: &'a Map<String, Value>) -> Option<&'a Value> {
        if !self.quoted && self.is_nested() {
            if let Some(v) = obj.get(&self.text) {
                return Some(v);
            }
        }
        walk(obj, &self.segments, !self.quoted)
    }

    /// The value at the path's keys after the first `skip` (a reader that keeps the first level
    /// apart, as the OTLP reader keeps `resource` and `scope`).
    pub fn lookup_from<'a>(&self, obj: &'a Map<String, Value>, skip: usize) -> Option<&'a Value> {
        walk(obj, self.segments.get(skip..)?, !self.quoted)
    }

    /// For an error message: the deepest prefix of the path that exists in `obj`, and the keys
    /// found there (so the user sees where the walk stopped).
    pub fn explain_miss(&self, obj: &Map<String, Value>) -> String {
        let mut cur = obj;
        let mut walked: Vec<&str> = Vec::new();
        for key in &self.segments {
            match cur.get(key) {
                Some(Value::Object(m)) => {
                    walked.push(key);
                    cur = m;
                }
                Some(other) if walked.len() + 1 < self.segments.len() => {
                    return format!("`{}{key}` is {}, not an object", prefix(&walked), kind(other));
                }
                Some(_) => return String::new(),
                None => break,
            }
        }
        let keys: Vec<String> = cur.keys().take(30).map(|k| format!("`{k}`")).collect();
        let at = if walked.is_empty() { "the record".to_string() } else { format!("`{}`", walked.join(".")) };
        format!("{at} has keys {}", if keys.is_empty() { "none".into() } else { keys.join(", ") })
    }
}

/// Walks nested objects key by key. Where a key is missing and `dotted` is set (an unquoted
/// path), keys that contain dots are tried too (longest first), so `resource.service.version`
/// finds the attribute `service.version`.
pub fn walk<'a>(obj: &'a Map<String, Value>, segments: &[String], dotted: bool) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    if let Some(v) = obj.get(first) {
        if rest.is_empty() {
            return Some(v);
        }
        if let Some(found) = v.as_object().and_then(|o| walk(o, rest, dotted)) {
            return Some(found);
        }
    }
    if !dotted {
        return None;
    }
    for k in (2..=segments.len()).rev() {
        if let Some(v) = obj.get(&segments[..k].join(".")) {
            if k == segments.len() {
                return Some(v);
            }
            if let Some(found) = v.as_object().and_then(|o| walk(o, &segments[k..], dotted)) {
                return Some(found);
            }
        }
    }
    None
}

fn prefix(walked: &[&str]) -> String {
    walked.iter().map(|k| format!("{k}.")).collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_and_plain_segments() {
        let p = FieldPath::parse(r#"attributes."http.response.status_code""#).unwrap();
        assert_eq!(p.segments, vec!["attributes", "http.response.status_code"]);
        assert_eq!(FieldPath::parse("a.b.c").unwrap().segments, vec!["a", "b", "c"]);
        assert_eq!(FieldPath::parse("id").unwrap().segments, vec!["id"]);
        assert_eq!(FieldPath::parse(r#""a.b""#).unwrap().segments, vec!["a.b"]);
        assert_eq!(FieldPath::parse(r#"x."q\"uote".y"#).unwrap().segments, vec!["x", "q\"uote", "y"]);
        for bad in ["a..b", ".a", "a.", r#"a."b"#, r#"a."b"c"#] {
            assert!(FieldPath::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn whole_key_first_then_walk() {
        let v: Value = serde_json::json!({"http.status": 1, "http": {"status": 2}, "a": {"b.c": {"d": 3}}});
        let obj = v.as_object().unwrap();
        assert_eq!(FieldPath::parse("http.status").unwrap().lookup(obj), Some(&serde_json::json!(1)));
        assert_eq!(FieldPath::parse(r#"a."b.c".d"#).unwrap().lookup(obj), Some(&serde_json::json!(3)));
        // Unquoted, the dotted key is still found.
        assert_eq!(FieldPath::parse("a.b.c.d").unwrap().lookup(obj), Some(&serde_json::json!(3)));
        assert_eq!(FieldPath::parse("a.b.x").unwrap().lookup(obj), None);
        let miss = FieldPath::parse("a.x").unwrap().explain_miss(obj);
        assert!(miss.contains("`a` has keys `b.c`"), "{miss}");
    }
}
