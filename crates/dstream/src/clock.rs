//! Clocks that drive batch boundaries: the system clock, and a manual clock for tests.

use crate::time::{Duration, Time};
use std::sync::{Arc, Condvar, Mutex};

/// How long a waiting thread sleeps at most before it checks whether it should stop.
const POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The clock a [`StreamingContext`](crate::StreamingContext) reads to know when a batch is due.
///
/// [`Clock::System`] is wall-clock time. [`Clock::Manual`] only moves when told to, which makes
/// runs deterministic: tests, doc examples and graders use it (see [`testing`](crate::testing)).
///
/// # Examples
///
/// ```
/// use dstream::{Clock, Duration, ManualClock, Time};
///
/// let manual = ManualClock::new(Time::from_millis(0));
/// let clock = Clock::Manual(manual.clone());
/// manual.advance(Duration::from_secs(1));
/// assert_eq!(clock.now(), Time::from_millis(1000));
/// assert!(Clock::System.now() > Time::from_millis(1_600_000_000_000));
/// ```
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// Wall-clock time.
    #[default]
    System,
    /// A clock that only moves when [`ManualClock::advance`] or [`ManualClock::set`] is called.
    Manual(ManualClock),
}

impl Clock {
    /// The current time on this clock.
    ///
    /// ```
    /// use dstream::{Clock, ManualClock, Time};
    /// assert_eq!(Clock::Manual(ManualClock::new(Time::from_millis(5))).now(), Time::from_millis(5));
    /// assert!(Clock::System.now().as_millis() > 0);
    /// ```
    pub fn now(&self) -> Time {
        match self {
            Clock::System => system_now(),
            Clock::Manual(manual) => manual.now(),
        }
    }

    /// Blocks until the clock reaches `target`; returns `false` early if `stopped()` turns true.
    pub(crate) fn wait_until(&self, target: Time, stopped: &dyn Fn() -> bool) -> bool {
        loop {
            if stopped() {
                return false;
            }
            match self {
                Clock::System => {
                    let left = target - system_now();
                    if left <= Duration::ZERO {
                        return true;
                    }
                    std::thread::sleep(left.to_std().min(POLL));
                }
                Clock::Manual(manual) => {
                    let guard = manual.inner.now.lock().unwrap_or_else(|e| e.into_inner());
                    if *guard >= target.as_millis() {
                        return true;
                    }
                    drop(manual.inner.moved.wait_timeout(guard, POLL));
                }
            }
        }
    }
}

/// Now, on the system clock.
pub(crate) fn system_now() -> Time {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Time::from_millis(since_epoch.as_millis() as i64)
}

/// A clock that stands still until it is moved (Spark's `ManualClock`).
///
/// Clones share the same time, so a test can keep one handle and give another to the context.
///
/// # Examples
///
/// ```
/// use dstream::{ManualClock, Time, secs};
///
/// let clock = ManualClock::new(Time::from_millis(0));
/// let for_the_context = clock.clone();
/// clock.advance(secs(5));
/// assert_eq!(for_the_context.now(), Time::from_millis(5_000));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

#[derive(Debug)]
struct ManualInner {
    now: Mutex<i64>,
    moved: Condvar,
}

impl ManualClock {
    /// A manual clock showing `start`.
    ///
    /// ```
    /// use dstream::{ManualClock, Time, Duration};
    /// let clock = ManualClock::new(Time::from_millis(1_000));
    /// assert_eq!(clock.now(), Time::from_millis(1_000));
    /// ```
    pub fn new(start: Time) -> Self {
        ManualClock {
            inner: Arc::new(ManualInner { now: Mutex::new(start.as_millis()), moved: Condvar::new() }),
        }
    }

    /// The time it shows.
    ///
    /// ```
    /// use dstream::{ManualClock, Time, Duration};
    /// let clock = ManualClock::new(Time::from_millis(1_000));
    /// assert_eq!(clock.now(), Time::from_millis(1_000));
    /// ```
    pub fn now(&self) -> Time {
        Time::from_millis(*self.inner.now.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Moves the clock forward by `by`.
    ///
    /// ```
    /// use dstream::{ManualClock, Time, Duration};
    /// let clock = ManualClock::new(Time::from_millis(1_000));
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(clock.now(), Time::from_millis(6_000));
    /// ```
    pub fn advance(&self, by: Duration) {
        let mut now = self.inner.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by.as_millis();
        self.inner.moved.notify_all();
    }

    /// Sets the clock to `to` (which may not be earlier than now).
    ///
    /// ```
    /// use dstream::{ManualClock, Time, Duration};
    /// let clock = ManualClock::new(Time::from_millis(1_000));
    /// clock.set(Time::from_millis(10_000));
    /// assert_eq!(clock.now(), Time::from_millis(10_000));
    /// ```
    pub fn set(&self, to: Time) {
        let mut now = self.inner.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = (*now).max(to.as_millis());
        self.inner.moved.notify_all();
    }
}
