//! Sources: where a context's batches come from (Spark's `InputDStream`s and receivers).
//!
//! A source collects records as they arrive; at each batch time the job generator moves what has
//! arrived into that batch (`allocate`), so every record lands in exactly one batch.

mod file;
#[cfg(feature = "kafka")]
mod kafka;
mod lines;
mod queue;
mod rate_limiter;
mod socket;

pub use socket::{ReceiverReport, SocketOptions};

use crate::context::ContextShared;
use crate::dstream::{Compute, DStream};
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::scheduler::graph::InputSource;
use crate::time::Time;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What a concrete source does; [`Input`] turns it into a graph input and a DStream.
pub(crate) trait Source<T>: Send + Sync + 'static {
    fn start(&self, _start_time: Time) -> Result<()> {
        Ok(())
    }
    fn stop(&self, _graceful: bool) {}
    /// Everything that arrived since the previous call, for the batch at `time`.
    fn take_batch(&self, time: Time) -> Vec<T>;
    fn report(&self) -> Option<ReceiverReport> {
        None
    }
    fn save(&self, _out: &mut Vec<u8>) {}
    fn restore(&self, _input: &mut &[u8]) -> Result<()> {
        Ok(())
    }
    /// What the batch just taken read, for [`BatchInfo::input_descriptions`](crate::BatchInfo::input_descriptions).
    fn batch_description(&self) -> Option<String> {
        None
    }
    /// How many records were received that no batch holds yet.
    fn pending(&self) -> u64 {
        0
    }
    /// The rate backpressure estimates the pipeline can take, records per second.
    fn set_rate(&self, _rate: Option<f64>) {}
}

/// A source plus the batches it has cut and that the graph has not read yet.
pub(crate) struct Input<T, S> {
    name: &'static str,
    source: S,
    /// How many operators read this source's stream; batches nobody reads are not kept.
    readers: std::sync::OnceLock<Arc<std::sync::atomic::AtomicUsize>>,
    batches: Mutex<BTreeMap<Time, Rdd<T>>>,
}

impl<T: Data, S: Source<T>> InputSource for Input<T, S> {
    fn start(&self, start_time: Time) -> Result<()> {
        self.source.start(start_time)
    }

    fn stop(&self, graceful: bool) {
        self.source.stop(graceful);
    }

    fn allocate(&self, time: Time, partitions: usize) -> u64 {
        let records = self.source.take_batch(time);
        let count = records.len() as u64;
        let read = self.readers.get().is_some_and(|r| r.load(std::sync::atomic::Ordering::Relaxed) > 0);
        if !read {
            return count; // a stream declared but never used: drop what it received
        }
        let rdd = Rdd::split(records, partitions);
        self.batches.lock().unwrap_or_else(|e| e.into_inner()).insert(time, rdd);
        count
    }

    fn report(&self) -> Option<ReceiverReport> {
        self.source.report()
    }

    fn batch_description(&self) -> Option<String> {
        self.source.batch_description()
    }

    fn save(&self, out: &mut Vec<u8>) {
        self.source.save(out);
    }

    fn pending(&self) -> u64 {
        self.source.pending()
    }

    fn set_rate(&self, rate: Option<f64>) {
        self.source.set_rate(rate);
    }

    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        self.source.restore(input)
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

struct InputCompute<T, S>(Arc<Input<T, S>>);

impl<T: Data, S: Source<T>> Compute<T> for InputCompute<T, S> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let mut batches = self.0.batches.lock().unwrap_or_else(|e| e.into_inner());
        let rdd = batches.remove(&time).unwrap_or_else(Rdd::empty);
        // Batches are read in time order: older ones that nobody read are dropped.
        batches.retain(|t, _| *t > time);
        Ok(Some(rdd))
    }
}

/// Registers `source` with the context's graph and returns its stream.
pub(crate) fn input_stream<T: Data, S: Source<T>>(
    ctx: &Arc<ContextShared>,
    name: &'static str,
    source: S,
) -> DStream<T> {
    let input =
        Arc::new(Input { name, source, readers: Default::default(), batches: Mutex::new(BTreeMap::new()) });
    let stream = DStream::new_node(ctx, name, InputCompute(Arc::clone(&input)));
    let _ = input.readers.set(stream.readers());
    ctx.add_input(input);
    stream
}
