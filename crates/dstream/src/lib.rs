//! Micro-batch stream processing with the API of Spark Streaming's DStreams, in Rust.
//!
//! `dstream` re-creates the model of Apache Spark Streaming for teaching: a [`StreamingContext`]
//! cuts the data arriving from its sources into **micro-batches**, one every batch interval; a
//! [`DStream`] (discretized stream) is the sequence of those batches, each an [`Rdd`]; its
//! transformations ([`map`](DStream::map), [`flat_map`](DStream::flat_map),
//! [`reduce_by_key`](PairDStreamExt::reduce_by_key), ...) apply to every batch, and output
//! operations ([`pprint`](DStream::pprint), [`foreach_rdd`](DStream::foreach_rdd),
//! [`save_as_text_files`](DStream::save_as_text_files)) run on every batch.
//!
//! The code of the lab's streaming word count reads almost line for line as in PySpark:
//!
//! ```no_run
//! use dstream::prelude::*;
//!
//! let ssc = StreamingContext::new(Duration::from_secs(5))?;
//! let lines = ssc.socket_text_stream("localhost", 9999);
//! let words = lines.flat_map(|line| line.split(' '));
//! let pairs = words.map(|w| (w, 1));
//! let counts = pairs.reduce_by_key(|a, b| a + b);
//! counts.pprint();
//!
//! ssc.start()?;
//! ssc.await_termination_or_timeout(Duration::from_secs(30))?;
//! ssc.stop(Stop::Now)?;
//! # Ok::<(), dstream::Error>(())
//! ```
//!
//! The same pipeline, run over fixed batches on a manual clock (what tests and graders do):
//!
//! ```
//! use dstream::prelude::*;
//!
//! let counts = dstream::testing::run_batches(
//!     vec![vec!["spark streaming dstream", "spark spark streaming", "big data spark"]],
//!     |lines: DStream<&str>| {
//!         lines
//!             .flat_map(|line| line.split(' '))
//!             .map(|w| (w, 1))
//!             .reduce_by_key(|a, b| a + b)
//!     },
//! );
//! assert_eq!(counts[0], [("spark", 4), ("streaming", 2), ("dstream", 1), ("big", 1), ("data", 1)]);
//! ```
//!
//! # Architecture
//!
//! As in Spark Streaming: **sources** ([`input`]: socket, queue, directory; Kafka with the crate
//! feature `kafka`, see `kafka`) feed the **DStream
//! graph** ([`DStream`], one module per operator, pair operations in [`PairDStreamExt`], windows
//! and state kept across batches); the **scheduler** (a job generator on the context's [`Clock`],
//! a job thread ticking windows and states then running outputs in declaration order, a
//! [`BatchInfo`] per batch for listeners) drives the **outputs**. With a checkpoint directory, the
//! state of windows and states and the position of replayable sources are written after each
//! batch, and [`StreamingContext::get_or_create`] resumes from them. [`ui`] draws the batch
//! timeline and window diagrams in notebooks.
//!
//! # Where we differ from Spark, on purpose
//!
//! - **Deterministic order.** Records of a batch keep their arrival order through every
//!   transformation, and grouping operations list keys in the order they first occur in the batch.
//!   Spark lists them in hash-partition order, which varies; ours makes printed output and grades
//!   stable.
//! - **Records print in Rust's `Debug` form**: `("spark", 4)` where PySpark prints `('spark', 4)`.
//! - **Empty batches never crash**: [`Rdd::stats`] of an empty batch is an empty [`StatCounter`],
//!   and [`Rdd::reduce`] returns `None` (Spark raises `Can not reduce() empty RDD`).
//! - **Errors are values**: a misuse (declaring an operation after `start()`, a zero batch
//!   interval, ...) is an [`Error`] whose message says what to do, returned by `start()` or the
//!   `await_termination*` calls; a panic in a user function stops the context with an error
//!   naming the batch.
//! - **One process**: partitions of a large batch are processed on all cores with threads, not on
//!   a cluster.

#![deny(missing_docs)]

mod active;
mod aggregate;
mod checkpoint;
pub mod clock;
mod context;
pub mod dstream;
mod error;
mod fs;
pub mod input;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod lab;
mod line_server;
mod local_time;
mod order;
mod output;
mod partition;
mod persist;
mod rdd;
mod sample;
pub mod scheduler;
mod stats;
pub mod testing;
pub mod text;
mod time;
pub mod ui;

pub use clock::{Clock, ManualClock};
pub use context::{ContextState, Stop, StreamingContext};
pub use dstream::{DStream, MapWithStateDStream, PairDStreamExt, State, StateSpec};
pub use error::{Error, ErrorKind, Result};
pub use input::{ReceiverReport, SocketOptions};
pub use line_server::{LineServer, LineServerBuilder};
pub use order::SortKey;
pub use output::{CollectedBatches, DEFAULT_KEPT_BATCHES, OutputResult};
pub use persist::Persist;
pub use rdd::{Data, Rdd};
pub use scheduler::{BatchInfo, StreamingEvent};
pub use stats::{StatCounter, StatValue};
pub use text::Text;
pub use time::{Duration, Interval, Slide, Time, millis, minutes, secs};

/// Everything a notebook needs: `use dstream::prelude::*;`.
pub mod prelude {
    pub use crate::{
        CollectedBatches, DStream, Duration, LineServer, PairDStreamExt, Rdd, StatCounter, State, StateSpec,
        Stop, StreamingContext, Text, Time, millis, minutes, secs,
    };
}
