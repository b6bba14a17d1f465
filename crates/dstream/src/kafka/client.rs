//! A blocking Kafka client for the engine's threads: rskafka on a single-threaded tokio runtime,
//! every request bounded by a timeout, reconnecting after any failure.

use crate::error::{Error, ErrorKind, Result};
use rskafka::client::partition::{Compression, OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::{Record, RecordAndOffset};
use std::collections::HashMap;
use std::sync::Arc;

/// Up to this many bytes per fetch request (the broker may return a little more: whole batches).
const FETCH_MAX_BYTES: i32 = 4 << 20;

pub(crate) struct KafkaClient {
    /// The bootstrap brokers as given, for messages.
    brokers: String,
    timeout: std::time::Duration,
    runtime: tokio::runtime::Runtime,
    /// `None` until connected, and again after a failure (the next call reconnects).
    client: Option<Client>,
    partitions: HashMap<(String, i32), Arc<PartitionClient>>,
}

impl KafkaClient {
    /// A client for `brokers` (`host:port`, comma-separated); it connects on first use.
    pub(crate) fn new(brokers: &str, timeout: std::time::Duration) -> Result<Self> {
        if parse_brokers(brokers).is_empty() {
            return Err(Error::invalid_argument(format!(
                "no Kafka broker given (got {brokers:?}); pass host:port, e.g. \"127.0.0.1:9092\""
            )));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the Kafka client's runtime", e))?;
        Ok(KafkaClient {
            brokers: brokers.to_string(),
            timeout,
            runtime,
            client: None,
            partitions: HashMap::new(),
        })
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.client.is_some()
    }

    /// Forgets every connection: the next request reconnects.
    fn reset(&mut self) {
        self.client = None;
        self.partitions.clear();
    }

    /// Connects unless connected.
    fn connect(&mut self) -> Result<()> {
        if self.client.is_some() {
            return Ok(());
        }
        let backoff = rskafka::BackoffConfig {
            init_backoff: std::time::Duration::from_millis(50),
            max_backoff: std::time::Duration::from_millis(500),
            base: 2.0,
            deadline: Some(self.timeout),
        };
        let builder =
            ClientBuilder::new(parse_brokers(&self.brokers)).client_id("dstream").backoff_config(backoff);
        match run(&self.runtime, self.timeout, builder.build()) {
            Ok(client) => {
                self.client = Some(client);
                Ok(())
            }
            Err(e) => Err(self.failed("cannot connect", e)),
        }
    }

    /// The error for a failed request; the connections are dropped, the next call reconnects.
    fn failed(&mut self, what: &str, message: String) -> Error {
        self.reset();
        Error::new(ErrorKind::Kafka, format!("Kafka broker {}: {what}: {message}", self.brokers))
    }

    /// The partitions of `topic`, sorted; `None` if the topic does not exist.
    pub(crate) fn partitions(&mut self, topic: &str) -> Result<Option<Vec<i32>>> {
        self.connect()?;
        let client = self.client.as_ref().expect("connected above");
        let topics = match run(&self.runtime, self.timeout, client.list_topics()) {
            Ok(topics) => topics,
            Err(e) => return Err(self.failed("cannot list the topics", e)),
        };
        Ok(topics.into_iter().find(|t| t.name == topic).map(|found| {
            let mut partitions: Vec<i32> = found.partitions.into_iter().collect();
            partitions.sort_unstable();
            partitions
        }))
    }

    /// Creates `topic` with `partitions` partitions unless it exists; returns its partitions.
    pub(crate) fn ensure_topic(&mut self, topic: &str, partitions: i32) -> Result<Vec<i32>> {
        if let Some(existing) = self.partitions(topic)? {
            return Ok(existing);
        }
        self.connect()?;
        let client = self.client.as_ref().expect("connected above");
        let created = match client.controller_client() {
            Ok(controller) => {
                let timeout_ms = i32::try_from(self.timeout.as_millis()).unwrap_or(i32::MAX);
                run(&self.runtime, self.timeout, controller.create_topic(topic, partitions, 1, timeout_ms))
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = created {
            return Err(self.failed(&format!("cannot create topic {topic:?}"), e));
        }
        self.partitions(topic)?.ok_or_else(|| {
            Error::new(
                ErrorKind::Kafka,
                format!("Kafka broker {}: topic {topic:?} was created but is not listed", self.brokers),
            )
        })
    }

    fn partition(&mut self, topic: &str, partition: i32) -> Result<Arc<PartitionClient>> {
        if let Some(found) = self.partitions.get(&(topic.to_string(), partition)) {
            return Ok(Arc::clone(found));
        }
        self.connect()?;
        let client = self.client.as_ref().expect("connected above");
        let opened = run(
            &self.runtime,
            self.timeout,
            client.partition_client(topic, partition, UnknownTopicHandling::Error),
        );
        match opened {
            Ok(opened) => {
                let opened = Arc::new(opened);
                self.partitions.insert((topic.to_string(), partition), Arc::clone(&opened));
                Ok(opened)
            }
            Err(e) => Err(self.failed(&format!("cannot open partition {topic}-{partition}"), e)),
        }
    }

    /// The offset the next record of the partition will get (the end of its log).
    pub(crate) fn latest_offset(&mut self, topic: &str, partition: i32) -> Result<i64> {
        self.offset(topic, partition, OffsetAt::Latest)
    }

    /// The offset of the oldest record the partition still keeps.
    pub(crate) fn earliest_offset(&mut self, topic: &str, partition: i32) -> Result<i64> {
        self.offset(topic, partition, OffsetAt::Earliest)
    }

    fn offset(&mut self, topic: &str, partition: i32, at: OffsetAt) -> Result<i64> {
        let client = self.partition(topic, partition)?;
        run(&self.runtime, self.timeout, client.get_offset(at))
            .map_err(|e| self.failed(&format!("cannot read the offsets of {topic}-{partition}"), e))
    }

    /// Records of the partition from `offset` on (as many as one fetch returns), waiting at most
    /// `max_wait_ms` for data.
    pub(crate) fn fetch(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_wait_ms: i32,
    ) -> Result<Vec<RecordAndOffset>> {
        let client = self.partition(topic, partition)?;
        run(&self.runtime, self.timeout, client.fetch_records(offset, 1..FETCH_MAX_BYTES, max_wait_ms))
            .map(|(records, _high_watermark)| records)
            .map_err(|e| self.failed(&format!("cannot fetch {topic}-{partition} from offset {offset}"), e))
    }

    /// Appends `records` to the partition; returns their offsets.
    pub(crate) fn produce(&mut self, topic: &str, partition: i32, records: Vec<Record>) -> Result<Vec<i64>> {
        let client = self.partition(topic, partition)?;
        run(&self.runtime, self.timeout, client.produce(records, Compression::NoCompression))
            .map_err(|e| self.failed(&format!("cannot produce to {topic}-{partition}"), e))
    }
}

/// Runs `request` to completion on `runtime`, giving up after `timeout`.
fn run<T, E: std::fmt::Display>(
    runtime: &tokio::runtime::Runtime,
    timeout: std::time::Duration,
    request: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> std::result::Result<T, String> {
    // rskafka retries failed requests until its backoff deadline (`timeout`) and then says why;
    // but it retries connecting to a broker that is down without end, which this timer, a little
    // longer, stops. It must be created inside the runtime, hence the `async` block.
    let limit = timeout + timeout / 2;
    match runtime.block_on(async { tokio::time::timeout(limit, request).await }) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms (is it down?)", limit.as_millis())),
    }
}

/// `"a:1, b:2"` → `["a:1", "b:2"]`.
pub(crate) fn parse_brokers(brokers: &str) -> Vec<String> {
    brokers.split(',').map(str::trim).filter(|b| !b.is_empty()).map(str::to_string).collect()
}

/// The time to stamp a produced record with: now, from the system clock (the chrono that rskafka
/// re-exports is built without its clock).
pub(crate) fn now() -> rskafka::chrono::DateTime<rskafka::chrono::Utc> {
    rskafka::chrono::DateTime::from_timestamp_millis(crate::clock::system_now().as_millis())
        .unwrap_or_default()
}
