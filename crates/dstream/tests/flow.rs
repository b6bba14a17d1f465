//! Flow control against a real sender faster than the pipeline: memory stays bounded (the
//! receiver's buffer and the queue of batches are bounded, TCP holds the sender back), a rate
//! limit holds, backpressure settles on what the pipeline keeps up with, and a stream that falls
//! behind says so once. Every run is bounded in time.

mod util;

use dstream::{Duration, SocketOptions, Stop, StreamingContext};
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// A peer writing short lines as fast as TCP lets it, until dropped; counts the lines sent.
struct Flood {
    port: u16,
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Flood {
    fn start() -> Flood {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sent, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let (counter, halt) = (Arc::clone(&sent), Arc::clone(&stop));
        std::thread::spawn(move || {
            let Ok((mut peer, _)) = listener.accept() else { return };
            let block: Vec<u8> =
                (0..1000).flat_map(|i| format!("flood line {i:04}\n").into_bytes()).collect();
            while !halt.load(SeqCst) {
                if peer.write_all(&block).is_err() {
                    return;
                }
                counter.fetch_add(1000, SeqCst);
            }
        });
        Flood { port, sent, stop }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
    }
}

/// The floods run one at a time: they share the process's memory, and its two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4096
}

/// The highest RSS seen while `run` runs.
fn peak_rss_during(run: impl FnOnce()) -> u64 {
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(rss()));
    let sampler = {
        let (done, peak) = (Arc::clone(&done), Arc::clone(&peak));
        std::thread::spawn(move || {
            while !done.load(SeqCst) {
                peak.fetch_max(rss(), SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    run();
    done.store(true, SeqCst);
    sampler.join().unwrap();
    peak.load(SeqCst)
}

/// A context reading `flood` through a pipeline that takes `cost` per batch plus `per_record`
/// per record; returns the context and the records it processed.
fn slow_pipeline(
    flood: &Flood,
    interval_ms: i64,
    options: SocketOptions,
    cost: std::time::Duration,
    per_record: std::time::Duration,
) -> (StreamingContext, Arc<AtomicU64>) {
    let ssc = StreamingContext::new(Duration::from_millis(interval_ms)).unwrap();
    let processed = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&processed);
    ssc.socket_text_stream_with("127.0.0.1", flood.port, options).foreach_rdd(move |rdd| {
        let n = rdd.count() as u64;
        std::thread::sleep(cost + per_record * n as u32);
        counter.fetch_add(n, SeqCst);
    });
    (ssc, processed)
}

#[test]
fn memory_stays_bounded_however_fast_the_sender() {
    let _serial = one_at_a_time();
    let flood = Flood::start();
    let options = SocketOptions { max_buffered_bytes: 8 << 20, ..SocketOptions::default() };
    let (ssc, processed) =
        slow_pipeline(&flood, 100, options, std::time::Duration::from_millis(300), std::time::Duration::ZERO);
    let before = rss();
    let peak = peak_rss_during(|| {
        ssc.start().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(4));
    });
    ssc.stop(Stop::Now).unwrap();
    let report = &ssc.receiver_reports()[0];
    assert!(report.buffer_full > 0, "the receiver had to wait for room: {report:?}");
    assert!(processed.load(SeqCst) > 0);
    // Unbounded, the lines sent in 4 s (over a million a second here) piled up by the gigabyte.
    let grown = peak.saturating_sub(before);
    assert!(grown < 200 << 20, "RSS grew by {} MB ({} lines sent)", grown >> 20, flood.sent.load(SeqCst));
}

#[test]
fn a_receiver_keeps_to_its_max_rate() {
    let _serial = one_at_a_time();
    let flood = Flood::start();
    let options = SocketOptions { max_rate: Some(5000), ..SocketOptions::default() };
    let (ssc, _) = slow_pipeline(&flood, 200, options, std::time::Duration::ZERO, std::time::Duration::ZERO);
    let began = std::time::Instant::now();
    ssc.start().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    ssc.stop(Stop::Now).unwrap();
    // The receiver may read until `stop` returns: on a loaded machine that is a little over 3 s.
    let ran = began.elapsed().as_secs_f64();
    let report = &ssc.receiver_reports()[0];
    assert_eq!(report.rate_limit, Some(5000));
    // 5000 lines/s while it ran, one second's burst, and the last 64 KiB read (about 3600 lines);
    // unlimited, the flood sends over a million lines a second.
    let most = (5000.0 * (ran + 1.0)) as u64 + 4000;
    assert!(report.lines <= most, "{} lines in {ran:.2} s (at most {most})", report.lines);
    assert!(report.lines >= 5000 * 2, "{} lines in {ran:.2} s", report.lines);
}

#[test]
fn backpressure_settles_on_what_the_pipeline_keeps_up_with() {
    let _serial = one_at_a_time();
    let flood = Flood::start();
    // About 50,000 records a second at most: 20 µs each. Receivers start a fifth above that: held
    // there, the delay would grow by a fifth of a second every second.
    let (ssc, _) = slow_pipeline(
        &flood,
        200,
        SocketOptions::default(),
        std::time::Duration::ZERO,
        std::time::Duration::from_micros(20),
    );
    ssc.set_backpressure(true);
    ssc.set_backpressure_initial_rate(60_000);
    ssc.start().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(10));
    ssc.stop(Stop::Now).unwrap();
    let rate = ssc.receiver_reports()[0].rate_limit.expect("backpressure set a rate");
    assert!(rate < 100_000, "estimated {rate} records/s for a pipeline of 50,000/s");
    let history = ssc.batch_history();
    for batch in &history[history.len() - 3..] {
        assert!(
            batch.scheduling_delay() < std::time::Duration::from_secs(1),
            "the delay was worked off: {:?} at {} records (rate {rate})",
            batch.scheduling_delay(),
            batch.num_records()
        );
    }
}

/// The child: a pipeline much slower than its batches, run for a few seconds.
#[test]
fn falling_behind_child() {
    if std::env::var_os("DSTREAM_FLOW_CHILD").is_none() {
        return;
    }
    let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
    ssc.queue_stream(Vec::<Vec<i32>>::new(), true, Some(vec![1])).foreach_rdd(|_| {
        std::thread::sleep(std::time::Duration::from_millis(120));
    });
    ssc.start().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    ssc.stop(Stop::Now).unwrap();
}

#[test]
fn a_stream_falling_behind_says_so_once() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "falling_behind_child", "--nocapture", "--test-threads=1"])
        .env("DSTREAM_FLOW_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("dstream: the stream is falling behind").count(), 1, "{stderr}");
    assert!(stderr.contains("ssc.set_backpressure(true)"));
}

#[test]
fn a_stream_that_keeps_up_says_nothing() {
    let sink = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&sink);
    let out = dstream::testing::run_batches(vec![vec![1, 2]; 20], move |s: dstream::DStream<i32>| {
        s.foreach_rdd(move |rdd| *counter.lock().unwrap() += rdd.count());
        s
    });
    assert_eq!(out.len(), 20);
    assert_eq!(*sink.lock().unwrap(), 40);
}
