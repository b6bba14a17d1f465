//! `PidRateEstimator`: backpressure's estimate of how many records per second the pipeline can
//! process (Spark's `PIDRateEstimator`, with its defaults).
//!
//! After each batch, the rate that was processed is compared with the rate the receivers were
//! allowed; the error, the delay already accumulated (the scheduling delay, turned into records
//! waiting) and the error's change give the new rate, as a PID controller does.

use crate::time::Duration;

pub(crate) struct PidRateEstimator {
    batch_interval_ms: f64,
    proportional: f64,
    integral: f64,
    derivative: f64,
    min_rate: f64,
    first: bool,
    latest_time_ms: i64,
    latest_rate: f64,
    latest_error: f64,
}

impl PidRateEstimator {
    /// Spark's defaults: proportional 1.0, integral 0.2, derivative 0.0, at least 100 records/s.
    pub(crate) fn new(batch_interval: Duration) -> Self {
        PidRateEstimator {
            batch_interval_ms: batch_interval.as_millis() as f64,
            proportional: 1.0,
            integral: 0.2,
            derivative: 0.0,
            min_rate: 100.0,
            first: true,
            latest_time_ms: -1,
            latest_rate: -1.0,
            latest_error: -1.0,
        }
    }

    /// The new rate, records per second, after the batch at `time_ms` of `records` records that
    /// took `processing` and waited `scheduling`; `None` when there is nothing to learn from (an
    /// empty batch, the first one).
    pub(crate) fn compute(
        &mut self,
        time_ms: i64,
        records: u64,
        processing: std::time::Duration,
        scheduling: std::time::Duration,
    ) -> Option<f64> {
        let processing_ms = processing.as_secs_f64() * 1000.0;
        if time_ms <= self.latest_time_ms || records == 0 || processing_ms <= 0.0 {
            return None;
        }
        let since_update = (time_ms - self.latest_time_ms) as f64 / 1000.0;
        let processing_rate = records as f64 / processing_ms * 1000.0;
        let error = self.latest_rate - processing_rate;
        // Records that have piled up, as a rate over one batch interval.
        let historical_error = scheduling.as_secs_f64() * 1000.0 * processing_rate / self.batch_interval_ms;
        let d_error = (error - self.latest_error) / since_update;
        let new_rate = (self.latest_rate
            - self.proportional * error
            - self.integral * historical_error
            - self.derivative * d_error)
            .max(self.min_rate);
        self.latest_time_ms = time_ms;
        if self.first {
            self.latest_rate = processing_rate;
            self.latest_error = 0.0;
            self.first = false;
            None
        } else {
            self.latest_rate = new_rate;
            self.latest_error = error;
            Some(new_rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as Std;

    /// A pipeline that processes 1000 records/s, fed faster: the estimate falls to about what it
    /// can process, and lower while the delay that piled up is being worked off.
    #[test]
    fn converges_on_what_the_pipeline_can_process() {
        let mut estimator = PidRateEstimator::new(Duration::from_secs(1));
        let mut rate = 5000.0;
        let mut delay = 0.0f64; // seconds of backlog
        for batch in 1..=30 {
            let records = rate as u64;
            let processing = records as f64 / 1000.0; // seconds
            delay = (delay + processing - 1.0).max(0.0);
            if let Some(next) = estimator.compute(
                batch * 1000,
                records,
                Std::from_secs_f64(processing),
                Std::from_secs_f64(delay),
            ) {
                rate = next;
            }
        }
        assert!((100.0..1100.0).contains(&rate), "{rate}");
        assert!(delay < 1.0, "the backlog is worked off: {delay} s");
    }

    #[test]
    fn learns_nothing_from_empty_batches_or_the_first_one() {
        let mut estimator = PidRateEstimator::new(Duration::from_secs(1));
        assert_eq!(estimator.compute(1000, 0, Std::from_millis(10), Std::ZERO), None);
        assert_eq!(estimator.compute(2000, 500, Std::from_millis(100), Std::ZERO), None);
        assert!(estimator.compute(3000, 500, Std::from_millis(100), Std::ZERO).is_some());
    }
}
