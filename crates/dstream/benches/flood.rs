//! A sender far faster than the pipeline, for a minute: the process's memory and the stream's
//! delay with the default bounds, with a rate limit, and with backpressure, side by side.
//!
//! Run with `cargo bench -p dstream --bench flood` (or `scripts/bench`); `DSTREAM_FLOOD_SECS`
//! sets each run's length (default 60). The sender writes short lines on a real TCP socket as
//! fast as it can; the pipeline spends 20 µs per record (about 50,000 records/s). Numbers are
//! printed, never asserted.

use dstream::{Duration, SocketOptions, Stop, StreamingContext};
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() * 4096.0 / (1 << 20) as f64
}

struct Run {
    name: &'static str,
    options: SocketOptions,
    backpressure: bool,
}

fn flood(run: &Run, seconds: u64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (stop, sent) = (Arc::clone(&stop), Arc::clone(&sent));
        std::thread::spawn(move || {
            let Ok((mut peer, _)) = listener.accept() else { return };
            let block: Vec<u8> =
                (0..1000).flat_map(|i| format!("flood line {i:04}\n").into_bytes()).collect();
            while !stop.load(SeqCst) && peer.write_all(&block).is_ok() {
                sent.fetch_add(1000, SeqCst);
            }
        })
    };
    let ssc = StreamingContext::new(Duration::from_millis(500)).unwrap();
    ssc.set_backpressure(run.backpressure);
    if run.backpressure {
        ssc.set_backpressure_initial_rate(100_000);
    }
    let processed = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&processed);
    ssc.socket_text_stream_with("127.0.0.1", port, run.options.clone()).foreach_rdd(move |rdd| {
        let n = rdd.count() as u64;
        std::thread::sleep(std::time::Duration::from_micros(20) * n as u32);
        counter.fetch_add(n, SeqCst);
    });
    let before = rss_mb();
    ssc.start().unwrap();
    let mut peak = before;
    let mut samples = Vec::new();
    for second in 1..=seconds {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let now = rss_mb();
        peak = peak.max(now);
        if second % 10 == 0 || second == seconds {
            samples.push(format!("{second} s: {now:.0} MB"));
        }
        if now > 4096.0 {
            samples.push("stopped: over 4 GB".into());
            break;
        }
    }
    let history = ssc.batch_history();
    let worst_delay = history.iter().map(|b| b.scheduling_delay().as_secs_f64()).fold(0.0, f64::max);
    let biggest = history.iter().map(|b| b.num_records()).max().unwrap_or(0);
    let done = processed.load(SeqCst);
    let report = ssc.receiver_reports().remove(0);
    let _ = ssc.stop(Stop::Now);
    stop.store(true, SeqCst);
    drop(ssc);
    let _ = sender.join();
    println!(
        "{:<26} RSS {before:.0} → peak {peak:.0} MB ({}); {} batches done, the biggest {biggest} records, longest scheduling delay {worst_delay:.1} s; processed {done} of {} lines sent; rate limit {:?}/s; receiver paused {} times for room",
        run.name,
        samples.join(", "),
        history.len(),
        sent.load(SeqCst),
        report.rate_limit,
        report.buffer_full
    );
}

fn main() {
    let seconds = std::env::var("DSTREAM_FLOOD_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let runs = [
        Run { name: "default bounds (64 MiB)", options: SocketOptions::default(), backpressure: false },
        Run {
            name: "max_rate 40,000/s",
            options: SocketOptions { max_rate: Some(40_000), ..SocketOptions::default() },
            backpressure: false,
        },
        Run { name: "backpressure", options: SocketOptions::default(), backpressure: true },
    ];
    // Each run in a process of its own, so that one's memory does not count in the next.
    if let Some(index) = std::env::var("DSTREAM_FLOOD_RUN").ok().and_then(|i| i.parse::<usize>().ok()) {
        flood(&runs[index], seconds);
        return;
    }
    println!("Flood: a sender as fast as TCP allows, a pipeline of ~50,000 records/s, {seconds} s per run");
    for (index, run) in runs.iter().enumerate() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .env("DSTREAM_FLOOD_RUN", index.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "{} failed", run.name);
    }
}
