//! `queue_stream`: batches given up front (Spark's `QueueInputDStream`), for tests and exercises.

use super::{Source, input_stream};
use crate::context::StreamingContext;
use crate::dstream::DStream;
use crate::rdd::Data;
use crate::time::Time;
use std::collections::VecDeque;
use std::sync::Mutex;

struct QueueSource<T> {
    queue: Mutex<VecDeque<Vec<T>>>,
    one_at_a_time: bool,
    default: Option<Vec<T>>,
}

impl<T: Data> Source<T> for QueueSource<T> {
    fn take_batch(&self, _time: Time) -> Vec<T> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.is_empty() {
            return self.default.clone().unwrap_or_default();
        }
        if self.one_at_a_time {
            queue.pop_front().unwrap_or_default()
        } else {
            queue.drain(..).flatten().collect()
        }
    }
}

impl StreamingContext {
    /// A stream whose batches are given up front (Spark's `queueStream`).
    ///
    /// With `one_at_a_time`, each batch interval takes the next batch of `batches`; otherwise the
    /// first batch takes them all. Once the queue is empty, each batch is `default` (or empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use dstream::DStream;
    /// // The test helper feeds its batches through queue_stream(batches, true, None).
    /// let out = dstream::testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| s);
    /// assert_eq!(out, vec![vec![1, 2], vec![], vec![3]]);
    /// ```
    pub fn queue_stream<T: Data>(
        &self,
        batches: impl IntoIterator<Item = Vec<T>>,
        one_at_a_time: bool,
        default: Option<Vec<T>>,
    ) -> DStream<T> {
        let source = QueueSource { queue: Mutex::new(batches.into_iter().collect()), one_at_a_time, default };
        input_stream(self.shared(), "queue_stream", source)
    }
}
