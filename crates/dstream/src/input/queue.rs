//! `queue_stream`: batches given up front (Spark's `QueueInputDStream`), for tests and exercises.

use super::{Source, input_stream};
use crate::context::StreamingContext;
use crate::dstream::DStream;
use crate::error::Result;
use crate::persist::Persist;
use crate::rdd::Data;
use crate::time::Time;
use std::collections::VecDeque;
use std::sync::Mutex;

struct QueueSource<T> {
    queue: Mutex<Queue<T>>,
    one_at_a_time: bool,
    default: Option<Vec<T>>,
}

struct Queue<T> {
    batches: VecDeque<Vec<T>>,
    /// How many batches were taken: the position a checkpoint records.
    taken: usize,
}

impl<T: Data> QueueSource<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Data> Source<T> for QueueSource<T> {
    fn take_batch(&self, _time: Time) -> Vec<T> {
        let mut queue = self.lock();
        if queue.batches.is_empty() {
            return self.default.clone().unwrap_or_default();
        }
        if self.one_at_a_time {
            queue.taken += 1;
            queue.batches.pop_front().unwrap_or_default()
        } else {
            queue.taken += queue.batches.len();
            queue.batches.drain(..).flatten().collect()
        }
    }

    fn save(&self, out: &mut Vec<u8>) {
        self.lock().taken.write(out);
    }

    /// Skips the batches taken before the checkpoint: the queue is declared again, whole, by
    /// the pipeline's setup.
    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        let taken = usize::read(input)?;
        let mut queue = self.lock();
        let skip = taken.min(queue.batches.len());
        queue.batches.drain(..skip);
        queue.taken = taken;
        Ok(())
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
        let queue = Queue { batches: batches.into_iter().collect(), taken: 0 };
        let source = QueueSource { queue: Mutex::new(queue), one_at_a_time, default };
        input_stream(self.shared(), "queue_stream", source)
    }
}
