//! Reading Kafka: `kafka_direct_stream` against a hand-written rskafka consumer, in one process,
//! on the same real broker (Tansu, started here on a free port) and the same records.
//!
//! Run with `cargo bench -p dstream --features kafka --bench kafka` (or `scripts/bench`). It
//! appends 100,000 lines of 10 words to a 3-partition topic, then, three times each:
//! - the baseline fetches every partition from offset 0 to its end with rskafka (same fetch size
//!   and wait as the stream) and counts words with `&str` keys in an Fx `HashMap`, one thread;
//! - the lab's word count reads the topic from the start in one batch of a `kafka_direct_stream`
//!   (`flat_map(|m| m.value.split(' '))` → `map` → `reduce_by_key`), timed from the batch's
//!   boundary to the end of its output.
//!
//! Both must find the same counts; records/s and the ratio are printed, never asserted: with a
//! broker in the loop, the broker's speed dominates.

#[path = "../tests/util/mod.rs"]
mod util;

use dstream::kafka::{KafkaOptions, StartingOffsets};
use dstream::{Clock, Duration, ManualClock, PairDStreamExt, Stop, StreamingContext, Time};
use rskafka::client::ClientBuilder;
use rskafka::client::partition::{Compression, OffsetAt, UnknownTopicHandling};
use rskafka::record::Record;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

const LINES: usize = 100_000;
const WORDS_PER_LINE: usize = 10;
const PARTITIONS: i32 = 3;
const TOPIC: &str = "bench";

fn lines() -> Vec<String> {
    let mut state = 42u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..LINES)
        .map(|_| (0..WORDS_PER_LINE).map(|_| format!("w{}", next() % 1000)).collect::<Vec<_>>().join(" "))
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The baseline: fetch everything, count words. Returns (seconds, total words, distinct words).
fn baseline(runtime: &tokio::runtime::Runtime, brokers: &str) -> (f64, i64, usize) {
    runtime.block_on(async {
        let started = std::time::Instant::now();
        let client = ClientBuilder::new(vec![brokers.to_string()]).build().await.unwrap();
        let mut records = Vec::new();
        for partition in 0..PARTITIONS {
            let partition =
                client.partition_client(TOPIC, partition, UnknownTopicHandling::Error).await.unwrap();
            let end = partition.get_offset(OffsetAt::Latest).await.unwrap();
            let mut offset = 0;
            while offset < end {
                let (fetched, _) = partition.fetch_records(offset, 1..(4 << 20), 10).await.unwrap();
                for record in fetched {
                    if record.offset >= offset && record.offset < end {
                        offset = record.offset + 1;
                        records.push(record.record.value.unwrap_or_default());
                    }
                }
            }
        }
        let mut counts: FxHashMap<&str, i64> = FxHashMap::default();
        for value in &records {
            for word in std::str::from_utf8(value).unwrap().split(' ') {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
        let total = counts.values().sum();
        (started.elapsed().as_secs_f64(), total, counts.len())
    })
}

/// The lab's word count on a direct stream, one batch holding the whole topic.
fn direct_stream(brokers: &str) -> (f64, i64, usize) {
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone())).unwrap();
    let options = KafkaOptions { starting_offsets: StartingOffsets::Earliest, ..KafkaOptions::default() };
    let result = Arc::new(Mutex::new((0i64, 0usize)));
    let sink = Arc::clone(&result);
    ssc.kafka_direct_stream(brokers, [TOPIC], options)
        .flat_map(|message| message.value.split(' '))
        .map(|word| (word, 1i64))
        .reduce_by_key(|a, b| a + b)
        .foreach_rdd(move |rdd| {
            let counts = rdd.collect();
            *sink.lock().unwrap() = (counts.iter().map(|(_, n)| n).sum(), counts.len());
        });
    ssc.start().unwrap();
    let started = std::time::Instant::now();
    clock.set(Time::from_millis(1000));
    while ssc.batch_history().is_empty() {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let seconds = started.elapsed().as_secs_f64();
    ssc.stop(Stop::Now).unwrap();
    let (total, distinct) = *result.lock().unwrap();
    (seconds, total, distinct)
}

fn main() {
    println!(
        "dstream Kafka benchmark: {LINES} lines of {WORDS_PER_LINE} words, {PARTITIONS} partitions, Tansu (SQLite)"
    );
    let broker = util::Broker::start("bench-kafka");
    let brokers = broker.address();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let lines = lines();
    let produced = std::time::Instant::now();
    runtime.block_on(async {
        let client = ClientBuilder::new(vec![brokers.clone()]).build().await.unwrap();
        client.controller_client().unwrap().create_topic(TOPIC, PARTITIONS, 1, 5000).await.unwrap();
        for index in 0..PARTITIONS {
            let partition = client.partition_client(TOPIC, index, UnknownTopicHandling::Retry).await.unwrap();
            let mine: Vec<&String> = lines.iter().skip(index as usize).step_by(PARTITIONS as usize).collect();
            for chunk in mine.chunks(2000) {
                // A record's time (rskafka's chrono has no clock: it comes from the system's).
                let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
                let now =
                    rskafka::chrono::DateTime::from_timestamp_millis(since_epoch.as_millis() as i64).unwrap();
                let records = chunk
                    .iter()
                    .map(|line| Record {
                        key: None,
                        value: Some(line.as_bytes().to_vec()),
                        headers: Default::default(),
                        timestamp: now,
                    })
                    .collect();
                partition.produce(records, Compression::NoCompression).await.unwrap();
            }
        }
    });
    println!("   produced in {:.1} s", produced.elapsed().as_secs_f64());

    let expected_total = (LINES * WORDS_PER_LINE) as i64;
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (seconds, total, distinct_base) = baseline(&runtime, &brokers);
        assert_eq!(total, expected_total, "the baseline read every word once");
        base.push(LINES as f64 / seconds);
        let (seconds, total, distinct) = direct_stream(&brokers);
        assert_eq!(
            (total, distinct),
            (expected_total, distinct_base),
            "the stream finds the baseline's counts"
        );
        ours.push(LINES as f64 / seconds);
    }
    let (base, ours) = (median(base), median(ours));
    println!("   baseline (rskafka fetch loop + word count): {:>9.0} records/s", base);
    println!("   kafka_direct_stream word count (one batch): {:>9.0} records/s", ours);
    println!("   ratio dstream / baseline: {:.2}x (medians of 3)", ours / base);
}
