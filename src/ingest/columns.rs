//! Column storage for normalized rows. Correlation ids are stored back to back in one buffer
//! ([`StrCol`]); results, error codes and segment values repeat a lot and are dictionary-encoded
//! ([`DictCol`]). At 10M rows per version this is a handful of allocations per column instead of
//! one `String` per row per field, which was a third of the run time (page faults and allocator
//! work) and most of the memory.
//!
//! Hand-written because the pieces we need are small and mutable in ways Arrow's arrays are not:
//! a dictionary that interns while parts merge, and ids appended part by part without a builder
//! per column.

use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// Strings back to back: `data[ends[i-1]..ends[i]]` is value i.
#[derive(Debug, Default, Clone)]
pub struct StrCol {
    data: String,
    ends: Vec<u64>,
}

impl StrCol {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// Room for `rows` more values, where the allocator grants it (see [`crate::ingest::Requests::reserve`]);
    /// the text buffer grows by the average length seen so far (or 24 bytes per value before any).
    pub fn reserve(&mut self, rows: usize) {
        let avg = if self.ends.is_empty() { 24 } else { self.data.len() / self.ends.len() + 1 };
        let _ = self.ends.try_reserve(rows);
        let _ = self.data.try_reserve(rows.saturating_mul(avg));
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Removes every value, keeping the allocations.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len() as u64);
    }
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }
    /// Moves every value of `other` to the end of this column.
    pub fn append(&mut self, other: &StrCol) {
        let base = self.data.len() as u64;
        self.data.push_str(&other.data);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrCol {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut c = StrCol::default();
        for s in iter {
            c.push(s.as_ref());
        }
        c
    }
}

/// Code of a missing value in a [`DictCol`].
pub const NONE: u32 = u32::MAX;

/// Whether code `c1` of one column and `c2` of another stand for different values (one missing
/// and not the other counts), given `same` = the first column's [`DictCol::codes_in`] the other:
/// a comparison of codes, not of texts. A value the other column lacks differs from every value
/// there, and from a missing one.
pub fn codes_differ(c1: u32, c2: u32, same: &[u32]) -> bool {
    match (c1, c2) {
        (NONE, c2) => c2 != NONE,
        (c1, c2) => c2 == NONE || same[c1 as usize] != c2,
    }
}

/// Dictionary-encoded optional strings: `codes[i]` indexes `values`, or is [`NONE`].
#[derive(Debug, Default, Clone)]
pub struct DictCol {
    pub codes: Vec<u32>,
    values: Vec<String>,
    /// Hash of a value -> its first code; `next` chains values whose hashes collide.
    index: FxHashMap<u64, u32>,
    next: Vec<u32>,
}

fn hash_str(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

impl DictCol {
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&str> {
        match self.codes[i] {
            NONE => None,
            c => Some(&self.values[c as usize]),
        }
    }
    /// Removes every row and value, keeping the allocations.
    pub fn clear(&mut self) {
        self.codes.clear();
        self.values.clear();
        self.index.clear();
        self.next.clear();
    }
    /// The code of `s`, if the dictionary has it.
    pub fn code_of(&self, s: &str) -> Option<u32> {
        let mut c = *self.index.get(&hash_str(s))?;
        loop {
            if self.values[c as usize] == s {
                return Some(c);
            }
            match self.next[c as usize] {
                NONE => return None,
                n => c = n,
            }
        }
    }
    /// For each code of this dictionary, the code of the same text in `other` (or [`NONE`]):
    /// equal texts of two columns compare as codes.
    pub fn codes_in(&self, other: &DictCol) -> Vec<u32> {
        self.values.iter().map(|v| other.code_of(v).unwrap_or(NONE)).collect()
    }
    /// The code of `s`, adding it to the dictionary if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = hash_str(s);
        let mut tail = None;
        if let Some(&first) = self.index.get(&h) {
            let mut c = first;
            loop {
                if self.values[c as usize] == s {
                    return c;
                }
                match self.next[c as usize] {
                    NONE => break,
                    n => c = n,
                }
            }
            tail = Some(c);
        }
        let code = self.values.len() as u32;
        self.values.push(s.to_string());
        self.next.push(NONE);
        match tail {
            Some(t) => self.next[t as usize] = code,
            None => {
                self.index.insert(h, code);
            }
        }
        code
    }
    pub fn push(&mut self, s: Option<&str>) {
        let code = match s {
            Some(s) => self.intern(s),
            None => NONE,
        };
        self.codes.push(code);
    }
    /// Pushes an already-interned code (from [`DictCol::intern`] on this column).
    pub fn push_code(&mut self, code: u32) {
        self.codes.push(code);
    }
    /// Moves every row of `other` (with its own dictionary) to the end of this column.
    pub fn append(&mut self, other: &DictCol) {
        let remap: Vec<u32> = other.values.iter().map(|v| self.intern(v)).collect();
        self.codes.extend(other.codes.iter().map(|&c| if c == NONE { NONE } else { remap[c as usize] }));
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for DictCol {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
        let mut c = DictCol::default();
        for s in iter {
            c.push(s.as_ref().map(|s| s.as_ref()));
        }
        c
    }
}

/// Stored value of a missing entry in a [`NumCol`] held as decimals.
const MISSING: i32 = i32::MIN;
/// The most decimal places a [`NumCol`] stores as an integer (microseconds of a millisecond
/// column, a millionth of a megabyte).
const MAX_PLACES: u8 = 6;
const POW10: [f64; MAX_PLACES as usize + 1] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];

/// Optional numbers (NaN where missing), such as the per-request resource columns. Exported
/// values have a fixed number of decimals (bytes as integers, CPU milliseconds to 0.01, memory
/// to 0.1 MB), so while every value so far equals `k / 10^places` exactly for an `i32` k, the
/// column holds k in 4 bytes instead of the `f64` in 8 (at 10M requests per version, 240 MB
/// less for the three resource columns). The first value that does not round-trip bit for bit
/// turns the column into plain `f64`s, so [`NumCol::get`] always returns the value pushed.
///
/// Exact because `k / 10^p` (both exact doubles) is the double nearest the decimal k·10^-p;
/// each value is checked when pushed, and a change of places multiplies the stored integers
/// (exactly, or the column widens), which leaves that decimal, and so the double, unchanged.
#[derive(Debug, Clone)]
pub enum NumCol {
    /// `values[i] / 10^places`, [`MISSING`] for NaN.
    Decimal {
        values: Vec<i32>,
        places: u8,
    },
    Wide(Vec<f64>),
}

impl NumCol {
    /// `v` as a short decimal `k / 10^places` (the fewest places up to six) that stands for
    /// exactly `v`, if there is one.
    pub fn decimal_of(v: f64) -> Option<(i32, u8)> {
        as_decimal(v, 0)
    }

    /// The double a stored decimal `k` at `places` stands for, as [`NumCol::get`] gives it.
    pub fn decimal_value(k: i32, places: u8) -> f64 {
        k as f64 / POW10[(places as usize).min(POW10.len() - 1)]
    }
}

impl Default for NumCol {
    fn default() -> Self {
        NumCol::Decimal { values: Vec::new(), places: 0 }
    }
}

/// `x.round()` (half away from zero) without the libm call that `round` compiles to on baseline
/// x86-64 (no SSE4.1): below 2^52 in magnitude by truncation and the exact fraction, above it
/// every double is already an integer (and NaN and the infinities are returned as they are).
#[inline]
fn round_half_away(x: f64) -> f64 {
    if x.abs() < 4_503_599_627_370_496.0 {
        let t = x as i64 as f64;
        let f = x - t;
        if f >= 0.5 {
            t + 1.0
        } else if f <= -0.5 {
            t - 1.0
        } else {
            // Keeps the sign of a zero, as `round` does (-0.3 rounds to -0.0).
            t.copysign(x)
        }
    } else {
        x
    }
}

/// `v` as `k / 10^p` for an `i32` k, if it is exactly that.
#[inline]
fn decimal_at(v: f64, p: u8) -> Option<i32> {
    let k = round_half_away(v * POW10[p as usize]);
    // The range excludes i32::MIN, which stands for a missing value. The check divides the
    // integer as stored, so -0.0 (stored as 0, read as +0.0) is not taken for a decimal.
    let fits = k.abs() <= i32::MAX as f64;
    (fits && (f64::from(k as i32) / POW10[p as usize]).to_bits() == v.to_bits()).then_some(k as i32)
}

/// `v` as `k / 10^p` with the fewest places p from `min` up, if any up to [`MAX_PLACES`].
fn as_decimal(v: f64, min: u8) -> Option<(i32, u8)> {
    (min..=MAX_PLACES).find_map(|p| decimal_at(v, p).map(|k| (k, p)))
}

impl NumCol {
    pub fn len(&self) -> usize {
        match self {
            NumCol::Decimal { values, .. } => values.len(),
            NumCol::Wide(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Room for `rows` more values, where the allocator grants it.
    pub fn reserve(&mut self, rows: usize) {
        let _ = match self {
            NumCol::Decimal { values, .. } => values.try_reserve(rows),
            NumCol::Wide(v) => v.try_reserve(rows),
        };
    }
    /// Removes every value, keeping the allocation; the column starts as decimals again.
    pub fn clear(&mut self) {
        match self {
            NumCol::Decimal { values, places } => {
                values.clear();
                *places = 0;
            }
            NumCol::Wide(v) => {
                let mut values = std::mem::take(v);
                values.clear();
                // The f64 buffer's capacity holds twice as many i32s.
                *self = NumCol::Decimal { values: Vec::with_capacity(values.capacity() * 2), places: 0 };
            }
        }
    }
    pub fn get(&self, i: usize) -> f64 {
        match self {
            NumCol::Decimal { values, places } => match values[i] {
                MISSING => f64::NAN,
                k => k as f64 / POW10[*places as usize],
            },
            NumCol::Wide(v) => v[i],
        }
    }
    /// The values at `idx`, in that order.
    pub fn pick(&self, idx: &[u32]) -> Vec<f64> {
        idx.iter().map(|&i| self.get(i as usize)).collect()
    }
    /// Appends `v` (NaN: missing).
    #[inline]
    pub fn push(&mut self, v: f64) {
        if let NumCol::Decimal { values, places } = self {
            // The usual case first, inlined: a decimal at the column's places.
            if let Some(k) = decimal_at(v, *places) {
                values.push(k);
                return;
            }
        }
        self.push_other(v);
    }

    /// [`NumCol::push`] for a missing value, one that needs more places, or a wide column.
    fn push_other(&mut self, v: f64) {
        if let NumCol::Decimal { values, places } = self {
            if v.is_nan() {
                values.push(MISSING);
                return;
            }
            match as_decimal(v, *places) {
                Some((k, p)) if p == *places => {
                    values.push(k);
                    return;
                }
                Some((k, p)) => {
                    if self.set_places(p) {
                        if let NumCol::Decimal { values, .. } = self {
                            values.push(k);
                            return;
                        }
                    }
                }
                None => self.widen(),
            }
        }
        if let NumCol::Wide(w) = self {
            w.push(v);
        }
    }
    /// Converts to `f64`s.
    fn widen(&mut self) {
        if let NumCol::Decimal { values, places } = self {
            let s = POW10[*places as usize];
            let wide = values.iter().map(|&k| if k == MISSING { f64::NAN } else { k as f64 / s }).collect();
            *self = NumCol::Wide(wide);
        }
    }
    /// Rescales the stored decimals to `to` places (more than now); false (and widened) if a
    /// value does not fit an `i32` at that scale.
    fn set_places(&mut self, to: u8) -> bool {
        let NumCol::Decimal { values, places } = self else {
            return false;
        };
        let f = 10i32.pow((to - *places) as u32);
        let fits = values.iter().all(|&k| k == MISSING || k.checked_mul(f).is_some_and(|x| x != MISSING));
        if !fits {
            self.widen();
            return false;
        }
        for k in values.iter_mut().filter(|k| **k != MISSING) {
            *k *= f;
        }
        *places = to;
        true
    }
    /// Appends every value of `other`.
    pub fn append(&mut self, other: &NumCol) {
        if let (NumCol::Decimal { places: p, .. }, NumCol::Decimal { values: theirs, places: q }) = (&*self, other) {
            let to = (*p).max(*q);
            if (to == *p || self.set_places(to)) && to > *q {
                let f = 10i32.pow((to - q) as u32);
                if let NumCol::Decimal { values, .. } = self {
                    let start = values.len();
                    for &k in theirs {
                        match k {
                            MISSING => values.push(MISSING),
                            k => match k.checked_mul(f).filter(|&x| x != MISSING) {
                                Some(x) => values.push(x),
                                None => {
                                    values.truncate(start);
                                    break;
                                }
                            },
                        }
                    }
                    if values.len() == start + theirs.len() {
                        return;
                    }
                }
                self.widen();
            } else if let NumCol::Decimal { values, .. } = self {
                values.extend_from_slice(theirs);
                return;
            }
        }
        self.widen();
        if let NumCol::Wide(w) = self {
            w.extend((0..other.len()).map(|i| other.get(i)));
        }
    }
}

impl FromIterator<f64> for NumCol {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut c = NumCol::default();
        for v in iter {
            c.push(v);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits(c: &NumCol) -> Vec<u64> {
        (0..c.len()).map(|i| c.get(i).to_bits()).collect()
    }

    fn places(c: &NumCol) -> Option<u8> {
        match c {
            NumCol::Decimal { places, .. } => Some(*places),
            NumCol::Wide(_) => None,
        }
    }

    #[test]
    fn decimals_are_stored_in_four_bytes_and_read_back_bit_for_bit() {
        let values = [36.79, 199.3, 2019.0, 0.0, -12.5, 87.391, f64::NAN, 1e-6, 2147.483647, -2147.483647];
        let c: NumCol = values.iter().copied().collect();
        assert_eq!(places(&c), Some(6), "1e-6 needs six places, and 2019 still fits at six");
        for (i, v) in values.iter().enumerate() {
            assert_eq!(c.get(i).to_bits(), v.to_bits(), "value {i}: {v}");
        }
        // Places only grow as far as the values need.
        let c: NumCol = [2019.0, 1590.0, 36.7].into_iter().collect();
        assert_eq!(places(&c), Some(1));
        assert_eq!(c.pick(&[2, 0]), vec![36.7, 2019.0]);
    }

    #[test]
    fn a_value_without_a_short_decimal_turns_the_column_into_doubles() {
        for odd in [0.1 + 0.2, 1e-7, 1e10, -0.0, f64::MAX, f64::MIN_POSITIVE, 3.0e9, -2147483648.0, 2147.4836475] {
            let values = [1.5, f64::NAN, odd, 7.25];
            let c: NumCol = values.into_iter().collect();
            assert_eq!(places(&c), None, "{odd}");
            assert_eq!(bits(&c), values.map(f64::to_bits), "{odd}");
        }
        // Stored at one place, 1e9 fits; at two (for 0.25) it does not: the column widens.
        let values = [1e9, 0.5, 0.25];
        let c: NumCol = values.into_iter().collect();
        assert_eq!(places(&c), None);
        assert_eq!(bits(&c), values.map(f64::to_bits));
        // A value that would scale to i32::MIN, the missing marker, is not stored as one.
        let c: NumCol = [214748364.7, -214748364.8].into_iter().collect();
        assert_eq!(places(&c), None);
        assert_eq!(c.get(1), -214748364.8);
    }

    #[test]
    fn rounding_is_f64_round_at_the_edges() {
        let edges = [
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            -0.3,
            -0.0,
            0.0,
            2147483647.5,
            -2147483648.5,
            4503599627370495.5,
            4503599627370496.0,
            -4503599627370497.0,
            9.3e18,
            -9.3e18,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::EPSILON,
        ];
        for x in edges {
            assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
        }
        assert!(round_half_away(f64::NAN).is_nan());
    }

    proptest! {
        #[test]
        fn rounding_is_f64_round(bits in any::<u64>(), x in -1e7f64..1e7) {
            let y = f64::from_bits(bits);
            prop_assert!(round_half_away(y).to_bits() == y.round().to_bits() || y.is_nan());
            prop_assert_eq!(round_half_away(x).to_bits(), x.round().to_bits());
            prop_assert_eq!(round_half_away(x * 100.0).to_bits(), (x * 100.0).round().to_bits());
        }
    }

    #[test]
    fn clear_starts_over_as_decimals() {
        let mut c: NumCol = [0.1 + 0.2].into_iter().collect();
        assert_eq!(places(&c), None);
        c.clear();
        assert!(c.is_empty());
        c.push(2.5);
        assert_eq!((places(&c), c.get(0)), (Some(1), 2.5));
        c.clear();
        c.push(3.0);
        assert_eq!(places(&c), Some(0));
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-100_000i64..100_000, 0u32..4).prop_map(|(k, p)| k as f64 / 10f64.powi(p as i32)),
            (-2_000_000_000i64..2_000_000_000).prop_map(|k| k as f64),
            Just(f64::NAN),
            any::<f64>(),
        ]
    }

    proptest! {
        /// However values are split into parts and appended, the column reads back what was
        /// pushed, bit for bit, and holds decimals unless some value has no short decimal.
        #[test]
        fn parts_appended_read_back_as_pushed(values in prop::collection::vec(value(), 0..60), cuts in prop::collection::vec(0usize..60, 0..4)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
            cuts.sort_unstable();
            let mut whole = NumCol::default();
            let mut at = 0;
            for end in cuts.into_iter().chain([values.len()]) {
                let part: NumCol = values[at..end].iter().copied().collect();
                whole.append(&part);
                at = end;
            }
            let pushed: NumCol = values.iter().copied().collect();
            let want: Vec<u64> = values.iter().map(|v| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() }).collect();
            prop_assert_eq!(bits(&whole), want.clone());
            prop_assert_eq!(bits(&pushed), want);
            prop_assert_eq!(places(&whole).is_some(), places(&pushed).is_some());
        }
    }
}
