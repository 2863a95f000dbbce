//! A raw value as a reader found it, and its conversions to the normalized fields.

use crate::policy::TimestampUnit;
use std::borrow::Cow;

/// `s.trim()`, answering without the Unicode scan when both ends are visible ASCII (the usual
/// case: ids, statuses and results rarely carry padding).
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// One raw cell.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// The column (or JSON key) does not exist for this row.
    Absent,
    Null,
    Str(Cow<'a, str>),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// Already a timestamp (Parquet/Arrow temporal types), in epoch milliseconds.
    EpochMs(i64),
    /// A JSON value (JSON Lines: objects, arrays and everything else as parsed), borrowed from
    /// a parsed line or owned by a reader that built only this value.
    Json(Cow<'a, serde_json::Value>),
}

impl<'a> Val<'a> {
    /// Converts a JSON value into the matching scalar variant where there is one.
    pub fn from_json(v: Option<&'a serde_json::Value>) -> Val<'a> {
        use serde_json::Value as J;
        match v {
            None => Val::Absent,
            Some(J::Null) => Val::Null,
            Some(J::String(s)) => Val::Str(Cow::Borrowed(s.as_str())),
            Some(J::Bool(b)) => Val::Bool(*b),
            Some(J::Number(n)) => match n.as_i64() {
                Some(i) => Val::I64(i),
                None => n.as_f64().map_or(Val::Json(Cow::Borrowed(v.unwrap_or(&J::Null))), Val::F64),
            },
            Some(other) => Val::Json(Cow::Borrowed(other)),
        }
    }

    /// A short description for rejection details.
    pub fn describe(&self) -> String {
        match self {
            Val::Absent => "missing".into(),
            Val::Null => "null".into(),
            Val::Str(s) if s.trim().is_empty() => "empty".into(),
            Val::Str(s) => {
                let mut t: String = s.chars().take(60).collect();
                if s.chars().count() > 60 {
                    t.push('…');
                }
                format!("{t:?}")
            }
            Val::I64(i) => i.to_string(),
            Val::F64(f) => f.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::EpochMs(t) => format!("{t} ms"),
            Val::Json(j) => {
                let kind = match j.as_ref() {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::Object(_) => "an object",
                    _ => "a JSON value",
                };
                kind.into()
            }
        }
    }

    /// A correlation id: a non-empty string (trimmed) or an integer.
    pub fn as_id(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Str(s) => {
                let t = trim(s);
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Val::I64(i) => Some(Cow::Owned(i.to_string())),
            Val::F64(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(Cow::Owned(format!("{}", *f as i64))),
            _ => None,
        }
    }

    /// A number; numeric strings are accepted ("12.5"), strings with units are not ("12ms").
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::I64(i) => Some(*i as f64),
            Val::F64(f) => Some(*f),
            Val::Str(s) => {
                let t = s.trim();
                // Rust accepts "inf"/"nan"/"infinity"; those are not latencies.
                if t.is_empty() || t.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') {
                    None
                } else {
                    t.parse::<f64>().ok()
                }
            }
            _ => None,
        }
    }

    /// Text for optional string fields (error code, segment values).
    pub fn as_text(&self) -> Option<String> {
        self.text().map(Cow::into_owned)
    }

    /// [`Val::as_text`] without copying a string that is already there.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Absent | Val::Null => None,
            Val::Str(s) => {
                let t = trim(s);
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Val::I64(i) => Some(Cow::Owned(i.to_string())),
            Val::F64(f) => Some(Cow::Owned(f.to_string())),
            Val::Bool(b) => Some(Cow::Owned(b.to_string())),
            Val::EpochMs(t) => Some(Cow::Owned(t.to_string())),
            Val::Json(j) => Some(Cow::Owned(crate::metrics::canonical::canonical_string(j))),
        }
    }

    /// Status: a string in the ok set means success, any other non-empty string an error;
    /// booleans map true -> ok; numbers are HTTP-like codes (2xx ok) unless listed in the ok set.
    pub fn as_status(&self, ok_values: &[String]) -> Option<bool> {
        match self {
            Val::Str(s) => {
                let t = trim(s);
                if t.is_empty() {
                    return None;
                }
                Some(ok_values.iter().any(|v| v.eq_ignore_ascii_case(t)))
            }
            Val::Bool(b) => Some(*b),
            Val::I64(i) => Some(ok_values.iter().any(|v| *v == i.to_string()) || (200..300).contains(i)),
            _ => None,
        }
    }

    /// Canonical JSON text of a result: objects and arrays canonicalized, a string that holds JSON
    /// parsed first, any other string kept as a JSON string.
    pub fn as_canonical_json(&self) -> Option<String> {
        use crate::metrics::canonical::{canonical_str, canonical_string};
        match self {
            Val::Absent | Val::Null => None,
            Val::Json(j) => Some(canonical_string(j)),
            Val::Str(s) => Some(canonical_str(s)),
            Val::I64(i) => Some(i.to_string()),
            Val::F64(f) => Some(canonical_string(&serde_json::json!(f))),
            Val::Bool(b) => Some(b.to_string()),
            Val::EpochMs(t) => Some(t.to_string()),
        }
    }

    /// Epoch milliseconds and, for numeric input, the unit it was read in.
    pub fn as_epoch_ms(&self, unit: TimestampUnit) -> Option<(i64, Option<&'static str>)> {
        match self {
            Val::EpochMs(t) => Some((*t, None)),
            Val::I64(i) => numeric_ts(*i as f64, unit),
            Val::F64(f) => numeric_ts(*f, unit),
            Val::Str(s) => {
                let t = s.trim();
                if t.is_empty() {
                    return None;
                }
                if t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
                    return t.parse::<f64>().ok().and_then(|v| numeric_ts(v, unit));
                }
                parse_datetime(t).map(|ms| (ms, None))
            }
            _ => None,
        }
    }
}

/// Interprets a number as an epoch timestamp. `Auto` guesses the unit from the magnitude: below
/// 1e11 seconds (1e11 ms is only March 1973), below 1e14 ms, below 1e17 us, else ns.
fn numeric_ts(v: f64, unit: TimestampUnit) -> Option<(i64, Option<&'static str>)> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let unit = match unit {
        TimestampUnit::Auto if v < 1e11 => TimestampUnit::S,
        TimestampUnit::Auto if v < 1e14 => TimestampUnit::Ms,
        TimestampUnit::Auto if v < 1e17 => TimestampUnit::Us,
        TimestampUnit::Auto => TimestampUnit::Ns,
        u => u,
    };
    let (ms, name) = match unit {
        TimestampUnit::S => (v * 1000.0, "s"),
        TimestampUnit::Ms | TimestampUnit::Auto => (v, "ms"),
        TimestampUnit::Us => (v / 1000.0, "us"),
        TimestampUnit::Ns => (v / 1e6, "ns"),
    };
    (ms < 9.0e15).then(|| (ms.floor() as i64, Some(name)))
}

/// RFC 3339 (with offset or Z, 'T' or ' ' separator); a timestamp without offset is taken as UTC.
pub fn parse_datetime(t: &str) -> Option<i64> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    if t.len() > 10 && t.as_bytes()[10] == b' ' {
        let fixed = format!("{}T{}", &t[..10], &t[11..]);
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&fixed) {
            return Some(dt.timestamp_millis());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Some(naive.and_utc().timestamp_millis());
        }
    }
    None
}
