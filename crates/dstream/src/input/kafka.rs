//! `kafka_direct_stream`: records of Kafka topics, read without a receiver (Spark's
//! `DirectKafkaInputDStream`). At each batch time the stream asks the broker for the end of each
//! partition and reads from where the previous batch stopped up to there: the batch's offset
//! ranges. Those positions are the stream's state, kept in the checkpoint.

use super::socket::ReceiverReport;
use super::{Source, input_stream};
use crate::context::StreamingContext;
use crate::dstream::DStream;
use crate::error::{Error, ErrorKind, Result};
use crate::kafka::client::KafkaClient;
use crate::kafka::{KafkaOptions, KafkaRecord, OffsetRange, StartingOffsets};
use crate::persist::Persist;
use crate::text::Text;
use crate::time::Time;
use std::collections::BTreeMap;
use std::sync::Mutex;

struct KafkaSource {
    brokers: String,
    topics: Vec<String>,
    options: KafkaOptions,
    batch_interval: crate::time::Duration,
    state: Mutex<KafkaState>,
}

#[derive(Default)]
struct KafkaState {
    client: Option<KafkaClient>,
    /// The next offset to read, per topic and partition.
    positions: BTreeMap<(String, i32), i64>,
    /// Positions read from a checkpoint, used by `start` instead of the starting offsets.
    restored: Option<BTreeMap<(String, i32), i64>>,
    /// What the latest batch read.
    last_ranges: Vec<OffsetRange>,
    /// Whether the latest attempt failed (a warning is printed once per outage).
    failing: bool,
    /// With backpressure: at most this many records per partition in a batch.
    rate_cap: Option<u64>,
    report: ReceiverReport,
}

impl Source<KafkaRecord> for KafkaSource {
    fn start(&self, _start_time: Time) -> Result<()> {
        if self.topics.is_empty() {
            return Err(Error::invalid_argument("kafka_direct_stream needs at least one topic to read"));
        }
        let mut state = self.lock();
        let mut client = KafkaClient::new(&self.brokers, self.options.request_timeout.to_std())?;
        let unreachable = |e: Error| {
            Error::new(
                ErrorKind::Kafka,
                format!(
                    "kafka_direct_stream cannot start: {e}. Is the broker running (scripts/kafka start)?"
                ),
            )
        };
        let mut positions = BTreeMap::new();
        for topic in &self.topics {
            let Some(partitions) = client.partitions(topic).map_err(unreachable)? else {
                return Err(Error::new(
                    ErrorKind::Kafka,
                    format!(
                        "kafka_direct_stream cannot start: the broker {} has no topic {topic:?}. Create it \
                         first: `scripts/kafka topic {topic}` in a terminal, or start a producer \
                         (LineServer::...start_kafka creates its topic).",
                        self.brokers
                    ),
                ));
            };
            for partition in partitions {
                let key = (topic.clone(), partition);
                let restored = state.restored.as_ref().and_then(|r| r.get(&key)).copied();
                let position = match (restored, self.options.starting_offsets) {
                    (Some(position), _) => Ok(position),
                    (None, StartingOffsets::Earliest) => client.earliest_offset(topic, partition),
                    (None, StartingOffsets::Latest) => client.latest_offset(topic, partition),
                }
                .map_err(unreachable)?;
                positions.insert(key, position);
            }
        }
        state.positions = positions;
        state.report.connected = true;
        state.report.connections += 1;
        state.client = Some(client);
        Ok(())
    }

    fn take_batch(&self, _time: Time) -> Vec<KafkaRecord> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(client) = state.client.as_mut() else { return Vec::new() };
        let was_connected = client.is_connected();
        let mut records = Vec::new();
        let mut ranges = Vec::with_capacity(state.positions.len());
        let mut failure = None;
        let mut invalid_utf8 = 0;
        let cap = match (self.options.max_records_per_partition, state.rate_cap) {
            (Some(max), Some(rate)) => Some(max.min(rate)),
            (max, rate) => max.or(rate),
        };
        for ((topic, partition), position) in &mut state.positions {
            let from = *position;
            if failure.is_none() {
                let read =
                    read_partition(client, &self.options, cap, topic, *partition, position, &mut records);
                invalid_utf8 += read.invalid_utf8;
                failure = read.error;
            }
            ranges.push(OffsetRange {
                topic: topic.clone(),
                partition: *partition,
                from_offset: from,
                until_offset: *position,
            });
        }
        let report = &mut state.report;
        report.lines += records.len() as u64;
        report.invalid_utf8_lines += invalid_utf8;
        report.connected = client.is_connected();
        if !was_connected && client.is_connected() {
            report.connections += 1;
        }
        match failure {
            Some(e) => {
                report.errors += 1;
                report.last_error = Some(e.to_string());
                if !state.failing {
                    let resume: Vec<String> =
                        state.positions.iter().map(|((t, p), o)| format!("{t}-{p}@{o}")).collect();
                    eprintln!(
                        "dstream: kafka_direct_stream: {e}. This batch holds only what was read before \
                         the error; the next batches retry and resume at {}, so no record is lost. \
                         Is the broker running (scripts/kafka start)?",
                        resume.join(", ")
                    );
                }
                state.failing = true;
            }
            None if state.failing => {
                state.failing = false;
                eprintln!(
                    "dstream: kafka_direct_stream: broker {} answers again; reading resumed.",
                    self.brokers
                );
            }
            None => {}
        }
        state.last_ranges = ranges;
        records
    }

    fn report(&self) -> Option<ReceiverReport> {
        Some(self.lock().report.clone())
    }

    /// Backpressure: the rate becomes a cap per partition and batch (Spark's direct stream does
    /// the same with `maxRatePerPartition`).
    fn set_rate(&self, rate: Option<f64>) {
        let mut state = self.lock();
        let partitions = state.positions.len().max(1) as f64;
        state.rate_cap = rate.map(|r| (r * self.batch_interval.as_secs_f64() / partitions).max(1.0) as u64);
    }

    fn batch_description(&self) -> Option<String> {
        let state = self.lock();
        let ranges: Vec<String> = state.last_ranges.iter().map(ToString::to_string).collect();
        Some(format!("offsets {}", ranges.join(", ")))
    }

    fn save(&self, out: &mut Vec<u8>) {
        let positions: Vec<(String, i32, i64)> =
            self.lock().positions.iter().map(|((t, p), o)| (t.clone(), *p, *o)).collect();
        positions.write(out);
    }

    /// The restarted stream reads on from where the checkpointed batch stopped.
    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        let positions = Vec::<(String, i32, i64)>::read(input)?;
        self.lock().restored = Some(positions.into_iter().map(|(t, p, o)| ((t, p), o)).collect());
        Ok(())
    }
}

impl KafkaSource {
    fn lock(&self) -> std::sync::MutexGuard<'_, KafkaState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What reading one partition for a batch gave, besides the records.
struct PartitionRead {
    invalid_utf8: u64,
    error: Option<Error>,
}

/// Reads the partition from `*position` up to its end as of now (at most
/// `max_records_per_partition`), advancing `*position` past each record kept, so that after an
/// error it still says exactly what this batch holds.
fn read_partition(
    client: &mut KafkaClient,
    options: &KafkaOptions,
    cap: Option<u64>,
    topic: &str,
    partition: i32,
    position: &mut i64,
    out: &mut Vec<KafkaRecord>,
) -> PartitionRead {
    let mut read = PartitionRead { invalid_utf8: 0, error: None };
    let latest = match client.latest_offset(topic, partition) {
        Ok(latest) => latest,
        Err(e) => {
            read.error = Some(e);
            return read;
        }
    };
    let until = match cap {
        Some(max) => latest.min(position.saturating_add(i64::try_from(max).unwrap_or(i64::MAX))),
        None => latest,
    };
    let topic_text = Text::from(topic);
    let max_wait_ms = i32::try_from(options.fetch_max_wait.as_millis()).unwrap_or(i32::MAX);
    while *position < until {
        let fetched = match client.fetch(topic, partition, *position, max_wait_ms) {
            Ok(fetched) => fetched,
            Err(e) => {
                read.error = Some(e);
                return read;
            }
        };
        let before = *position;
        for fetched in fetched {
            // A fetch returns whole record batches: skip what precedes the position, stop at the end.
            if fetched.offset < *position {
                continue;
            }
            if fetched.offset >= until {
                break;
            }
            let record = fetched.record;
            let (value, bad_value) = decode(record.value.as_deref().unwrap_or_default());
            let key = record.key.as_deref().map(decode);
            let bad_key = key.as_ref().is_some_and(|(_, bad)| *bad);
            read.invalid_utf8 += u64::from(bad_value || bad_key);
            out.push(KafkaRecord {
                topic: topic_text.clone(),
                partition,
                offset: fetched.offset,
                key: key.map(|(key, _)| key),
                value,
                timestamp_ms: record.timestamp.timestamp_millis(),
            });
            *position = fetched.offset + 1;
        }
        if *position == before {
            // Nothing at this offset (a gap in the log): the next batch tries again.
            break;
        }
    }
    read
}

/// The text of `bytes`, and whether some were not UTF-8 (replaced by U+FFFD).
fn decode(bytes: &[u8]) -> (Text, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Text::from(text), false),
        Err(_) => (Text::from(String::from_utf8_lossy(bytes).as_ref()), true),
    }
}

impl StreamingContext {
    /// A stream of the records of Kafka `topics` (Spark's `KafkaUtils.createDirectStream`), read
    /// from the broker(s) at `brokers` (`host:port`, comma-separated). Needs the crate feature
    /// `kafka`.
    ///
    /// There is no receiver: at each batch time the stream asks the broker where each partition
    /// ends and reads the records from where the previous batch stopped up to there (at most
    /// [`KafkaOptions::max_records_per_partition`]). Each record lands in exactly one batch, in
    /// offset order within its partition; the batch's offset ranges are in
    /// [`BatchInfo::input_descriptions`](crate::BatchInfo::input_descriptions). With a
    /// [checkpoint](StreamingContext::checkpoint), the positions are saved with each batch and a
    /// context restored by [`get_or_create`](StreamingContext::get_or_create) resumes exactly
    /// after the last completed batch.
    ///
    /// `start()` fails if the broker cannot be reached or a topic does not exist. If the broker
    /// goes away later, the error is printed once and counted in
    /// [`receiver_reports`](StreamingContext::receiver_reports); batches stay empty until it
    /// answers again, then reading resumes where it stopped.
    ///
    /// # Examples
    ///
    /// Needs a broker (`scripts/kafka start`), so it is not run here:
    ///
    /// ```no_run
    /// use dstream::kafka::{KafkaOptions, StartingOffsets};
    /// use dstream::{Duration, PairDStreamExt, StreamingContext};
    ///
    /// let ssc = StreamingContext::new(Duration::from_secs(5))?;
    /// let options = KafkaOptions { starting_offsets: StartingOffsets::Earliest, ..KafkaOptions::default() };
    /// let records = ssc.kafka_direct_stream("127.0.0.1:9092", ["phrases"], options);
    /// records
    ///     .flat_map(|record| record.value.split(' '))
    ///     .map(|word| (word, 1))
    ///     .reduce_by_key(|a, b| a + b)
    ///     .pprint();
    /// ssc.start()?;
    /// ssc.await_termination_or_timeout(std::time::Duration::from_secs(30))?;
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn kafka_direct_stream<S: Into<String>>(
        &self,
        brokers: &str,
        topics: impl IntoIterator<Item = S>,
        options: KafkaOptions,
    ) -> DStream<KafkaRecord> {
        let topics: Vec<String> = topics.into_iter().map(Into::into).collect();
        let report = ReceiverReport {
            stream: format!("kafka_direct_stream({brokers}, [{}])", topics.join(", ")),
            ..Default::default()
        };
        let source = KafkaSource {
            brokers: brokers.to_string(),
            topics,
            options,
            batch_interval: self.batch_interval(),
            state: Mutex::new(KafkaState { report, ..Default::default() }),
        };
        input_stream(self.shared(), "kafka_direct_stream", source)
    }
}
