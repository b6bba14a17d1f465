//! `Time`, `Duration` and `Interval`: millisecond value types, as in Spark Streaming.

use std::fmt;
use std::ops::{Add, Div, Mul, Sub};

/// A length of time in milliseconds (Spark's `Duration`).
///
/// # Examples
///
/// ```
/// use dstream::Duration;
///
/// let batch = Duration::from_secs(5);
/// assert_eq!(batch.as_millis(), 5000);
/// assert!(Duration::from_secs(10).is_multiple_of(batch));
/// assert_eq!(batch.to_string(), "5000 ms");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(i64);

impl Duration {
    /// No time at all.
    ///
    /// ```
    /// use dstream::{Duration, secs};
    /// assert_eq!(secs(5) - secs(5), Duration::ZERO);
    /// ```
    pub const ZERO: Duration = Duration(0);

    /// `ms` milliseconds.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Duration::from_millis(1500).as_secs_f64(), 1.5);
    /// ```
    pub const fn from_millis(ms: i64) -> Self {
        Duration(ms)
    }

    /// `s` seconds.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Duration::from_secs(2), Duration::from_millis(2000));
    /// ```
    pub const fn from_secs(s: i64) -> Self {
        Duration(s * 1000)
    }

    /// `m` minutes.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Duration::from_minutes(1), Duration::from_secs(60));
    /// ```
    pub const fn from_minutes(m: i64) -> Self {
        Duration(m * 60_000)
    }

    /// The length in milliseconds.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Duration::from_secs(5).as_millis(), 5000);
    /// ```
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The length in seconds, with a fraction.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Duration::from_millis(250).as_secs_f64(), 0.25);
    /// ```
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Whether `self` is a whole number of `other`s (`other` must not be zero).
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert!(Duration::from_secs(10).is_multiple_of(Duration::from_secs(5)));
    /// assert!(!Duration::from_secs(7).is_multiple_of(Duration::from_secs(5)));
    /// ```
    pub fn is_multiple_of(self, other: Duration) -> bool {
        other.0 != 0 && self.0 % other.0 == 0
    }

    /// Whether this duration is zero.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert!(Duration::ZERO.is_zero());
    /// ```
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The same length as a `std::time::Duration` (negative lengths become zero).
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Duration::from_millis(1500).to_std(), std::time::Duration::from_millis(1500));
    /// ```
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0.max(0) as u64)
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(d.as_millis().min(i64::MAX as u128) as i64)
    }
}

impl From<Duration> for std::time::Duration {
    /// The same length (negative lengths become zero), so a [`Duration`] of this crate goes
    /// wherever the standard library's is expected: `std::thread::sleep(secs(1).into())`.
    fn from(d: Duration) -> Self {
        d.to_std()
    }
}

/// The slide of a window operation: a duration (this crate's or the standard library's), or
/// `None` for "every batch of the stream", as Spark's optional `slideDuration`: PySpark's
/// `window(30)` is `window(secs(30), None)`, and `window(30, 10)` is `window(secs(30), secs(10))`.
///
/// ```
/// use dstream::{DStream, testing::run_batches};
/// use dstream::prelude::*;
/// let out = run_batches(vec![vec![1], vec![2], vec![3]], |s: DStream<i32>| s.window(secs(2), None));
/// assert_eq!(out, vec![vec![1], vec![1, 2], vec![2, 3]]);
/// ```
pub trait Slide {
    /// The duration, or `None` for the stream's own slide.
    fn into_slide(self) -> Option<Duration>;
}

impl Slide for Duration {
    fn into_slide(self) -> Option<Duration> {
        Some(self)
    }
}

impl Slide for std::time::Duration {
    fn into_slide(self) -> Option<Duration> {
        Some(self.into())
    }
}

impl Slide for Option<Duration> {
    fn into_slide(self) -> Option<Duration> {
        self
    }
}

/// `n` seconds (Scala's `Seconds(n)`): `StreamingContext::new(secs(5))`.
///
/// ```
/// use dstream::prelude::*;
/// assert_eq!(secs(5), Duration::from_secs(5));
/// assert_eq!(millis(1500), secs(1) + millis(500));
/// assert_eq!(minutes(1), secs(60));
/// let pause: std::time::Duration = millis(10).into();
/// std::thread::sleep(pause);
/// ```
pub const fn secs(n: i64) -> Duration {
    Duration::from_secs(n)
}

/// `n` milliseconds (Scala's `Milliseconds(n)`).
///
/// ```
/// use dstream::{Duration, Time, Interval};
/// assert_eq!(dstream::millis(500), Duration::from_millis(500));
/// ```
pub const fn millis(n: i64) -> Duration {
    Duration::from_millis(n)
}

/// `n` minutes (Scala's `Minutes(n)`).
///
/// ```
/// use dstream::{Duration, Time, Interval};
/// assert_eq!(dstream::minutes(2), Duration::from_secs(120));
/// ```
pub const fn minutes(n: i64) -> Duration {
    Duration::from_minutes(n)
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0 + rhs.0)
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0 - rhs.0)
    }
}

impl Mul<i64> for Duration {
    type Output = Duration;
    fn mul(self, rhs: i64) -> Duration {
        Duration(self.0 * rhs)
    }
}

impl Div for Duration {
    type Output = i64;
    /// How many whole `rhs` fit in `self`.
    fn div(self, rhs: Duration) -> i64 {
        self.0 / rhs.0
    }
}

/// A point in time: milliseconds since the Unix epoch (Spark's `Time`).
///
/// Batch times are `Time`s that are multiples of the batch interval.
///
/// # Examples
///
/// ```
/// use dstream::{Duration, Time};
///
/// let t = Time::from_millis(12_345);
/// assert_eq!(t.floor(Duration::from_secs(5)), Time::from_millis(10_000));
/// assert_eq!(t + Duration::from_millis(5), Time::from_millis(12_350));
/// assert_eq!(Time::from_millis(3000) - Time::from_millis(1000), Duration::from_secs(2));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    /// The time `ms` milliseconds after the Unix epoch.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Time::from_millis(1_000).as_millis(), 1_000);
    /// ```
    pub const fn from_millis(ms: i64) -> Self {
        Time(ms)
    }

    /// Milliseconds since the Unix epoch.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Time::from_millis(42).as_millis(), 42);
    /// ```
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The latest multiple of `interval` at or before `self`.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Time::from_millis(7_300).floor(Duration::from_secs(5)), Time::from_millis(5_000));
    /// ```
    pub fn floor(self, interval: Duration) -> Time {
        Time(self.0.div_euclid(interval.0) * interval.0)
    }

    /// Whether `self` is a multiple of `interval` since the epoch.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert!(Time::from_millis(10_000).is_multiple_of(Duration::from_secs(5)));
    /// ```
    pub fn is_multiple_of(self, interval: Duration) -> bool {
        interval.0 != 0 && self.0 % interval.0 == 0
    }

    /// The time as Spark's `pprint` shows it: `YYYY-MM-DD HH:MM:SS` in local time, followed by
    /// `.ffffff` only when the time has a fraction of a second.
    ///
    /// ```
    /// use dstream::Time;
    /// let shown = Time::from_millis(1_700_000_000_250).to_local_string();
    /// assert!(shown.ends_with(".250000"));
    /// assert_eq!(Time::from_millis(1_700_000_000_000).to_local_string().len(), 19);
    /// ```
    pub fn to_local_string(self) -> String {
        let local = crate::local_time::date_time(self.0.div_euclid(1000));
        match self.0.rem_euclid(1000) {
            0 => local,
            millis => format!("{local}.{:06}", millis * 1000),
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, rhs: Duration) -> Time {
        Time(self.0 + rhs.0)
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    fn sub(self, rhs: Duration) -> Time {
        Time(self.0 - rhs.0)
    }
}

impl Sub for Time {
    type Output = Duration;
    fn sub(self, rhs: Time) -> Duration {
        Duration(self.0 - rhs.0)
    }
}

/// The half-open span of time `(begin, end]` that a batch or a window covers.
///
/// # Examples
///
/// ```
/// use dstream::{Duration, Interval, Time};
///
/// let batch = Interval::ending_at(Time::from_millis(10_000), Duration::from_secs(5));
/// assert_eq!(batch.begin(), Time::from_millis(5_000));
/// assert!(batch.contains(Time::from_millis(10_000)));
/// assert!(!batch.contains(Time::from_millis(5_000)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interval {
    begin: Time,
    end: Time,
}

impl Interval {
    /// The interval `(begin, end]`.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// let i = Interval::new(Time::from_millis(0), Time::from_millis(5_000));
    /// assert_eq!(i.duration(), Duration::from_secs(5));
    /// ```
    pub fn new(begin: Time, end: Time) -> Self {
        Interval { begin, end }
    }

    /// The interval of length `duration` that ends at `end`.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// let i = Interval::ending_at(Time::from_millis(10_000), Duration::from_secs(10));
    /// assert_eq!(i.begin(), Time::from_millis(0));
    /// ```
    pub fn ending_at(end: Time, duration: Duration) -> Self {
        Interval { begin: end - duration, end }
    }

    /// The (excluded) start.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Interval::new(Time::from_millis(1), Time::from_millis(2)).begin(), Time::from_millis(1));
    /// ```
    pub fn begin(&self) -> Time {
        self.begin
    }

    /// The (included) end.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Interval::new(Time::from_millis(1), Time::from_millis(2)).end(), Time::from_millis(2));
    /// ```
    pub fn end(&self) -> Time {
        self.end
    }

    /// `end - begin`.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// assert_eq!(Interval::new(Time::from_millis(1_000), Time::from_millis(3_000)).duration(), Duration::from_secs(2));
    /// ```
    pub fn duration(&self) -> Duration {
        self.end - self.begin
    }

    /// Whether `t` is in `(begin, end]`.
    ///
    /// ```
    /// use dstream::{Duration, Time, Interval};
    /// let batch = Interval::new(Time::from_millis(0), Time::from_millis(5_000));
    /// assert!(batch.contains(Time::from_millis(5_000)) && !batch.contains(Time::from_millis(0)));
    /// ```
    pub fn contains(&self, t: Time) -> bool {
        self.begin < t && t <= self.end
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {}]", self.begin, self.end)
    }
}
