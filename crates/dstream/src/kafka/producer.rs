//! `KafkaLineProducer`: the lab's line server, Kafka edition — lines at a steady rate, appended
//! to a topic's partitions in turn.

use super::client::KafkaClient;
use crate::error::{Error, Result};
use crate::line_server::LineServerBuilder;
use crate::time::Duration;
use rskafka::record::Record;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Partitions of a topic the producer creates.
const DEFAULT_PARTITIONS: i32 = 3;
/// At most this many produced records are kept for [`KafkaLineProducer::sent`].
const SENT_LOG_LIMIT: usize = 1 << 20;
/// At most this many lines in one produce request (after an outage, the backlog goes in pieces).
const MAX_LINES_PER_REQUEST: usize = 1000;

/// A background producer appending lines to a Kafka topic at a steady rate, until stopped (or
/// dropped); made by [`LineServerBuilder::start_kafka`].
///
/// # Examples
///
/// Needs a broker (`scripts/kafka start`), so it is not run here:
///
/// ```no_run
/// use dstream::LineServer;
///
/// let producer = LineServer::random_from_file("donnees/phrases.txt", 7)?
///     .lines_per_second(10)
///     .limit(100)
///     .start_kafka("127.0.0.1:9092", "phrases")?;
/// producer.wait_until_sent(dstream::secs(30));
/// assert_eq!(producer.sent_count(), 100);
/// # Ok::<(), dstream::Error>(())
/// ```
pub struct KafkaLineProducer {
    topic: String,
    partitions: Vec<i32>,
    shared: Arc<ProducerShared>,
}

struct ProducerShared {
    stopped: AtomicBool,
    sent: AtomicU64,
    /// (partition, offset, line) of each line the broker acknowledged.
    log: Mutex<Vec<(i32, i64, String)>>,
    errors: AtomicU64,
    last_error: Mutex<Option<String>>,
    finished: AtomicBool,
}

impl LineServerBuilder {
    /// Starts sending the lines to Kafka instead of a socket: to `topic` on the broker(s) at
    /// `brokers` (`host:port`, comma-separated), one record per line (no key, the line as value),
    /// spread over the topic's partitions in turn. Creates the topic, with 3 partitions, if it does
    /// not exist. Needs the crate feature `kafka`.
    ///
    /// Lines the broker does not acknowledge (it went away) are sent again when it returns, in
    /// the same order; a line whose acknowledgement was lost can thus be appended twice (Kafka's
    /// "at least once"). Fails if the broker cannot be reached.
    ///
    /// ```
    /// use dstream::{ErrorKind, LineServer};
    ///
    /// // Nothing listens on port 1: the error says so, and what to start.
    /// let err = LineServer::cycle(["spark"]).start_kafka("127.0.0.1:1", "phrases").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Kafka);
    /// assert!(err.to_string().contains("scripts/kafka start"));
    /// ```
    pub fn start_kafka(self, brokers: &str, topic: &str) -> Result<KafkaLineProducer> {
        self.validate()?;
        let mut client = KafkaClient::new(brokers, std::time::Duration::from_secs(5))?;
        let partitions = client.ensure_topic(topic, DEFAULT_PARTITIONS).map_err(|e| {
            Error::new(e.kind(), format!("{e}. Is the broker running (scripts/kafka start)?"))
        })?;
        let shared = Arc::new(ProducerShared {
            stopped: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            errors: AtomicU64::new(0),
            last_error: Mutex::new(None),
            finished: AtomicBool::new(false),
        });
        let producer = KafkaLineProducer { topic: topic.to_string(), partitions, shared };
        let (state, topic, partitions) =
            (Arc::clone(&producer.shared), producer.topic.clone(), producer.partitions.clone());
        std::thread::Builder::new()
            .name(format!("dstream-kafka-producer-{topic}"))
            .spawn(move || {
                produce(client, &self, &topic, &partitions, &state);
                state.finished.store(true, Ordering::Release);
            })
            .map_err(|e| Error::io("cannot start the producer thread", e))?;
        Ok(producer)
    }
}

impl KafkaLineProducer {
    /// The topic it writes to.
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// assert_eq!(producer.topic(), "phrases");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The topic's partitions.
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// assert_eq!(producer.partitions(), [0, 1, 2]); // a topic it created has 3
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }

    /// How many lines the broker has acknowledged.
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// producer.wait_until_sent(dstream::secs(10));
    /// assert_eq!(producer.sent_count(), 3);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn sent_count(&self) -> u64 {
        self.shared.sent.load(Ordering::Acquire)
    }

    /// The lines acknowledged, partition after partition at each tick (the first million).
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// producer.wait_until_sent(dstream::secs(10));
    /// assert_eq!(producer.sent_lines(), ["spark streaming"; 3]);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn sent_lines(&self) -> Vec<String> {
        self.lock_log().iter().map(|(_, _, line)| line.clone()).collect()
    }

    /// `(partition, offset, line)` of each acknowledged line (the first million).
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// producer.wait_until_sent(dstream::secs(10));
    /// for (partition, offset, line) in producer.sent() {
    ///     println!("{line} -> partition {partition}, offset {offset}");
    /// }
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn sent(&self) -> Vec<(i32, i64, String)> {
        self.lock_log().clone()
    }

    /// How many produce requests failed (they are retried), and the latest failure.
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// let (failed, last) = producer.errors();
    /// if failed > 0 {
    ///     println!("{failed} produce requests failed and were retried; the last: {last:?}");
    /// }
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn errors(&self) -> (u64, Option<String>) {
        let last = self.shared.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (self.shared.errors.load(Ordering::Acquire), last)
    }

    /// Waits until the limit given to the builder is reached and acknowledged, the producer is
    /// stopped, or `timeout` passes; returns whether it finished.
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// assert!(producer.wait_until_sent(dstream::secs(10)), "3 lines within 10 s");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn wait_until_sent(&self, timeout: impl Into<Duration>) -> bool {
        let deadline = std::time::Instant::now() + timeout.into().to_std();
        while !self.shared.finished.load(Ordering::Acquire) {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    }

    /// Stops producing (lines not yet sent are not sent).
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// # let producer = dstream::LineServer::cycle(["spark streaming"]).limit(3).start_kafka("127.0.0.1:9092", "phrases")?;
    /// producer.stop();
    /// assert!(producer.wait_until_sent(dstream::secs(1)), "a stopped producer is finished");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::Release);
    }

    fn lock_log(&self) -> std::sync::MutexGuard<'_, Vec<(i32, i64, String)>> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for KafkaLineProducer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for KafkaLineProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLineProducer")
            .field("topic", &self.topic)
            .field("partitions", &self.partitions)
            .field("sent", &self.sent_count())
            .finish()
    }
}

/// The producer thread: every tick, the lines now due, grouped by partition, one request each.
fn produce(
    mut client: KafkaClient,
    config: &LineServerBuilder,
    topic: &str,
    partitions: &[i32],
    shared: &ProducerShared,
) {
    let mut next_line = config.line_picker();
    let every = config.every.to_std();
    let started = std::time::Instant::now();
    // Lines drawn but not acknowledged yet, oldest first, with their partition.
    let mut pending: std::collections::VecDeque<(i32, String)> = Default::default();
    let mut drawn = 0u64;
    let mut failing = false;
    while !shared.stopped.load(Ordering::Acquire) {
        let due = (started.elapsed().as_nanos() / every.as_nanos().max(1)) as u64 + 1;
        let due = config.limit.map_or(due, |limit| due.min(limit));
        while drawn < due {
            let partition = partitions[(drawn % partitions.len() as u64) as usize];
            pending.push_back((partition, next_line()));
            drawn += 1;
        }
        if pending.is_empty() && config.limit.is_some_and(|limit| drawn >= limit) {
            return;
        }
        for &partition in partitions {
            let lines: Vec<&String> = pending
                .iter()
                .filter(|(p, _)| *p == partition)
                .map(|(_, l)| l)
                .take(MAX_LINES_PER_REQUEST)
                .collect();
            if lines.is_empty() {
                continue;
            }
            let now = super::client::now();
            let records = lines
                .iter()
                .map(|line| Record {
                    key: None,
                    value: Some(line.as_bytes().to_vec()),
                    headers: Default::default(),
                    timestamp: now,
                })
                .collect();
            match client.produce(topic, partition, records) {
                Ok(offsets) => {
                    if failing {
                        failing = false;
                        eprintln!("dstream: Kafka producer: the broker answers again; sending resumed.");
                    }
                    acknowledge(config, topic, partition, &offsets, &mut pending, shared);
                }
                Err(e) => {
                    shared.errors.fetch_add(1, Ordering::AcqRel);
                    *shared.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                    if !failing {
                        failing = true;
                        eprintln!("dstream: Kafka producer: {e}; the lines not sent are kept and retried.");
                    }
                    break;
                }
            }
        }
        let next_due = every.mul_f64(drawn as f64).saturating_sub(started.elapsed());
        let pause = if failing {
            std::time::Duration::from_millis(500)
        } else {
            next_due.min(std::time::Duration::from_millis(50))
        };
        std::thread::sleep(pause);
    }
}

/// Records the lines of `partition` just acknowledged at `offsets` and removes them from `pending`.
fn acknowledge(
    config: &LineServerBuilder,
    topic: &str,
    partition: i32,
    offsets: &[i64],
    pending: &mut std::collections::VecDeque<(i32, String)>,
    shared: &ProducerShared,
) {
    let mut log = shared.log.lock().unwrap_or_else(|e| e.into_inner());
    let acknowledged = offsets.len() as u64;
    // The acknowledged lines are the partition's first pending ones, in order.
    let mut offsets = offsets.iter();
    pending.retain(|(p, line)| {
        if *p != partition {
            return true;
        }
        let Some(&offset) = offsets.next() else { return true };
        if config.verbose {
            println!("[kafka {}] {topic}-{partition}@{offset}: {line}", crate::local_time::clock_now());
        }
        if log.len() < SENT_LOG_LIMIT {
            log.push((partition, offset, line.clone()));
        }
        false
    });
    shared.sent.fetch_add(acknowledged, Ordering::AcqRel);
}
