//! Kafka (crate feature `kafka`): [`StreamingContext::kafka_direct_stream`]'s records and
//! options, and [`KafkaLineProducer`], the lab's line server writing to a topic.
//!
//! Works with any broker speaking the Kafka protocol; the lab runs Tansu (`scripts/kafka start`).
//!
//! [`StreamingContext::kafka_direct_stream`]: crate::StreamingContext::kafka_direct_stream

pub(crate) mod client;
mod producer;
mod record;

pub use producer::KafkaLineProducer;
pub use record::{KafkaRecord, OffsetRange};

use crate::time::Duration;

/// Where a stream without checkpoint starts reading each partition (Kafka's `auto.offset.reset`).
///
/// # Examples
///
/// ```
/// use dstream::kafka::{KafkaOptions, StartingOffsets};
///
/// // Read what the topic already holds, not only what arrives after `start()`.
/// let options = KafkaOptions { starting_offsets: StartingOffsets::Earliest, ..KafkaOptions::default() };
/// assert_eq!(KafkaOptions::default().starting_offsets, StartingOffsets::Latest);
/// # let _ = options;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartingOffsets {
    /// At the oldest record still kept: everything the topic holds is read.
    Earliest,
    /// At the end: only records appended after `start()` are read (Spark's default).
    #[default]
    Latest,
}

/// Settings of [`kafka_direct_stream`](crate::StreamingContext::kafka_direct_stream).
///
/// # Examples
///
/// ```
/// use dstream::Duration;
/// use dstream::kafka::{KafkaOptions, StartingOffsets};
///
/// let options = KafkaOptions {
///     starting_offsets: StartingOffsets::Earliest,
///     max_records_per_partition: Some(1000),
///     ..KafkaOptions::default()
/// };
/// assert_eq!(options.fetch_max_wait, Duration::from_millis(10));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaOptions {
    /// Where to start when no checkpoint says where to resume (default: [`StartingOffsets::Latest`]).
    pub starting_offsets: StartingOffsets,
    /// At most this many records per partition in one batch (default: no limit), Spark's
    /// `maxRatePerPartition` per batch: a stream that starts far behind catches up over several
    /// batches instead of one huge one.
    pub max_records_per_partition: Option<u64>,
    /// How long the broker may hold a fetch waiting for data (default 10 ms). Kept short: some
    /// brokers hold every fetch this long even when data is ready, and each batch waits for it.
    pub fetch_max_wait: Duration,
    /// How long to wait for the broker's answer to one request, connection included (default
    /// 2 s); past it the batch goes on with what it has and the next one retries.
    pub request_timeout: Duration,
}

impl Default for KafkaOptions {
    fn default() -> Self {
        KafkaOptions {
            starting_offsets: StartingOffsets::Latest,
            max_records_per_partition: None,
            fetch_max_wait: Duration::from_millis(10),
            request_timeout: Duration::from_secs(2),
        }
    }
}
