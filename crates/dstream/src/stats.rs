//! `StatCounter`: count, mean, variance, max and min of numbers, merged as Spark does.

use std::fmt;

/// Numbers that [`Rdd::stats`](crate::Rdd::stats) can summarise.
///
/// Integers are remembered as integers so that `max` and `min` print as PySpark prints them
/// (`max: 9`, not `max: 9.0`).
///
/// # Examples
///
/// ```
/// use dstream::{Rdd, StatValue};
///
/// assert!(i32::INTEGRAL && !f64::INTEGRAL);
/// assert_eq!(7u8.to_f64(), 7.0);
/// // Word lengths are integers: max and min print without a decimal point.
/// let stats = Rdd::from(vec![5, 9, 3]).stats();
/// assert!(stats.to_string().contains("max: 9"));
/// ```
pub trait StatValue: Copy {
    /// Whether the type holds whole numbers only.
    const INTEGRAL: bool;
    /// The value as an `f64`.
    fn to_f64(self) -> f64;
}

macro_rules! stat_value {
    ($integral:expr => $($t:ty),*) => {$(
        impl StatValue for $t {
            const INTEGRAL: bool = $integral;
            fn to_f64(self) -> f64 { self as f64 }
        }
    )*};
}
stat_value!(true => i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
stat_value!(false => f32, f64);

/// Running statistics over numbers (Spark's `StatCounter`), computed in one pass with Welford's
/// method and merged across partitions the way Spark merges them.
///
/// An empty counter is valid: its mean is `0.0`, its variances are `NaN`, its max is `-inf` and its
/// min `inf` — nothing panics (PySpark's `rdd.stats()` does the same; the lab's code crashes
/// earlier, on `reduce()` of an empty RDD).
///
/// # Examples
///
/// ```
/// use dstream::StatCounter;
///
/// // Lengths of the words of the lab's three sentences.
/// let s = StatCounter::from_values([5, 9, 7, 5, 5, 9, 3, 4, 5]);
/// assert_eq!(s.count(), 9);
/// assert_eq!(s.max(), 9.0);
/// assert_eq!(s.to_string(),
///     "(count: 9, mean: 5.777777777777778, stdev: 1.9876159799998132, max: 9, min: 3)");
///
/// let empty = StatCounter::from_values(Vec::<i64>::new());
/// assert_eq!(empty.to_string(), "(count: 0, mean: 0.0, stdev: nan, max: -inf, min: inf)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatCounter {
    n: u64,
    mu: f64,
    m2: f64,
    max: f64,
    min: f64,
    integral: bool,
}

impl Default for StatCounter {
    fn default() -> Self {
        StatCounter { n: 0, mu: 0.0, m2: 0.0, max: f64::NEG_INFINITY, min: f64::INFINITY, integral: true }
    }
}

impl StatCounter {
    /// An empty counter.
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let mut s = StatCounter::new();
    /// s.push(3.0);
    /// assert_eq!(s.count(), 1);
    /// ```
    pub fn new() -> Self {
        StatCounter::default()
    }

    /// A counter over `values`.
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([1u32, 2, 3]);
    /// assert_eq!(s.mean(), 2.0);
    /// ```
    pub fn from_values<V: StatValue>(values: impl IntoIterator<Item = V>) -> Self {
        let mut s = StatCounter { integral: V::INTEGRAL, ..StatCounter::default() };
        for v in values {
            s.push(v.to_f64());
        }
        s
    }

    /// Adds one value.
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let mut s = StatCounter::new();
    /// s.push(2.0);
    /// s.push(4.0);
    /// assert_eq!((s.count(), s.mean()), (2, 3.0));
    /// ```
    pub fn push(&mut self, value: f64) {
        let delta = value - self.mu;
        self.n += 1;
        self.mu += delta / self.n as f64;
        self.m2 += delta * (value - self.mu);
        self.max = self.max.max(value);
        self.min = self.min.min(value);
    }

    /// Merges another counter into this one (Spark's `merge(StatCounter)`).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let mut a = StatCounter::from_values([1.0, 2.0]);
    /// a.merge(&StatCounter::from_values([3.0]));
    /// assert_eq!((a.count(), a.sum()), (3, 6.0));
    /// ```
    pub fn merge(&mut self, other: &StatCounter) {
        self.integral &= other.integral;
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = StatCounter { integral: self.integral, ..*other };
            return;
        }
        let delta = other.mu - self.mu;
        let n = (self.n + other.n) as f64;
        if other.n * 10 < self.n {
            self.mu += delta * other.n as f64 / n;
        } else if self.n * 10 < other.n {
            self.mu = other.mu - delta * self.n as f64 / n;
        } else {
            self.mu = (self.mu * self.n as f64 + other.mu * other.n as f64) / n;
        }
        self.m2 += other.m2 + delta * delta * self.n as f64 * other.n as f64 / n;
        self.n += other.n;
        self.max = self.max.max(other.max);
        self.min = self.min.min(other.min);
    }

    /// How many values.
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.count(), 3);
    /// ```
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Their mean (`0.0` when there are none, as in Spark).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.mean(), 4.0);
    /// ```
    pub fn mean(&self) -> f64 {
        self.mu
    }

    /// Their sum (`count × mean`, as Spark computes it).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.sum(), 12.0);
    /// ```
    pub fn sum(&self) -> f64 {
        self.n as f64 * self.mu
    }

    /// The largest value (`-inf` when there are none).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.max(), 6.0);
    /// assert_eq!(StatCounter::new().max(), f64::NEG_INFINITY);
    /// ```
    pub fn max(&self) -> f64 {
        self.max
    }

    /// The smallest value (`inf` when there are none).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.min(), 2.0);
    /// assert_eq!(StatCounter::new().min(), f64::INFINITY);
    /// ```
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Population variance (divides by n; `NaN` when empty).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert!((s.variance() - 8.0 / 3.0).abs() < 1e-12);
    /// ```
    pub fn variance(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.m2 / self.n as f64 }
    }

    /// Sample variance (divides by n − 1; `NaN` with fewer than two values).
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.sample_variance(), 4.0);
    /// ```
    pub fn sample_variance(&self) -> f64 {
        if self.n <= 1 { f64::NAN } else { self.m2 / (self.n - 1) as f64 }
    }

    /// Population standard deviation.
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert!((s.stdev() - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
    /// ```
    pub fn stdev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Sample standard deviation.
    ///
    /// ```
    /// use dstream::StatCounter;
    /// let s = StatCounter::from_values([2.0, 4.0, 6.0]);
    /// assert_eq!(s.sample_stdev(), 2.0);
    /// ```
    pub fn sample_stdev(&self) -> f64 {
        self.sample_variance().sqrt()
    }
}

impl fmt::Display for StatCounter {
    /// PySpark's layout: `(count: 9, mean: 5.77…, stdev: 1.98…, max: 9, min: 3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extreme = |v: f64| {
            if self.integral && v.is_finite() { format!("{}", v as i64) } else { python_float(v) }
        };
        write!(
            f,
            "(count: {}, mean: {}, stdev: {}, max: {}, min: {})",
            self.n,
            python_float(self.mu),
            python_float(self.stdev()),
            extreme(self.max),
            extreme(self.min)
        )
    }
}

/// Formats a float as Python's `repr(float)` does: the shortest digits that round-trip, fixed
/// notation between 1e-4 and 1e16, `nan`, `inf`, `-inf`.
pub(crate) fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-5.777e0".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponents are integers");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{sign}{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{sign}{first}{frac}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_matches_python_repr() {
        for (v, want) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (3.95, "3.95"),
            (5.777777777777778, "5.777777777777778"),
            (49.00000000000001, "49.00000000000001"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (123.0, "123.0"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(python_float(v), want, "{v:e}");
        }
    }

    #[test]
    fn merge_equals_single_pass() {
        let values: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let whole = StatCounter::from_values(values.iter().copied());
        let mut left = StatCounter::from_values(values[..300].iter().copied());
        left.merge(&StatCounter::from_values(values[300..].iter().copied()));
        assert_eq!(left.count(), whole.count());
        assert!((left.mean() - whole.mean()).abs() < 1e-12);
        assert!((left.variance() - whole.variance()).abs() < 1e-9);
        assert_eq!(left.max(), whole.max());
        assert_eq!(left.min(), whole.min());
    }

    #[test]
    fn one_value_has_zero_stdev_and_nan_sample_stdev() {
        let s = StatCounter::from_values([4u8]);
        assert_eq!(s.stdev(), 0.0);
        assert!(s.sample_stdev().is_nan());
        assert_eq!(s.to_string(), "(count: 1, mean: 4.0, stdev: 0.0, max: 4, min: 4)");
    }
}
