//! `kafka_direct_stream` against a real Kafka-protocol broker (Tansu, started by each test on its
//! own port): every record exactly once and in offset order per partition, across batches, a
//! SIGKILLed consumer restarted from its checkpoint, and a broker that goes away and comes back.

mod util;

use dstream::kafka::{KafkaLineProducer, KafkaOptions, KafkaRecord, StartingOffsets};
use dstream::{Duration, LineServer, Stop, StreamingContext};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use util::{Broker, TempDir, wait_for};

/// `n` distinct lines, sent as fast as the producer goes; returns once all are acknowledged.
fn produce(broker: &Broker, topic: &str, first: usize, n: usize) -> KafkaLineProducer {
    let lines: Vec<String> = (first..first + n).map(|i| format!("line {i:05} spark streaming")).collect();
    let producer = LineServer::cycle(lines)
        .every(Duration::from_millis(1))
        .limit(n as u64)
        .start_kafka(&broker.address(), topic)
        .unwrap();
    assert!(producer.wait_until_sent(std::time::Duration::from_secs(60)), "the producer finished");
    assert_eq!(producer.sent_count(), n as u64);
    producer
}

/// What the producer(s) appended: partition → offset → line.
fn appended(producers: &[&KafkaLineProducer]) -> BTreeMap<i32, BTreeMap<i64, String>> {
    let mut log: BTreeMap<i32, BTreeMap<i64, String>> = BTreeMap::new();
    for producer in producers {
        for (partition, offset, line) in producer.sent() {
            assert!(log.entry(partition).or_default().insert(offset, line).is_none(), "offset given twice");
        }
    }
    log
}

/// Checks that `batches` hold each appended record exactly once, in offset order per partition.
fn assert_exactly_once_in_order(
    batches: &[Vec<KafkaRecord>],
    expected: &BTreeMap<i32, BTreeMap<i64, String>>,
) {
    let mut seen: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for record in batches.iter().flatten() {
        let line = expected.get(&record.partition).and_then(|p| p.get(&record.offset));
        assert_eq!(line.map(String::as_str), Some(record.value.as_str()), "{record:?} was appended so");
        seen.entry(record.partition).or_default().push(record.offset);
    }
    for (partition, lines) in expected {
        let offsets: Vec<i64> = lines.keys().copied().collect();
        assert_eq!(seen.get(partition), Some(&offsets), "partition {partition}: every offset once, in order");
    }
    assert_eq!(seen.len(), expected.len(), "no record from elsewhere");
}

fn collecting_stream(
    ssc: &StreamingContext,
    broker: &Broker,
    topic: &str,
    options: KafkaOptions,
) -> Arc<Mutex<Vec<Vec<KafkaRecord>>>> {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&batches);
    ssc.kafka_direct_stream(&broker.address(), [topic], options)
        .foreach_rdd(move |rdd| sink.lock().unwrap().push(rdd.collect()));
    batches
}

fn total(batches: &Mutex<Vec<Vec<KafkaRecord>>>) -> usize {
    batches.lock().unwrap().iter().map(Vec::len).sum()
}

/// Reads `topic` from its start until `n` records are in; returns the stopped context and the
/// records in the order read.
fn read_from_start(broker: &Broker, topic: &str, n: usize) -> (StreamingContext, Vec<KafkaRecord>) {
    let ssc = StreamingContext::new(Duration::from_millis(200)).unwrap();
    let options = KafkaOptions { starting_offsets: StartingOffsets::Earliest, ..KafkaOptions::default() };
    let batches = collecting_stream(&ssc, broker, topic, options);
    ssc.start().unwrap();
    wait_for(60, &format!("{n} records"), || total(&batches) >= n);
    ssc.stop(Stop::Now).unwrap();
    let read = batches.lock().unwrap().concat();
    (ssc, read)
}

#[test]
fn every_record_is_read_exactly_once_in_offset_order_across_batches() {
    let broker = Broker::start("kafka-once");
    let producer = produce(&broker, "lines", 0, 600);
    assert_eq!(producer.partitions(), [0, 1, 2]);
    let expected = appended(&[&producer]);
    assert!(expected.values().all(|p| p.len() == 200), "spread over the 3 partitions in turn");

    let ssc = StreamingContext::new(Duration::from_millis(200)).unwrap();
    let options = KafkaOptions {
        starting_offsets: StartingOffsets::Earliest,
        max_records_per_partition: Some(70),
        ..KafkaOptions::default()
    };
    let batches = collecting_stream(&ssc, &broker, "lines", options);
    ssc.start().unwrap();
    wait_for(60, "600 records", || total(&batches) >= 600);
    // A few more batches: nothing more may come.
    let seen = ssc.batch_history().len();
    wait_for(30, "more batches", || ssc.batch_history().len() >= seen + 3);
    ssc.stop(Stop::Now).unwrap();

    let batches = batches.lock().unwrap();
    assert_exactly_once_in_order(&batches, &expected);
    for batch in batches.iter() {
        for partition in 0..3 {
            let n = batch.iter().filter(|r| r.partition == partition).count();
            assert!(n <= 70, "at most max_records_per_partition per partition and batch, got {n}");
        }
    }
    assert!(batches.iter().filter(|b| !b.is_empty()).count() >= 3, "read over several batches");

    // Each batch says which offsets it read, and they follow each other.
    let history = ssc.batch_history();
    let first = history.iter().find(|b| b.num_records() > 0).unwrap();
    let description = &first.input_descriptions()[0];
    assert!(
        description
            .starts_with("kafka_direct_stream: offsets lines-0 [0, 70), lines-1 [0, 70), lines-2 [0, 70)"),
        "{description}"
    );
    let report = &ssc.receiver_reports()[0];
    assert_eq!(report.lines, 600);
    assert_eq!(report.errors, 0, "{:?}", report.last_error);
}

#[test]
fn a_missing_topic_or_broker_fails_start_with_what_to_do() {
    let broker = Broker::start("kafka-missing");
    let ssc = StreamingContext::new(Duration::from_millis(200)).unwrap();
    ssc.kafka_direct_stream(&broker.address(), ["nothing-here"], KafkaOptions::default()).foreach_rdd(|_| {});
    let err = ssc.start().unwrap_err();
    assert_eq!(err.kind(), dstream::ErrorKind::Kafka);
    assert!(err.to_string().contains("no topic \"nothing-here\""), "{err}");
    assert!(err.to_string().contains("scripts/kafka topic nothing-here"), "says what to do: {err}");

    let port = broker.port;
    drop(broker);
    let ssc = StreamingContext::new(Duration::from_millis(200)).unwrap();
    let options = KafkaOptions { request_timeout: Duration::from_millis(500), ..KafkaOptions::default() };
    ssc.kafka_direct_stream(&format!("127.0.0.1:{port}"), ["lines"], options).foreach_rdd(|_| {});
    let err = ssc.start().unwrap_err();
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "names the broker: {err}");
    assert!(err.to_string().contains("scripts/kafka start"), "says what to do: {err}");
}

#[test]
fn a_broker_that_goes_away_is_reported_retried_and_read_on_when_it_returns() {
    let mut broker = Broker::start("kafka-outage");
    let before = produce(&broker, "lines", 0, 300);
    let ssc = StreamingContext::new(Duration::from_millis(200)).unwrap();
    let options = KafkaOptions {
        starting_offsets: StartingOffsets::Earliest,
        request_timeout: Duration::from_millis(500),
        ..KafkaOptions::default()
    };
    let batches = collecting_stream(&ssc, &broker, "lines", options);
    ssc.start().unwrap();
    wait_for(60, "the first 300 records", || total(&batches) >= 300);

    broker.stop();
    wait_for(30, "the outage to be reported", || ssc.receiver_reports()[0].errors >= 2);
    let report = ssc.receiver_reports()[0].clone();
    let error = report.last_error.clone().unwrap();
    assert!(error.contains(&broker.address()), "names the broker: {error}");
    assert!(!report.connected);
    let batches_during_outage = ssc.batch_history().len();
    wait_for(30, "batches go on during the outage", || {
        ssc.batch_history().len() >= batches_during_outage + 2
    });
    assert_eq!(ssc.state(), dstream::ContextState::Active, "the stream keeps running");

    broker.restart();
    let after = produce(&broker, "lines", 300, 300);
    wait_for(60, "the 300 records sent after the outage", || total(&batches) >= 600);
    let seen = ssc.batch_history().len();
    wait_for(30, "more batches", || ssc.batch_history().len() >= seen + 3);
    ssc.stop(Stop::Now).unwrap();

    assert_exactly_once_in_order(&batches.lock().unwrap(), &appended(&[&before, &after]));
    let report = &ssc.receiver_reports()[0];
    assert!(report.connected && report.connections >= 2, "reconnected: {report:?}");
    assert_eq!(report.lines, 600);
}

/// The consumer of the restart test, as its own process (this test binary in child mode): it
/// writes each batch to `<out>/batch-<ms>.txt` (replaced if the batch runs again: an idempotent
/// output) as `partition offset value` lines, until killed or until `DSTREAM_KAFKA_EXPECT`
/// records are in.
#[test]
fn kafka_consumer_child() {
    let Some(checkpoint) = std::env::var_os("DSTREAM_KAFKA_CHILD").map(PathBuf::from) else { return };
    let out = PathBuf::from(std::env::var_os("DSTREAM_KAFKA_OUT").unwrap());
    let broker = std::env::var("DSTREAM_KAFKA_BROKER").unwrap();
    let expect: usize = std::env::var("DSTREAM_KAFKA_EXPECT").unwrap().parse().unwrap();
    let setup = || {
        let ssc = StreamingContext::new(Duration::from_millis(200))?;
        ssc.checkpoint(&checkpoint)?;
        let options = KafkaOptions {
            starting_offsets: StartingOffsets::Earliest,
            max_records_per_partition: Some(20),
            ..KafkaOptions::default()
        };
        let out = out.clone();
        ssc.kafka_direct_stream(&broker, ["lines"], options).foreach_rdd_with_time(move |rdd, time| {
            let text: String =
                rdd.collect().iter().map(|r| format!("{} {} {}\n", r.partition, r.offset, r.value)).collect();
            let path = out.join(format!("batch-{:013}.txt", time.as_millis()));
            std::fs::write(path.with_extension("tmp"), text).unwrap();
            std::fs::rename(path.with_extension("tmp"), path).unwrap();
        });
        Ok(ssc)
    };
    let ssc = StreamingContext::get_or_create(&checkpoint, setup).unwrap();
    let resumed = ssc.resumed_from().map_or(-1, |t| t.as_millis());
    std::fs::write(out.join(format!("resumed-{}", std::process::id())), resumed.to_string()).unwrap();
    ssc.start().unwrap();
    wait_for(120, "all records", || records_in(&out).len() >= expect);
    ssc.stop(Stop::Gracefully).unwrap();
}

/// The `(partition, offset, value)` lines of every batch file, with repetitions.
fn records_in(out: &Path) -> Vec<(i32, i64, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut records = Vec::new();
    for file in files {
        for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
            let mut fields = line.splitn(3, ' ');
            let partition = fields.next().unwrap().parse().unwrap();
            let offset = fields.next().unwrap().parse().unwrap();
            records.push((partition, offset, fields.next().unwrap().to_string()));
        }
    }
    records
}

#[test]
fn a_killed_consumer_restarted_from_its_checkpoint_loses_nothing_and_counts_nothing_twice() {
    let broker = Broker::start("kafka-restart");
    let producer = produce(&broker, "lines", 0, 900);
    let dir = TempDir::new("kafka-restart-run");
    let (checkpoint, out) = (dir.0.join("checkpoint"), dir.0.join("out"));
    std::fs::create_dir_all(&out).unwrap();
    let spawn = || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "kafka_consumer_child", "--nocapture", "--test-threads=1"])
            .env("DSTREAM_KAFKA_CHILD", &checkpoint)
            .env("DSTREAM_KAFKA_OUT", &out)
            .env("DSTREAM_KAFKA_BROKER", broker.address())
            .env("DSTREAM_KAFKA_EXPECT", "900")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // 20 records per partition and batch: 15 batches of 60. Kill twice along the way.
    for kill_at in [150, 450] {
        let mut child = spawn();
        wait_for(60, "some batches before the kill", || records_in(&out).len() >= kill_at);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(records_in(&out).len() < 900, "killed before the end");
    }
    assert!(spawn().wait().unwrap().success(), "the restarted consumer reads to the end");

    // Batch files hold each record exactly once, each partition in offset order.
    let records = records_in(&out);
    let mut by_partition: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for (partition, offset, value) in records {
        by_partition.entry(partition).or_default().push((offset, value));
    }
    let expected: BTreeMap<i32, Vec<(i64, String)>> =
        appended(&[&producer]).into_iter().map(|(p, lines)| (p, lines.into_iter().collect())).collect();
    assert_eq!(by_partition, expected, "every record once, in order, after two SIGKILLs");

    // The restarts resumed from checkpoints, not from the beginning.
    let mut resumed: Vec<i64> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("resumed-"))
        .map(|p| std::fs::read_to_string(p).unwrap().parse().unwrap())
        .collect();
    resumed.sort();
    assert_eq!(resumed.len(), 3);
    assert!(resumed[0] == -1 && resumed[1] > 0 && resumed[2] > resumed[1], "resumed after {resumed:?}");
}

#[test]
fn the_producer_keeps_what_the_broker_did_not_take_and_sends_it_when_it_returns() {
    let mut broker = Broker::start("kafka-producer-outage");
    let lines: Vec<String> = (0..400).map(|i| format!("line {i:05}")).collect();
    let producer = LineServer::cycle(lines.clone())
        .lines_per_second(200)
        .limit(400)
        .start_kafka(&broker.address(), "lines")
        .unwrap();
    wait_for(30, "some lines sent", || producer.sent_count() >= 100);
    broker.stop();
    wait_for(30, "the outage to be seen", || producer.errors().0 >= 1);
    assert!(producer.sent_count() < 400);
    broker.restart();
    assert!(producer.wait_until_sent(std::time::Duration::from_secs(60)), "all sent after the outage");
    assert_eq!(producer.sent_count(), 400);
    assert!(producer.errors().1.unwrap().contains(&broker.address()));

    // The topic holds every line, each partition in the order sent (lines whose acknowledgement
    // was lost in the outage may be there twice, after the first time: "at least once").
    let (_, read) = read_from_start(&broker, "lines", 400);
    for partition in 0..3 {
        let mut seen = std::collections::HashSet::new();
        let values: Vec<&str> = read
            .iter()
            .filter(|r| r.partition == partition && seen.insert(r.value.as_str()))
            .map(|r| r.value.as_str())
            .collect();
        let sent: Vec<&str> = lines.iter().skip(partition as usize).step_by(3).map(String::as_str).collect();
        assert_eq!(values, sent, "partition {partition}: every line, in order");
    }
}

#[test]
fn keys_timestamps_and_bytes_that_are_not_utf8_come_through_and_are_counted() {
    use rskafka::client::ClientBuilder;
    use rskafka::client::partition::{Compression, UnknownTopicHandling};
    use rskafka::record::Record;

    let broker = Broker::start("kafka-bytes");
    let timestamp = rskafka::chrono::DateTime::from_timestamp_millis(1_764_000_000_123).unwrap();
    let record = |key: Option<&[u8]>, value: &[u8]| Record {
        key: key.map(<[u8]>::to_vec),
        value: Some(value.to_vec()),
        headers: Default::default(),
        timestamp,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = ClientBuilder::new(vec![broker.address()]).build().await.unwrap();
        client.controller_client().unwrap().create_topic("bytes", 1, 1, 5000).await.unwrap();
        let partition = client.partition_client("bytes", 0, UnknownTopicHandling::Retry).await.unwrap();
        let records = vec![
            record(Some(b"k1"), b"spark streaming"),
            record(None, b"caf\xe9 au lait"),
            record(Some(b"\xff"), b""),
        ];
        partition.produce(records, Compression::NoCompression).await.unwrap();
    });

    let (ssc, read) = read_from_start(&broker, "bytes", 3);
    let fields: Vec<(i64, Option<&str>, &str, i64)> =
        read.iter().map(|r| (r.offset, r.key.as_deref(), r.value.as_str(), r.timestamp_ms)).collect();
    assert_eq!(
        fields,
        vec![
            (0, Some("k1"), "spark streaming", 1_764_000_000_123),
            (1, None, "caf\u{fffd} au lait", 1_764_000_000_123),
            (2, Some("\u{fffd}"), "", 1_764_000_000_123),
        ]
    );
    assert_eq!(format!("{:?}", read[0]), r#"bytes-0@0: "k1" => "spark streaming""#);
    assert_eq!(ssc.receiver_reports()[0].invalid_utf8_lines, 2, "records with bytes that are not UTF-8");
}
