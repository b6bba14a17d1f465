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
    /// How many received records it holds that no batch has taken yet.
    fn pending(&self) -> u64 {
        0
    }
    /// Backpressure's estimate of what the pipeline can take, records per second, for the
    /// sources that can hold back (receivers).
    fn set_rate(&self, _rate: Option<f64>) {}
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
    /// The type of the data it keeps, e.g. `(String, i64)`: a checkpoint records it, so that a
    /// pipeline keeping another type cannot read those bytes as its own.
    fn data_type(&self) -> String;
    /// How a checkpoint names it: `update_state_by_key of (String, i64)`.
    fn describe(&self) -> String {
        format!("{} of {}", self.name(), self.data_type())
    }
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

/// `std::any::type_name::<T>()` without module paths: `(alloc::string::String, i64)` becomes
/// `(String, i64)`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else if c == ':' {
            segment.clear(); // a module path: keep only what follows the last `::`
        } else {
            out.push_str(&segment);
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(&segment);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_type_names_drop_module_paths() {
        assert_eq!(super::short_type_name::<(String, i64)>(), "(String, i64)");
        assert_eq!(super::short_type_name::<Vec<Option<crate::Text>>>(), "Vec<Option<Text>>");
    }
}
