//! `RateLimiter`: how fast a receiver takes records in (Spark's receiver `RateLimiter`, behind
//! `spark.streaming.receiver.maxRate` and backpressure).
//!
//! A token bucket: tokens accrue at the rate, up to one second's worth; taking records spends
//! them, and a receiver that overspends waits before it reads again. While it waits, it does not
//! read its socket, so the sender is held back by TCP itself and nothing piles up in memory.

use std::sync::Mutex;
use std::time::Instant;

pub(crate) struct RateLimiter {
    /// The fixed maximum (the user's), if any.
    max: Option<f64>,
    state: Mutex<Bucket>,
}

struct Bucket {
    /// Records per second now: the smaller of `max` and the backpressure estimate.
    rate: Option<f64>,
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    pub(crate) fn new(max: Option<f64>) -> Self {
        let max = max.filter(|r| *r > 0.0);
        RateLimiter {
            max,
            state: Mutex::new(Bucket { rate: max, tokens: max.unwrap_or(0.0), refilled: Instant::now() }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the rate estimated by backpressure (`None`: no estimate); the fixed maximum still
    /// applies.
    pub(crate) fn set_estimate(&self, estimate: Option<f64>) {
        let rate = match (self.max, estimate.filter(|r| *r > 0.0)) {
            (Some(max), Some(estimate)) => Some(max.min(estimate)),
            (max, estimate) => max.or(estimate),
        };
        self.lock().rate = rate;
    }

    /// The rate in force, records per second (`None`: unlimited).
    pub(crate) fn rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// Counts `n` records taken in, then waits as long as the rate requires before more may be
    /// read; returns early once `stopped` is true.
    pub(crate) fn acquire(&self, n: u64, stopped: impl Fn() -> bool) {
        let wait = {
            let mut bucket = self.lock();
            let Some(rate) = bucket.rate else { return };
            let now = Instant::now();
            let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
            bucket.refilled = now;
            bucket.tokens -= n as f64;
            if bucket.tokens >= 0.0 {
                return;
            }
            std::time::Duration::from_secs_f64(-bucket.tokens / rate)
        };
        let until = Instant::now() + wait;
        while !stopped() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(std::time::Duration::from_millis(20)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_a_receiver_to_its_rate_after_a_second_of_burst() {
        let limiter = RateLimiter::new(Some(2000.0));
        let start = Instant::now();
        for _ in 0..30 {
            limiter.acquire(100, || false); // 3000 records: 2000 of burst, then 1000 at 2000/s
        }
        let took = start.elapsed().as_secs_f64();
        assert!((0.45..1.5).contains(&took), "{took} s");
    }

    #[test]
    fn the_estimate_cannot_raise_the_maximum() {
        let limiter = RateLimiter::new(Some(100.0));
        limiter.set_estimate(Some(5000.0));
        assert_eq!(limiter.rate(), Some(100.0));
        limiter.set_estimate(Some(50.0));
        assert_eq!(limiter.rate(), Some(50.0));
        let free = RateLimiter::new(None);
        assert_eq!(free.rate(), None);
        free.set_estimate(Some(300.0));
        assert_eq!(free.rate(), Some(300.0));
    }
}
