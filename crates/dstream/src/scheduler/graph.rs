//! `DStreamGraph`: the context's sources and output operations, in declaration order.

use crate::error::Result;
use crate::time::Time;
use std::sync::Arc;

/// A source of the graph, as the scheduler sees it (Spark's `InputDStream` plus its receiver).
pub(crate) trait InputSource: Send + Sync {
    /// Starts receiving (spawns a receiver thread if the source has one).
    fn start(&self, start_time: Time) -> Result<()>;
    /// Stops receiving; what was received stays available to `allocate`. A `graceful` stop first
    /// takes in what the peer already sent.
    fn stop(&self, graceful: bool);
    /// Moves what arrived since the previous batch into the batch at `time`, cut into
    /// `partitions`; returns the number of records.
    fn allocate(&self, time: Time, partitions: usize) -> u64;
    /// Counters of a receiving source.
    fn report(&self) -> Option<crate::ReceiverReport> {
        None
    }
}

/// An output operation (Spark's `ForEachDStream`): runs for every batch of its stream.
pub(crate) trait OutputOp: Send + Sync {
    fn run(&self, time: Time) -> Result<()>;
    fn name(&self) -> &'static str;
}

#[derive(Default)]
pub(crate) struct DStreamGraph {
    pub(crate) inputs: Vec<Arc<dyn InputSource>>,
    pub(crate) outputs: Vec<Arc<dyn OutputOp>>,
}
