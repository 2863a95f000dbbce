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
    /// booleans map true -> ok. A number (or a string of digits, as nginx writes `"$status"`) is
    /// a status code: an error when it falls in `error_codes` (by default 5xx) and is not listed
    /// in the ok set.
    pub fn as_status(&self, ok_values: &[String], error_codes: &[(i64, i64)]) -> Option<bool> {
        let numeric =
            |n: i64| Some(ok_values.iter().any(|v| *v == n.to_string()) || !error_codes.iter().any(|&(a, b)| (a..=b).contains(&n)));
        match self {
            Val::Str(s) => {
                let t = trim(s);
                if t.is_empty() {
                    return None;
                }
                if t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()) {
                    return t.parse::<i64>().ok().and_then(numeric);
                }
                Some(ok_values.iter().any(|v| v.eq_ignore_ascii_case(t)))
            }
            Val::Bool(b) => Some(*b),
            Val::I64(i) => numeric(*i),
            Val::F64(f) if f.fract() == 0.0 && f.abs() < 1e15 => numeric(*f as i64),
            _ => None,
        }
    }

    /// An integer exactly: i64 values and strings of digits (OTLP writes nanosecond times as
    /// strings, beyond f64's exact range).
    pub fn as_exact_i64(&self) -> Option<i64> {
        match self {
            Val::I64(i) => Some(*i),
            Val::Str(s) => {
                let t = s.trim();
                let digits = t.strip_prefix('-').unwrap_or(t);
                (!digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok()).flatten()
            }
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
            Val::I64(i) => integer_ts(*i, unit),
            Val::F64(f) => numeric_ts(*f, unit),
            Val::Str(s) => {
                let t = s.trim();
                if t.is_empty() {
                    return None;
                }
                if let Some(i) = self.as_exact_i64() {
                    // Exactly: 19-digit nanosecond times are beyond f64's exact integers.
                    return integer_ts(i, unit);
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

/// [`numeric_ts`] for an integer, in integer arithmetic (floor to the millisecond).
fn integer_ts(i: i64, unit: TimestampUnit) -> Option<(i64, Option<&'static str>)> {
    if i < 0 {
        return None;
    }
    let (ms, name) = match resolve_unit(i as f64, unit) {
        TimestampUnit::S => (i.checked_mul(1000)?, "s"),
        TimestampUnit::Ms | TimestampUnit::Auto => (i, "ms"),
        TimestampUnit::Us => (i / 1000, "us"),
        TimestampUnit::Ns => (i / 1_000_000, "ns"),
    };
    ((ms as f64) < 9.0e15).then_some((ms, Some(name)))
}

/// The unit of a numeric timestamp: `Auto` guesses from the magnitude.
fn resolve_unit(v: f64, unit: TimestampUnit) -> TimestampUnit {
    match unit {
        TimestampUnit::Auto if v < 1e11 => TimestampUnit::S,
        TimestampUnit::Auto if v < 1e14 => TimestampUnit::Ms,
        TimestampUnit::Auto if v < 1e17 => TimestampUnit::Us,
        TimestampUnit::Auto => TimestampUnit::Ns,
        u => u,
    }
}

/// Interprets a number as an epoch timestamp. `Auto` guesses the unit from the magnitude: below
/// 1e11 seconds (1e11 ms is only March 1973), below 1e14 ms, below 1e17 us, else ns.
fn numeric_ts(v: f64, unit: TimestampUnit) -> Option<(i64, Option<&'static str>)> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let (ms, name) = match resolve_unit(v, unit) {
        // Rounded to the microsecond first: 1764460800.123 s is ...800123 ms, not ...800122.9998.
        TimestampUnit::S => ((v * 1e6).round() / 1000.0, "s"),
        TimestampUnit::Ms | TimestampUnit::Auto => (v, "ms"),
        TimestampUnit::Us => (v / 1000.0, "us"),
        TimestampUnit::Ns => (v / 1e6, "ns"),
    };
    (ms < 9.0e15).then(|| (ms.floor() as i64, Some(name)))
}

/// RFC 3339 (with offset or Z, 'T' or ' ' separator); a timestamp without offset is taken as UTC.
/// Also the common log format's `10/Oct/2026:13:55:36 +0000` (nginx `$time_local`, Apache).
pub fn parse_datetime(t: &str) -> Option<i64> {
    utc_millis(t).or_else(|| parse_datetime_utc(t).map(|dt| dt.timestamp_millis()))
}

/// `YYYY-MM-DDTHH:MM:SS[.f]Z` (1-9 fraction digits), the form most exporters write, to
/// milliseconds since 1970 by the civil-date arithmetic of Hinnant's `days_from_civil`, without
/// chrono's general RFC 3339 parser (about 4% of a JSON Lines run's CPU went there).
/// None for anything else, including a leap second, a lowercase `t`/`z` or an impossible date,
/// which then take the general path; where this answers, it answers what chrono does (property
/// test in the tests below).
fn utc_millis(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let digits = |d: &[u8]| d.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')));
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, s) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', f @ ..] if (1..=9).contains(&f.len()) => digits(f)? * 10i64.pow(9 - f.len() as u32),
        _ => return None,
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    // Days since 1970-01-01 (Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + s) * 1000 + nanos / 1_000_000)
}

/// [`parse_datetime`] to nanoseconds since 1970 (span start and end times).
pub fn parse_datetime_ns(t: &str) -> Option<i64> {
    parse_datetime_utc(t).and_then(|dt| dt.timestamp_nanos_opt())
}

fn parse_datetime_utc(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::Utc;
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    if t.len() > 10 && t.as_bytes()[10] == b' ' {
        let fixed = format!("{}T{}", &t[..10], &t[11..]);
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&fixed) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Some(naive.and_utc());
        }
    }
    // Java and log4j: an offset without a colon (+0000), a comma before the fraction (,123).
    if t.len() > 19 && t.as_bytes()[4] == b'-' {
        let fixed = if t.as_bytes()[19] == b',' { Cow::Owned(format!("{}.{}", &t[..19], &t[20..])) } else { Cow::Borrowed(t) };
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&fixed) {
            return Some(dt.with_timezone(&Utc));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
            if let Ok(dt) = chrono::DateTime::parse_from_str(&fixed, fmt) {
                return Some(dt.with_timezone(&Utc));
            }
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(&fixed, fmt) {
                return Some(naive.and_utc());
            }
        }
    }
    if t.len() >= 20 && t.as_bytes().get(2) == Some(&b'/') {
        if let Ok(dt) = chrono::DateTime::parse_from_str(t, "%d/%b/%Y:%H:%M:%S %z") {
            return Some(dt.with_timezone(&Utc));
        }
    }
    None
}

/// A span's duration in ms from its start and end: exact integers (OTLP's nanosecond strings),
/// other numbers, or two date-times. `to_ms` converts a difference of numbers to ms.
pub fn span_duration(start: &Val<'_>, end: &Val<'_>, to_ms: impl Fn(f64) -> f64) -> Option<f64> {
    if let (Some(a), Some(b)) = (start.as_exact_i64(), end.as_exact_i64()) {
        return Some(to_ms(b.checked_sub(a)? as f64));
    }
    if let (Some(a), Some(b)) = (start.as_f64(), end.as_f64()) {
        let d = to_ms(b - a);
        return d.is_finite().then_some(d);
    }
    let ns = |v: &Val<'_>| match v {
        Val::Str(s) => parse_datetime_ns(s.trim()),
        Val::EpochMs(t) => t.checked_mul(1_000_000),
        _ => None,
    };
    let (a, b) = (ns(start)?, ns(end)?);
    Some(b.checked_sub(a)? as f64 / 1e6)
}

/// Parses `columns.error_status_codes`: `5xx` (a class), `429` (a code) or `500-599` (a range).
pub fn status_code_ranges(list: &[String]) -> Result<Vec<(i64, i64)>, String> {
    let mut out = Vec::new();
    for item in list {
        let t = item.trim().to_ascii_lowercase();
        let bad = || {
            format!(
                "columns.error_status_codes: \"{item}\" is not a status code; write a class (\"5xx\"), a code (\"429\") or a range (\"500-599\")."
            )
        };
        let range = if let Some(d) = t.strip_suffix("xx").filter(|d| d.len() == 1) {
            let d: i64 = d.parse().map_err(|_| bad())?;
            (d * 100, d * 100 + 99)
        } else if let Some((a, b)) = t.split_once('-') {
            let (a, b): (i64, i64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
            if a > b {
                return Err(bad());
            }
            (a, b)
        } else {
            let n: i64 = t.parse().map_err(|_| bad())?;
            (n, n)
        };
        out.push(range);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &str) -> Val<'_> {
        Val::Str(Cow::Borrowed(v))
    }

    /// chrono's answer, without the shortcut.
    fn chrono_millis(t: &str) -> Option<i64> {
        parse_datetime_utc(t).map(|dt| dt.timestamp_millis())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Every UTC time from year 0 to 9999, written with 0-9 fraction digits, is read by the
        /// shortcut as chrono reads it; and text near that form (a digit or separator changed,
        /// impossible dates, leap seconds) gets the answer chrono gives.
        #[test]
        fn the_utc_shortcut_reads_what_chrono_reads(
            ms in -62_167_219_200_000i64..253_402_300_800_000,
            nanos in 0u32..1_000_000,
            digits in 0usize..=9,
            at in 0usize..24,
            with in prop::sample::select(&b"0123456789:-.TZtz +9"[..]),
        ) {
            let dt = chrono::DateTime::from_timestamp_millis(ms).unwrap() + chrono::Duration::nanoseconds(i64::from(nanos));
            let mut text = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
            if digits > 0 {
                let frac = format!("{:09}", dt.timestamp_subsec_nanos());
                text.push('.');
                text.push_str(&frac[..digits]);
            }
            text.push('Z');
            prop_assert_eq!(utc_millis(&text), chrono_millis(&text), "{}", text);
            prop_assert!(utc_millis(&text).is_some(), "{}", text);
            let mut bent = text.clone().into_bytes();
            if at < bent.len() {
                bent[at] = with;
            }
            let bent = String::from_utf8(bent).unwrap();
            if let Some(ms) = utc_millis(&bent) {
                prop_assert_eq!(Some(ms), chrono_millis(&bent), "{}", bent);
            }
            prop_assert_eq!(parse_datetime(&bent), chrono_millis(&bent), "{}", bent);
        }
    }

    #[test]
    fn the_utc_shortcut_leaves_impossible_dates_and_leap_seconds_to_chrono() {
        for t in ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z"] {
            assert_eq!(utc_millis(t), None, "{t}");
            assert_eq!(parse_datetime(t), None, "{t}");
        }
        assert_eq!(utc_millis("2024-02-29T12:00:00Z"), chrono_millis("2024-02-29T12:00:00Z"));
        assert_eq!(utc_millis("2000-02-29T00:00:00.5Z"), Some(951_782_400_500));
        assert_eq!(utc_millis("1900-02-28T23:59:59.999999999Z"), chrono_millis("1900-02-28T23:59:59.999999999Z"));
        // A leap second and lowercase separators are chrono's to read.
        assert_eq!(utc_millis("2016-12-31T23:59:60Z"), None);
        assert_eq!(parse_datetime("2016-12-31T23:59:60Z"), chrono_millis("2016-12-31T23:59:60Z"));
        assert_eq!(utc_millis("2026-11-27t00:00:00z"), None);
        assert_eq!(parse_datetime("2026-11-27t00:00:00z"), chrono_millis("2026-11-27t00:00:00z"));
    }

    #[test]
    fn status_codes_are_errors_only_in_the_listed_ranges() {
        let ok = vec!["ok".to_string(), "success".to_string()];
        let fivexx = status_code_ranges(&["5xx".into()]).unwrap();
        assert_eq!(fivexx, vec![(500, 599)]);
        for (v, want) in [
            (Val::I64(200), true),
            (Val::I64(404), true),
            (Val::I64(499), true),
            (Val::I64(500), false),
            (Val::I64(599), false),
            (Val::I64(600), true),
        ] {
            assert_eq!(v.as_status(&ok, &fivexx), Some(want), "{v:?}");
        }
        // Strings of digits are codes; other strings go by the ok set.
        assert_eq!(s("503").as_status(&ok, &fivexx), Some(false));
        assert_eq!(s(" 200 ").as_status(&ok, &fivexx), Some(true));
        assert_eq!(s("OK").as_status(&ok, &fivexx), Some(true));
        assert_eq!(s("200 OK").as_status(&ok, &fivexx), Some(false));
        assert_eq!(s("").as_status(&ok, &fivexx), None);
        assert_eq!(Val::F64(503.0).as_status(&ok, &fivexx), Some(false));
        assert_eq!(Val::F64(503.5).as_status(&ok, &fivexx), None);
        // A code listed in the ok set is a success even inside an error range.
        let ok_503 = vec!["503".to_string()];
        assert_eq!(Val::I64(503).as_status(&ok_503, &fivexx), Some(true));
        // Ranges, single codes and their bounds.
        let r = status_code_ranges(&["429".into(), "500-503".into(), "0".into()]).unwrap();
        assert_eq!(r, vec![(429, 429), (500, 503), (0, 0)]);
        assert_eq!(Val::I64(503).as_status(&ok, &r), Some(false));
        assert_eq!(Val::I64(504).as_status(&ok, &r), Some(true));
        assert_eq!(Val::I64(0).as_status(&ok, &r), Some(false));
        for bad in ["5xy", "xx", "50x", "599-500", "five", "55xx"] {
            assert!(status_code_ranges(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn nanosecond_and_second_timestamps_convert_exactly() {
        use TimestampUnit::*;
        // 19 digits: beyond f64's exact integers, converted in integer arithmetic.
        assert_eq!(s("1764460800123999999").as_epoch_ms(Ns), Some((1_764_460_800_123, Some("ns"))));
        assert_eq!(s("1764460800123999999").as_epoch_ms(Auto), Some((1_764_460_800_123, Some("ns"))));
        assert_eq!(Val::I64(1_764_460_800_123_999).as_epoch_ms(Us), Some((1_764_460_800_123, Some("us"))));
        assert_eq!(Val::I64(1_764_460_800).as_epoch_ms(Auto), Some((1_764_460_800_000, Some("s"))));
        // Seconds with a fraction: rounded to the microsecond before the floor.
        assert_eq!(s("1764460800.123").as_epoch_ms(S), Some((1_764_460_800_123, Some("s"))));
        assert_eq!(Val::F64(1_764_460_800.123).as_epoch_ms(Auto), Some((1_764_460_800_123, Some("s"))));
        assert_eq!(Val::I64(-1).as_epoch_ms(Ms), None);
        assert_eq!(s("10/Oct/2026:13:55:36 +0000").as_epoch_ms(Auto).map(|t| t.0), parse_datetime("2026-10-10T13:55:36Z"));
        assert_eq!(s("10/Oct/2026:15:55:36 +0200").as_epoch_ms(Auto).map(|t| t.0), parse_datetime("2026-10-10T13:55:36Z"));
        // Java and log4j spellings.
        let want = parse_datetime("2026-10-10T13:55:36.123Z");
        assert!(want.is_some());
        for text in [
            "2026-10-10T13:55:36.123+0000",
            "2026-10-10 15:55:36.123+0200",
            "2026-10-10 13:55:36,123",
            "2026-10-10T13:55:36,123Z",
            "2026-10-10 13:55:36,123+0000",
        ] {
            assert_eq!(parse_datetime(text), want, "{text}");
        }
        assert_eq!(parse_datetime("2026-10-10 13:55:36,abc"), None);
    }

    #[test]
    fn span_durations_from_numbers_and_times() {
        use crate::policy::LatencyUnit;
        let ns = |v| LatencyUnit::Ns.to_ms(v);
        assert_eq!(span_duration(&s("1764460800009000000"), &s("1764460800021000000"), ns), Some(12.0));
        // One nanosecond apart at 1.7e18: exact.
        assert_eq!(span_duration(&s("1764460800000000000"), &s("1764460800000000001"), ns), Some(1e-6));
        assert_eq!(span_duration(&Val::I64(1000), &Val::I64(1500), |v| LatencyUnit::Us.to_ms(v)), Some(0.5));
        assert_eq!(span_duration(&Val::F64(1.5), &Val::F64(1.512), |v| LatencyUnit::S.to_ms(v)), Some(12.0));
        assert_eq!(span_duration(&s("2026-10-10T13:55:36.000Z"), &s("2026-10-10T13:55:36.012500Z"), ns), Some(12.5));
        // End before start: a negative duration (the normalizer rejects it and says so).
        assert_eq!(span_duration(&Val::I64(2000), &Val::I64(1000), ns), Some(-0.001));
        assert_eq!(span_duration(&Val::Absent, &Val::I64(1000), ns), None);
        assert_eq!(span_duration(&s("x"), &s("y"), ns), None);
        assert_eq!(LatencyUnit::S.to_ms(0.012), 12.0);
        assert_eq!(LatencyUnit::Us.to_ms(12_000.0), 12.0);
    }
}
