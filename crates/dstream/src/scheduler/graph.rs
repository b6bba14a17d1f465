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
    /// Whether it holds received records not yet cut into a batch.
    fn pending(&self) -> bool {
        false
    }
    /// Moves what arrived since the previous batch into the batch at `time`, cut into
    /// `partitions`; returns the number of records.
    fn allocate(&self, time: Time, partitions: usize) -> u64;
    /// Counters of a receiving source.
    fn report(&self) -> Option<crate::ReceiverReport> {
        None
    }
    /// What the batch just allocated read (e.g. Kafka offset ranges), shown with the batch.
    fn batch_description(&self) -> Option<String> {
        None
    }
    /// Writes the position to resume from (a replayable source) to a checkpoint.
    fn save(&self, _out: &mut Vec<u8>) {}
    /// Resumes from a position written by `save`.
    fn restore(&self, _input: &mut &[u8]) -> Result<()> {
        Ok(())
    }
    /// The source's name, to match checkpoints with pipelines.
    fn name(&self) -> &'static str;
}

/// A node that keeps data from batch to batch (a window, a state): the job thread ticks it at
/// every batch, before the outputs run, so it sees each of its parent's batches once; its data
/// goes into checkpoints.
pub(crate) trait StatefulOp: Send + Sync {
    fn name(&self) -> &'static str;
    /// Takes in the parent's batch at `time` (if the parent has one then).
    fn tick(&self, time: Time) -> Result<()>;
    fn save(&self, out: &mut Vec<u8>);
    fn restore(&self, input: &mut &[u8]) -> Result<()>;
    /// Whether Spark requires a checkpoint directory for it (state, inverse windows).
    fn requires_checkpoint(&self) -> bool;
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
    /// In declaration order, so a window of a window is ticked after its parent.
    pub(crate) stateful: Vec<Arc<dyn StatefulOp>>,
}
