//! Mergeable summaries of latencies: the statistics of [`crate::metrics::latency`] from structures
//! of bounded size that can be built one partition of the input at a time and added together, for
//! inputs whose latencies do not fit in memory (issue 13: 300M pairs in 8 GB).
//!
//! Each summary rounds values to a fixed grid and keeps counts per grid cell, so that merging is
//! adding counts: the same multiset of rounded values gives the same summary in any order and any
//! partitioning (tested). Every statistic is then computed *exactly for the rounded values*, with
//! the same formulas as the in-memory function (shared code where the formula is more than a line),
//! and the rounding error is bounded:
//!
//! - [`LogHistogram`] (latencies in ms, values >= 0): geometric cells of ratio
//!   gamma = (1 + a) / (1 - a), the representative 2 gamma^i / (gamma + 1) of cell
//!   (gamma^(i-1), gamma^i] is within a relative `a` of every value in it (the DDSketch grid;
//!   Masson, Rim & Lee 2019). Rounding is monotone, so the k-th smallest rounded value is the
//!   rounded k-th smallest value, and a type-7 quantile (a convex combination of two order
//!   statistics) is within a relative `a` of the exact one. The order-statistic interval's bounds
//!   are taken at the *edges* of their cells, so the interval contains the exact data's interval.
//! - [`SignedHistogram`] (per-pair log ratios, any sign): cells of width w around multiples of w;
//!   every value moves by at most w/2, so every Walsh average does too, and so does every order
//!   statistic of the Walsh averages: the Hodges-Lehmann estimate and both bounds are within w/2
//!   of the exact ones, and [`SignedHistogram::hodges_lehmann_widened`] contains the exact
//!   interval. Rounding keeps each difference's sign and is symmetric about 0, so the signed-rank
//!   test of the rounded differences is itself a valid test of symmetry about 0 (its p-value is
//!   not the exact data's; zeros after rounding are dropped, as exact zeros are).
//! - [`batch_means_ratio`]: the batch-means interval of a quantile ratio from per-batch
//!   [`LogHistogram`]s, widened by the rounding's worst effect on its centre and its standard
//!   deviation.
//! - [`PairMoments`] and [`Moments`]: counts, means and centred sums of squares and products,
//!   merged exactly by Chan, Golub & LeVeque's (1979) update; the means and variances they give
//!   equal the two-pass ones up to floating-point rounding (~1e-15 relative), not bit for bit.
//!
//! Whole samples use [`RELATIVE_ACCURACY`] = 0.01% (a histogram from 1 us to 10^5 ms has ~92,000
//! cells, 740 KB); the 50 batch-means batches of both versions a grid [`BATCH_COARSENING`] times
//! coarser (~0.1%, 74 KB each, ~7.4 MB in all), located once on the fine grid.

use super::nonparametric::{signed_rank_of_groups, walsh_ranks, RankTest};
use super::quantile::{interpolate, order_statistic_ranks, type7_ranks};
use super::resample::{batch_means_interval, delta_ratio, t_two_sided, RatioInterval, DELTA_UNDEFINED};
use super::Interval;

/// Relative accuracy of the latency summaries of whole samples: 0.01%, a five-hundredth of the
/// tightest default gate margin (5%). A histogram from 1 us to 10^5 ms has ~92,000 cells
/// (740 KB).
pub const RELATIVE_ACCURACY: f64 = 1e-4;

/// How many cells of the whole samples' grid make one cell of a batch's: batches only give a
/// spread, and 100 of them are kept, so they are 10 times coarser (relative accuracy ~0.1%,
/// ~9,200 cells, 74 KB each).
pub const BATCH_COARSENING: i64 = 10;

/// Relative slack on cell edges: a value within ~1e-13 of an edge may be counted in the cell next
/// to it (the cell index is computed through a logarithm), so the edges that bound an interval
/// are moved out by this much.
const EDGE_SLACK: f64 = 1e-12;

/// Counts by cell index: a dense run of cells that grows as values arrive but only inside a
/// fixed window (`lo..hi`, where values are expected), and a sorted map for cells outside it, so
/// that memory follows the occupied cells, not the range of the values (a latency of 1e300 ms
/// costs one map entry, not millions of empty cells).
#[derive(Debug, Clone)]
struct CellCounts {
    lo: i64,
    hi: i64,
    /// `dense[k]` counts cell `offset + k`; `offset..offset + dense.len()` lies in `lo..hi`.
    offset: i64,
    dense: Vec<u64>,
    far: std::collections::BTreeMap<i64, u64>,
}

impl CellCounts {
    fn new(lo: i64, hi: i64) -> CellCounts {
        CellCounts { lo, hi, offset: lo, dense: Vec::new(), far: std::collections::BTreeMap::new() }
    }

    fn bump(&mut self, i: i64, c: u64) {
        if i < self.lo || i >= self.hi {
            *self.far.entry(i).or_insert(0) += c;
            return;
        }
        if self.dense.is_empty() {
            self.offset = i;
            self.dense.push(0);
        } else if i < self.offset {
            // grow downwards by at least the current length (amortized), not below lo
            let start = (self.offset - (self.offset - i).max(self.dense.len() as i64)).max(self.lo);
            let grow = (self.offset - start) as usize;
            let mut dense = vec![0; grow + self.dense.len()];
            dense[grow..].copy_from_slice(&self.dense);
            self.dense = dense;
            self.offset = start;
        } else if i >= self.offset + self.dense.len() as i64 {
            let need = (i - self.offset + 1) as usize;
            let len = need.max(2 * self.dense.len()).min((self.hi - self.offset) as usize);
            self.dense.resize(len, 0);
        }
        self.dense[(i - self.offset) as usize] += c;
    }

    /// The occupied cells in ascending order of index, with their counts.
    fn iter(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        let dense = self.dense.iter().enumerate().filter(|(_, c)| **c > 0).map(|(k, &c)| (self.offset + k as i64, c));
        self.far.range(..self.lo).map(|(&i, &c)| (i, c)).chain(dense).chain(self.far.range(self.hi..).map(|(&i, &c)| (i, c)))
    }

    fn merge(&mut self, other: &CellCounts) {
        for (i, c) in other.iter() {
            self.bump(i, c);
        }
    }
}

/// Counts of non-negative values in geometric cells of relative accuracy `alpha` (see the module
/// documentation), plus a cell for exact zeros.
/// Equality of two histograms is best checked through [`LogHistogram::cells`]: the dense range
/// they store may differ in length for the same counts.
#[derive(Debug, Clone)]
pub struct LogHistogram {
    alpha: f64,
    ln_gamma: f64,
    /// For a histogram made by [`LogHistogram::coarsened`]: the finer grid's ln gamma and how
    /// many of its cells make one of this one's, so that a [`Place`] located on the finer grid
    /// is counted here without another logarithm.
    finer: Option<(f64, i64)>,
    zeros: u64,
    counts: CellCounts,
    n: u64,
}

/// The window of cells a [`LogHistogram`] keeps dense: latencies from 1 ns to 10^9 ms (11.6
/// days); values outside it are counted too, in a sparse map.
fn latency_window(ln_gamma: f64) -> CellCounts {
    CellCounts::new((1e-6f64.ln() / ln_gamma).floor() as i64, (1e9f64.ln() / ln_gamma).ceil() as i64 + 1)
}

/// One cell of a [`LogHistogram`] as an order statistic sees it: the representative value every
/// value of the cell is rounded to, and the cell's edges (with [`EDGE_SLACK`]), which contain
/// every value counted in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The cell a value falls in ([`LogHistogram::locate`]), on the grid that located it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// None for the zeros.
    index: Option<i64>,
    ln_gamma: f64,
}

impl LogHistogram {
    /// An empty histogram; `alpha` in (0, 0.5).
    pub fn new(alpha: f64) -> LogHistogram {
        assert!(alpha > 0.0 && alpha < 0.5, "relative accuracy {alpha} outside (0, 0.5)");
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        let ln_gamma = gamma.ln();
        LogHistogram { alpha, ln_gamma, finer: None, zeros: 0, counts: latency_window(ln_gamma), n: 0 }
    }

    /// An empty histogram whose cells are `factor` cells of this one's grid: gamma^factor, so
    /// relative accuracy tanh(factor ln(gamma) / 2), about `factor` times coarser. A value
    /// located on this grid ([`LogHistogram::locate`]) is counted there by an integer division
    /// (cell i of this grid lies in cell ceil(i / factor) of that one).
    pub fn coarsened(&self, factor: i64) -> LogHistogram {
        assert!(factor >= 1, "coarsening factor {factor}");
        let ln_gamma = self.ln_gamma * factor as f64;
        let alpha = (ln_gamma / 2.0).tanh();
        LogHistogram { alpha, ln_gamma, finer: Some((self.ln_gamma, factor)), zeros: 0, counts: latency_window(ln_gamma), n: 0 }
    }

    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Values counted.
    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The cell index of a positive finite value: ceil(ln x / ln gamma).
    fn index(&self, x: f64) -> i64 {
        (x.ln() / self.ln_gamma).ceil() as i64
    }

    fn cell(&self, index: i64) -> Cell {
        let upper = (index as f64 * self.ln_gamma).exp();
        let lower = ((index - 1) as f64 * self.ln_gamma).exp();
        // 2 gamma^i / (gamma + 1) = gamma^i (1 - a)
        Cell { value: upper * (1.0 - self.alpha), lower: lower * (1.0 - EDGE_SLACK), upper: upper * (1.0 + EDGE_SLACK) }
    }

    /// The value `x` is counted as: its cell's representative (0 for 0). NaN for a value the
    /// histogram does not take (negative, infinite or NaN).
    pub fn rounded(&self, x: f64) -> f64 {
        if x == 0.0 {
            0.0
        } else if x > 0.0 && x.is_finite() {
            self.cell(self.index(x)).value
        } else {
            f64::NAN
        }
    }

    /// Counts `x`; false (and not counted) when it is negative, infinite or NaN.
    pub fn add(&mut self, x: f64) -> bool {
        match self.locate(x) {
            Some(place) => {
                self.add_at(place);
                true
            }
            None => false,
        }
    }

    /// Where `x` is counted (None for a value the histogram does not take), so that one value
    /// can be counted in several histograms of the same accuracy (the whole sample and a batch)
    /// with one logarithm.
    pub fn locate(&self, x: f64) -> Option<Place> {
        if x == 0.0 {
            Some(Place { index: None, ln_gamma: self.ln_gamma })
        } else if x > 0.0 && x.is_finite() {
            Some(Place { index: Some(self.index(x)), ln_gamma: self.ln_gamma })
        } else {
            None
        }
    }

    /// Counts a value at `place`, found by [`LogHistogram::locate`] of a histogram on the same
    /// grid, or on the finer grid this one was [`LogHistogram::coarsened`] from.
    ///
    /// Panics on a place from another grid (a programming error).
    pub fn add_at(&mut self, place: Place) {
        let index = if place.ln_gamma == self.ln_gamma {
            place.index
        } else {
            match self.finer {
                Some((fine, factor)) if fine == place.ln_gamma => {
                    place.index.map(|i| i.div_euclid(factor) + i64::from(i.rem_euclid(factor) != 0))
                }
                _ => panic!("a place on another grid (ln gamma {}) counted in a histogram of ln gamma {}", place.ln_gamma, self.ln_gamma),
            }
        };
        match index {
            None => self.zeros += 1,
            Some(i) => self.counts.bump(i, 1),
        }
        self.n += 1;
    }

    /// Adds `other`'s counts, as if its values had been added here.
    ///
    /// Panics when the two were made with different accuracies (a programming error, not an
    /// input's).
    pub fn merge(&mut self, other: &LogHistogram) {
        assert!(self.ln_gamma == other.ln_gamma, "merging histograms of accuracy {} and {}", self.alpha, other.alpha);
        self.zeros += other.zeros;
        self.n += other.n;
        self.counts.merge(&other.counts);
    }

    /// The occupied cells in ascending order with their counts (zeros first, as the cell
    /// [0, 0]).
    pub fn cells(&self) -> impl Iterator<Item = (Cell, u64)> + '_ {
        let zeros = (self.zeros > 0).then_some((Cell { value: 0.0, lower: 0.0, upper: 0.0 }, self.zeros));
        zeros.into_iter().chain(self.counts.iter().map(|(i, c)| (self.cell(i), c)))
    }

    /// The cells of the order statistics of the given ascending 1-based `ranks` (each in
    /// 1..=len), in one walk over the cells.
    fn order_statistics(&self, ranks: &[u64]) -> Vec<Cell> {
        let mut out = Vec::with_capacity(ranks.len());
        let mut seen = 0u64;
        let mut cells = self.cells();
        let mut current: Option<(Cell, u64)> = None;
        for &k in ranks {
            while current.is_none_or(|_| seen < k) {
                match cells.next() {
                    Some((cell, c)) => {
                        seen += c;
                        current = Some((cell, c));
                    }
                    None => break,
                }
            }
            out.push(current.map_or(Cell { value: f64::NAN, lower: f64::NAN, upper: f64::NAN }, |(cell, _)| cell));
        }
        out
    }

    /// The type-7 q-quantile of the rounded values: the same number as
    /// [`super::quantile::quantile_sorted`] of them, within a relative `alpha` of the exact
    /// values' quantile. NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        self.quantile_cells(q).0
    }

    /// The type-7 quantile and the cells of the two order statistics it interpolates between,
    /// with the interpolation weight of the upper one.
    fn quantile_cells(&self, q: f64) -> (f64, [Cell; 2], f64) {
        let n = self.n;
        if n == 0 {
            let nan = Cell { value: f64::NAN, lower: f64::NAN, upper: f64::NAN };
            return (f64::NAN, [nan, nan], 0.0);
        }
        let (lo, hi, frac) = type7_ranks(n, q);
        let cells = self.order_statistics(&[lo + 1, hi + 1]);
        let (a, b) = (cells[0], cells[1]);
        (interpolate(a.value, b.value, frac), [a, b], frac)
    }

    /// Bounds that contain the exact values' type-7 q-quantile: the same interpolation between
    /// the lower edges and between the upper edges of the two order statistics' cells.
    pub fn quantile_bounds(&self, q: f64) -> (f64, f64) {
        let (_, [a, b], frac) = self.quantile_cells(q);
        (a.lower + frac * (b.lower - a.lower), a.upper + frac * (b.upper - a.upper))
    }

    /// [`super::quantile::quantile_with_ci`] from the summary: the rounded type-7 estimate, and
    /// the order-statistic interval's bounds at the outer edges of their cells, so the interval
    /// contains the exact data's interval and is at most a factor (1 + a) / (1 - a) wider at
    /// each end.
    pub fn quantile_with_ci(&self, q: f64, confidence: f64) -> Interval {
        if self.n == 0 {
            return Interval::new(f64::NAN, f64::NEG_INFINITY, f64::INFINITY);
        }
        let (l, u) = order_statistic_ranks(self.n as usize, q, confidence);
        let (lower, upper) = self.outer_edges(l as u64, u as u64);
        Interval::new(self.quantile(q), lower, upper)
    }

    /// The lower edge of the cell of the l-th smallest value and the upper edge of the u-th's
    /// (1-based): bounds that contain the exact order statistics x_(l) and x_(u). A rank of 0
    /// gives -infinity, a rank above the count +infinity.
    pub fn outer_edges(&self, l: u64, u: u64) -> (f64, f64) {
        let mut ranks = Vec::with_capacity(2);
        if l >= 1 && l <= self.n {
            ranks.push(l);
        }
        if u >= 1 && u <= self.n {
            ranks.push(u);
        }
        let cells = self.order_statistics(&ranks);
        let lower = match l {
            0 => f64::NEG_INFINITY,
            l if l > self.n => f64::INFINITY,
            _ => cells[0].lower,
        };
        let upper = match u {
            0 => f64::NEG_INFINITY,
            u if u > self.n => f64::INFINITY,
            _ => cells[ranks.len() - 1].upper,
        };
        (lower, upper)
    }

    /// `points + 1` evenly spaced quantiles (value, share) of the rounded values, as
    /// [`super::quantile::evenly_spaced_quantiles`] gives them for the CDF chart.
    pub fn evenly_spaced_quantiles(&self, points: usize) -> Vec<(f64, f64)> {
        if self.n == 0 {
            return Vec::new();
        }
        super::quantile::evenly_spaced(points, |q| self.quantile(q))
    }
}

/// Counts of values of any sign in cells of width `width` centred on its multiples: value d is
/// counted as round(d / width) * width (see the module documentation). For per-pair log ratios.
#[derive(Debug, Clone)]
pub struct SignedHistogram {
    width: f64,
    /// Cell i counts the values rounded to `i * width`; dense for |value| <= 20 (a ratio of
    /// e^20, 5e8).
    counts: CellCounts,
    n: u64,
}

impl SignedHistogram {
    /// An empty histogram of cells `width` wide (positive and finite).
    pub fn new(width: f64) -> SignedHistogram {
        assert!(width > 0.0 && width.is_finite(), "cell width {width}");
        let reach = (20.0 / width).ceil().min(1e15) as i64;
        SignedHistogram { width, counts: CellCounts::new(-reach, reach + 1), n: 0 }
    }

    /// Cells narrow enough that a log ratio rounded to one is within a relative `alpha` as a
    /// ratio: width 2 ln(1 + alpha).
    pub fn for_relative_accuracy(alpha: f64) -> SignedHistogram {
        SignedHistogram::new(2.0 * alpha.ln_1p())
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    fn index(&self, d: f64) -> i64 {
        (d / self.width).round() as i64
    }

    /// The value `d` is counted as; NaN for a value the histogram does not take (not finite).
    pub fn rounded(&self, d: f64) -> f64 {
        if d.is_finite() {
            self.index(d) as f64 * self.width
        } else {
            f64::NAN
        }
    }

    /// Counts `d`; false (and not counted) when it is not finite.
    pub fn add(&mut self, d: f64) -> bool {
        if !d.is_finite() {
            return false;
        }
        let i = self.index(d);
        self.counts.bump(i, 1);
        self.n += 1;
        true
    }

    /// Adds `other`'s counts. Panics when the cell widths differ (a programming error).
    pub fn merge(&mut self, other: &SignedHistogram) {
        assert!(self.width == other.width, "merging histograms of cell width {} and {}", self.width, other.width);
        self.n += other.n;
        self.counts.merge(&other.counts);
    }

    /// The occupied cells in ascending order: (the value counted, count).
    pub fn cells(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts.iter().map(|(i, c)| (i as f64 * self.width, c))
    }

    /// The type-7 q-quantile of the rounded values (NaN when empty): the same number as
    /// [`super::quantile::quantile_sorted`] of them, within w/2 of the exact values'.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.n;
        if n == 0 {
            return f64::NAN;
        }
        let (lo, hi, frac) = type7_ranks(n, q);
        // the values of ranks lo and hi (0-based), in one walk
        let (mut a, mut b, mut seen) = (f64::NAN, f64::NAN, 0u64);
        for (value, c) in self.cells() {
            if seen <= lo && lo < seen + c {
                a = value;
            }
            if seen <= hi && hi < seen + c {
                b = value;
                break;
            }
            seen += c;
        }
        interpolate(a, b, frac)
    }

    /// Share of the values in each of `bins` equal bins over `[lo, hi)` (the rounded values,
    /// clamped to the first or last bin), as [`super::histogram::shares`] gives them.
    pub fn shares(&self, lo: f64, hi: f64, bins: usize) -> Vec<f64> {
        let width = (hi - lo) / bins as f64;
        let mut counts = vec![0u64; bins];
        for (value, c) in self.cells() {
            counts[super::histogram::bin(value, lo, width, bins)] += c;
        }
        let n = self.n.max(1) as f64;
        counts.iter().map(|&c| c as f64 / n).collect()
    }

    /// The Wilcoxon signed-rank test of the rounded values: the same result as
    /// [`super::nonparametric::wilcoxon_signed_rank`] of them (values rounded to 0 dropped, cells
    /// i and -i one tie group). O(cells).
    pub fn signed_rank(&self) -> RankTest {
        let cells: Vec<(i64, u64)> = self.counts.iter().collect();
        let zero = cells.partition_point(|c| c.0 < 0);
        let positive = cells.partition_point(|c| c.0 <= 0);
        // |index| ascending: the negatives walked backwards merged with the positives
        let (mut neg, mut pos) = (cells[..zero].iter().rev().peekable(), cells[positive..].iter().peekable());
        let groups = std::iter::from_fn(move || match (neg.peek().copied(), pos.peek().copied()) {
            (Some(&(a, m)), Some(&(b, p))) if -a == b => {
                neg.next();
                pos.next();
                Some((m + p, p))
            }
            (Some(&(a, m)), Some(&(b, _))) if -a < b => {
                neg.next();
                Some((m, 0))
            }
            (Some(&(_, m)), None) => {
                neg.next();
                Some((m, 0))
            }
            (_, Some(&(_, p))) => {
                pos.next();
                Some((p, p))
            }
            (None, None) => None,
        });
        signed_rank_of_groups(groups)
    }

    /// #{Walsh averages (d_i + d_j) / 2, i <= j, of the rounded values, whose cell-index sum
    /// i + j is at most `s`}: (ordered pairs with index sum <= s + values with 2 i <= s) / 2,
    /// from the occupied cells (ascending) and their running counts `prefix`. O(cells): as i
    /// grows, the cells with index <= s - i shrink to a shorter prefix.
    fn walsh_count(cells: &[(i64, u64)], prefix: &[u64], s: i64) -> u64 {
        let below = |k: usize| if k == 0 { 0 } else { prefix[k - 1] }; // values in the first k cells
        let mut k = cells.len();
        let mut ordered: u128 = 0;
        for &(i, c) in cells {
            while k > 0 && cells[k - 1].0 > s - i {
                k -= 1;
            }
            ordered += c as u128 * below(k) as u128;
        }
        let selves = below(cells.partition_point(|c| c.0 <= s.div_euclid(2)));
        ((ordered + selves as u128) / 2) as u64
    }

    /// The k-th smallest (1-based) Walsh average of the rounded values, by bisection over the
    /// index sums (a Walsh average of cells i and j is (i + j) w / 2).
    fn kth_walsh(&self, cells: &[(i64, u64)], prefix: &[u64], k: u64) -> f64 {
        let (first, last) = (cells.first().map_or(0, |c| c.0), cells.last().map_or(0, |c| c.0));
        let (mut lo, mut hi) = (2 * first, 2 * last); // count(hi) = total >= k
        while lo < hi {
            let mid = lo + (hi - lo).div_euclid(2);
            if Self::walsh_count(cells, prefix, mid) >= k {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo as f64 * self.width / 2.0
    }

    /// The one-sample Hodges-Lehmann estimate and interval of the rounded values: the same as
    /// [`super::nonparametric::hodges_lehmann_one_sample`] of them (up to the last bit of the
    /// averaging), each number within w/2 of the exact values' (see
    /// [`SignedHistogram::hodges_lehmann_widened`]).
    pub fn hodges_lehmann(&self, confidence: f64) -> Interval {
        if self.n == 0 {
            return Interval::new(f64::NAN, f64::NEG_INFINITY, f64::INFINITY);
        }
        let cells: Vec<(i64, u64)> = self.counts.iter().collect();
        let prefix: Vec<u64> = cells
            .iter()
            .scan(0u64, |acc, &(_, c)| {
                *acc += c;
                Some(*acc)
            })
            .collect();
        let kth = |k: u64| self.kth_walsh(&cells, &prefix, k);
        let (total, critical) = walsh_ranks(self.n, confidence);
        let est = if total % 2 == 1 { kth(total.div_ceil(2)) } else { (kth(total / 2) + kth(total / 2 + 1)) / 2.0 };
        match critical {
            None => Interval::new(est, f64::NEG_INFINITY, f64::INFINITY),
            Some(c) => Interval::new(est, kth(c), kth(total + 1 - c)),
        }
    }

    /// [`SignedHistogram::hodges_lehmann`] with both bounds moved out by half a cell (and
    /// [`EDGE_SLACK`]): contains the interval of the exact values.
    pub fn hodges_lehmann_widened(&self, confidence: f64) -> Interval {
        let i = self.hodges_lehmann(confidence);
        let half = self.width / 2.0;
        let out = |v: f64| half + EDGE_SLACK * v.abs();
        Interval::new(i.estimate, i.lower - out(i.lower), i.upper + out(i.upper))
    }
}

/// How far a log quantile of a [`LogHistogram`] of accuracy `alpha` can be from the exact one:
/// -ln(1 - alpha) (>= ln(1 + alpha)), plus the edge slack.
pub fn log_rounding(alpha: f64) -> f64 {
    -(-alpha).ln_1p() + EDGE_SLACK
}

/// The batch-means interval of the ratio Q_q(V2) / Q_q(V1) (as
/// [`super::resample::quantile_ratios`] computes it above the bootstrap's size) from summaries:
/// `whole` holds both versions' histograms of every pair, `batches` the same per batch.
///
/// The estimate is the ratio of the rounded quantiles. The interval is the batch-means interval
/// of the rounded batch quantiles, widened on the log scale by the most the rounding can move it
/// ([`ratio_widening`]). The widened interval contains the one the exact values would give with
/// the same batches.
pub fn batch_means_ratio(
    whole: (&LogHistogram, &LogHistogram),
    batches: &[(LogHistogram, LogHistogram)],
    q: f64,
    confidence: f64,
) -> RatioInterval {
    let est = whole.1.quantile(q) / whole.0.quantile(q);
    let k = batches.len();
    if k < 2 || batches.iter().any(|(a, b)| a.len() < 2 || b.len() < 2) || !est.is_finite() {
        return RatioInterval { interval: Interval::new(est, f64::NAN, f64::NAN), method: "none", resamples: 0 };
    }
    let logs: Vec<f64> = batches.iter().map(|(a, b)| (b.quantile(q) / a.quantile(q)).ln()).collect();
    let mut r = batch_means_interval(est, logs, confidence);
    r.resamples = k;
    let batch_alpha = batches.iter().map(|(a, b)| a.alpha().max(b.alpha())).fold(0.0, f64::max);
    let t = t_two_sided(confidence, (k - 1) as f64);
    let widen = ratio_widening(whole.0.alpha().max(whole.1.alpha()), batch_alpha, t, k).exp();
    r.interval.lower /= widen;
    r.interval.upper *= widen;
    r
}

/// How far, on the log scale, a batch-means interval of a log ratio (centre +- m sd / sqrt(K),
/// m = t or the sup-t value) can move when the whole samples are rounded with relative accuracy
/// `whole_alpha` and the K batches with `batch_alpha`: each log quantile moves by at most
/// e = -ln(1 - a), so the centre by 2 e_whole and each batch's log ratio by 2 e_batch; the
/// batches' standard deviation is Lipschitz with constant 1 / sqrt(K - 1) in the Euclidean norm,
/// so it moves by at most 2 e_batch sqrt(K / (K - 1)) and the half-width by
/// m 2 e_batch / sqrt(K - 1). In all 2 e_whole + 2 m e_batch / sqrt(K - 1): 0.08% at
/// a = 0.01% and 0.1% with K = 50 and m = t_49.
pub fn ratio_widening(whole_alpha: f64, batch_alpha: f64, m: f64, k: usize) -> f64 {
    2.0 * log_rounding(whole_alpha) + 2.0 * m * log_rounding(batch_alpha) / ((k.max(2) - 1) as f64).sqrt()
}

/// The Mann-Whitney U test of the rounded values of two samples (histograms of the same
/// accuracy): the same result as [`super::nonparametric::mann_whitney`] of them, values in one
/// cell being ties. Rounding both samples with one monotone map keeps the null hypothesis (the
/// same distribution), so this is a valid test; its p-value is not the exact values'. O(cells).
pub fn mann_whitney_of(x: &LogHistogram, y: &LogHistogram) -> RankTest {
    assert!(x.ln_gamma == y.ln_gamma, "ranking histograms of accuracy {} and {}", x.alpha, y.alpha);
    if x.is_empty() || y.is_empty() {
        let nan = f64::NAN;
        return RankTest {
            test: "mann-whitney-u",
            statistic: nan,
            z: nan,
            p_value: nan,
            method: "normal",
            n: x.len() + y.len(),
            effect_size: nan,
        };
    }
    let (mut a, mut b) = (x.cells().peekable(), y.cells().peekable());
    let groups = std::iter::from_fn(move || match (a.peek().copied(), b.peek().copied()) {
        (Some((ca, na)), Some((cb, nb))) if ca.value == cb.value => {
            a.next();
            b.next();
            Some((na, nb))
        }
        (Some((ca, na)), Some((cb, _))) if ca.value < cb.value => {
            a.next();
            Some((na, 0))
        }
        (Some((_, na)), None) => {
            a.next();
            Some((na, 0))
        }
        (_, Some((_, nb))) => {
            b.next();
            Some((0, nb))
        }
        (None, None) => None,
    });
    super::nonparametric::mann_whitney_of_groups(x.len(), y.len(), groups)
}

/// The two-sample Hodges-Lehmann shift (median of x_i - y_j) and its Moses interval from
/// histograms: the estimate of the rounded values (as
/// [`super::nonparametric::hodges_lehmann_two_sample`] gives it for them), the lower bound from
/// the differences of x's lower cell edges and y's upper ones, the upper bound from x's upper
/// and y's lower edges. Every exact difference lies between its two edge differences, so with
/// more than [`super::nonparametric::EXACT_MAX_N`] values in a sample (where the critical rank
/// does not depend on ties) the interval contains the exact values' interval.
pub fn hodges_lehmann_two_sample_of(x: &LogHistogram, y: &LogHistogram, confidence: f64) -> Interval {
    use super::nonparametric::hodges_lehmann_two_sample_weighted as hl;
    let of = |h: &LogHistogram, edge: fn(&Cell) -> f64| h.cells().map(|(c, n)| (edge(&c), n)).collect::<Vec<_>>();
    let rounded = hl(&of(x, |c| c.value), &of(y, |c| c.value), confidence);
    let low = hl(&of(x, |c| c.lower), &of(y, |c| c.upper), confidence);
    let high = hl(&of(x, |c| c.upper), &of(y, |c| c.lower), confidence);
    Interval::new(rounded.estimate, low.lower, high.upper)
}

/// The ratio of means mean(y) / mean(x) of two independent samples with the delta-method
/// interval, as [`super::resample::mean_ratio`] computes it unpaired.
pub fn mean_ratio_unpaired(x: &Moments, y: &Moments, confidence: f64) -> RatioInterval {
    if x.n < 2 || y.n < 2 {
        return DELTA_UNDEFINED;
    }
    delta_ratio((x.n as f64, x.mean), (y.n as f64, y.mean), confidence, || (x.variance(), y.variance(), None))
}

/// Count, mean and centred sum of squares of one sample, mergeable (Chan, Golub & LeVeque 1979).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        let (a, b) = (self.n as f64, o.n as f64);
        self.mean += d * b / n as f64;
        self.m2 += o.m2 + d * d * a * b / n as f64;
        self.n = n;
    }

    /// Unbiased variance; NaN below two values.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// The mean with the normal-theory interval mean +- z s / sqrt(n), as
    /// [`crate::metrics::latency::summarize_sorted`] reports it (infinite bounds below two values).
    pub fn mean_interval(&self, confidence: f64) -> Interval {
        let mean = if self.n == 0 { f64::NAN } else { self.mean };
        super::mean_interval(self.n, mean, self.variance(), confidence)
    }
}

/// [`Moments`] of pairs (x, y) with their co-moment, for the paired ratio of means.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PairMoments {
    pub x: Moments,
    pub y: Moments,
    /// Sum of products of deviations from the means.
    pub cxy: f64,
}

impl PairMoments {
    pub fn add(&mut self, x: f64, y: f64) {
        let dx = x - self.x.mean; // deviation from the old mean of x
        self.x.add(x);
        self.y.add(y);
        self.cxy += dx * (y - self.y.mean);
    }

    pub fn merge(&mut self, o: &PairMoments) {
        if o.x.n == 0 {
            return;
        }
        let (a, b) = (self.x.n as f64, o.x.n as f64);
        let n = a + b;
        let (dx, dy) = (o.x.mean - self.x.mean, o.y.mean - self.y.mean);
        self.cxy += o.cxy + dx * dy * a * b / n;
        self.x.merge(&o.x);
        self.y.merge(&o.y);
    }

    /// The paired ratio of means mean(y) / mean(x) with the delta-method interval, as
    /// [`super::resample::mean_ratio`] computes it for finite pairs.
    pub fn mean_ratio(&self, confidence: f64) -> RatioInterval {
        if self.x.n < 2 {
            return DELTA_UNDEFINED;
        }
        let n = self.x.n as f64;
        delta_ratio((n, self.x.mean), (n, self.y.mean), confidence, || (self.x.variance(), self.y.variance(), Some(self.cxy / (n - 1.0))))
    }
}

#[cfg(test)]
pub(crate) mod tests;
