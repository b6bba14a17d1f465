//! `socket_text_stream` against real TCP peers on 127.0.0.1: drops and reconnections, invalid
//! UTF-8, CRLF and lone CR, over-long lines, graceful stop — and no line lost or duplicated.

mod util;

use dstream::{Duration, SocketOptions, Stop, StreamingContext};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use util::wait_for;

/// A context reading 127.0.0.1:`port` that records every batch's lines.
fn collecting_context(
    port: u16,
    options: SocketOptions,
    interval_ms: i64,
) -> (StreamingContext, Arc<Mutex<Vec<Vec<String>>>>) {
    let ssc = StreamingContext::new(Duration::from_millis(interval_ms)).unwrap();
    let batches = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&batches);
    ssc.socket_text_stream_with("127.0.0.1", port, options)
        .foreach_rdd(move |rdd| sink.lock().unwrap().push(rdd.iter().map(|l| l.to_string()).collect()));
    (ssc, batches)
}

fn all_lines(batches: &Mutex<Vec<Vec<String>>>) -> Vec<String> {
    batches.lock().unwrap().iter().flatten().cloned().collect()
}

fn fast_reconnect() -> SocketOptions {
    SocketOptions { reconnect_delay: Duration::from_millis(100), ..SocketOptions::default() }
}

#[test]
fn peer_that_drops_and_comes_back_loses_and_duplicates_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 50);
    ssc.start().unwrap();

    let mut expected = Vec::new();
    for connection in 0..3 {
        let (mut peer, _) = listener.accept().unwrap();
        let mut payload = Vec::new();
        for i in 0..400 {
            let line = format!("c{connection}-line-{i}");
            // Mixed terminators, written in odd-sized pieces that split lines and CRLFs.
            let end: &[u8] = match i % 3 {
                0 => b"\n",
                1 => b"\r\n",
                _ => b"\r",
            };
            payload.extend_from_slice(line.as_bytes());
            payload.extend_from_slice(end);
            expected.push(line);
        }
        // The peer drops in the middle of an unterminated line: it is still delivered.
        payload.extend_from_slice(format!("c{connection}-unterminated").as_bytes());
        expected.push(format!("c{connection}-unterminated"));
        for piece in payload.chunks(37) {
            peer.write_all(piece).unwrap();
        }
        drop(peer);
    }
    wait_for(20, "every line", || all_lines(&batches).len() >= expected.len());
    std::thread::sleep(std::time::Duration::from_millis(200));
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(all_lines(&batches), expected, "every line exactly once, in order");
    let report = &ssc.receiver_reports()[0];
    // A fourth connection may already be made: the listener still accepts into its backlog.
    assert!(report.connections >= 3, "{report:?}");
    assert_eq!(report.lines, expected.len() as u64);
}

/// The bytes of `../shared/spark/socket_semantics_output.txt` and what Spark's receiver made of
/// them.
#[test]
fn decodes_and_splits_like_spark() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 50);
    ssc.start().unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.write_all(b"crlf line\r\ncr only\rafter cr\n\n  two  spaces  \ntab\there\n\xc3\xa9t\xc3\xa9 caf\xc3\xa9 \xf0\x9f\x9a\x80\nlatin1 caf\xe9 bad \xff byte\n\xef\xbb\xbfbom-prefixed\nnul\x00inside\nlast line without newline").unwrap();
    drop(peer);
    let spark = util::spark_dir().join("socket_semantics_output.txt");
    let text = std::fs::read_to_string(spark).unwrap();
    let json = text.lines().find_map(|l| l.strip_prefix("SEMANTICS_JSON ")).expect("SEMANTICS_JSON line");
    let expected: Vec<String> = serde_json::from_str(json).unwrap();
    wait_for(10, "the payload's lines", || all_lines(&batches).len() >= expected.len());
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(all_lines(&batches), expected);
    assert_eq!(ssc.receiver_reports()[0].invalid_utf8_lines, 1);
}

#[test]
fn overlong_line_is_dropped_and_counted_not_buffered() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let options = SocketOptions { max_line_bytes: 1000, ..fast_reconnect() };
    let (ssc, batches) = collecting_context(port, options, 50);
    ssc.start().unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.write_all(b"before\n").unwrap();
    // 5 MB without a newline, in pieces: memory must stay bounded, the line is dropped.
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..80 {
        peer.write_all(&chunk).unwrap();
    }
    peer.write_all(b"\nafter\n").unwrap();
    wait_for(10, "the line after the long one", || all_lines(&batches).contains(&"after".to_string()));
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(all_lines(&batches), ["before", "after"]);
    assert_eq!(ssc.receiver_reports()[0].oversized_lines_dropped, 1);
}

#[test]
fn keeps_retrying_until_the_server_appears() {
    // Find a free port, then leave it closed for a while.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 50);
    ssc.start().unwrap();
    wait_for(10, "a failed connection", || ssc.receiver_reports()[0].errors >= 2);
    let report = ssc.receiver_reports()[0].clone();
    assert!(report.last_error.as_deref().unwrap_or("").contains("cannot connect"), "{report:?}");
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.write_all(b"finally\n").unwrap();
    wait_for(10, "the line", || !all_lines(&batches).is_empty());
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(all_lines(&batches), ["finally"]);
}

#[test]
fn waits_two_seconds_before_reconnecting_by_default() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ssc, _) = collecting_context(port, SocketOptions::default(), 100);
    ssc.start().unwrap();
    let (peer, _) = listener.accept().unwrap();
    drop(peer);
    let closed = std::time::Instant::now();
    let (_again, _) = listener.accept().unwrap();
    let waited = closed.elapsed();
    ssc.stop(Stop::Now).unwrap();
    assert!(waited >= std::time::Duration::from_millis(1900), "reconnected after {waited:?}");
}

#[test]
fn every_line_lands_in_exactly_one_batch() {
    let server = dstream::LineServer::cycle((0..50).map(|i| format!("line {i}")))
        .every(Duration::from_millis(1))
        .limit(600)
        .start()
        .unwrap();
    let (ssc, batches) = collecting_context(server.port(), fast_reconnect(), 20);
    ssc.start().unwrap();
    wait_for(20, "600 lines", || all_lines(&batches).len() >= 600);
    ssc.stop(Stop::Now).unwrap();
    let batches = batches.lock().unwrap();
    assert!(batches.len() > 3, "the lines should be spread over several batches");
    let got: Vec<String> = batches.iter().flatten().cloned().collect();
    assert_eq!(got, server.sent_lines());
}

#[test]
fn graceful_stop_processes_lines_still_in_flight() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Long batches: when stop() is called, the lines are received but not yet in any batch.
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 1000);
    ssc.start().unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    let expected: Vec<String> = (0..2000).map(|i| format!("in flight {i}")).collect();
    for line in &expected {
        peer.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
    peer.flush().unwrap();
    ssc.stop(Stop::Gracefully).unwrap();
    assert_eq!(ssc.state(), dstream::ContextState::Stopped);
    assert_eq!(all_lines(&batches), expected);
}

#[test]
fn immediate_stop_returns_promptly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ssc, _) = collecting_context(port, fast_reconnect(), 5000);
    ssc.start().unwrap();
    let (_peer, _) = listener.accept().unwrap();
    let started = std::time::Instant::now();
    ssc.stop(Stop::Now).unwrap();
    // Not a timing test: only that stop does not wait for the next 5 s boundary.
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(ssc.state(), dstream::ContextState::Stopped);
}

#[test]
fn graceful_stop_with_nothing_pending_does_not_wait_for_the_next_batch() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // One-minute batches: a graceful stop that waited for the next boundary would take up to 60 s.
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 60_000);
    ssc.start().unwrap();
    let (_peer, _) = listener.accept().unwrap();
    let started = std::time::Instant::now();
    ssc.stop(Stop::Gracefully).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
    assert!(all_lines(&batches).is_empty());
    assert_eq!(ssc.state(), dstream::ContextState::Stopped);
}

/// Closes `peer` with a reset (RST) instead of an orderly end: SO_LINGER on, with a zero delay.
fn reset(peer: std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Linger {
        on: i32,
        seconds: i32,
    }
    unsafe extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, value: *const Linger, len: u32) -> i32;
    }
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    let linger = Linger { on: 1, seconds: 0 };
    // SAFETY: a valid socket descriptor and a `struct linger` of the right size (Linux).
    let done =
        unsafe { setsockopt(peer.as_raw_fd(), SOL_SOCKET, SO_LINGER, &linger, size_of::<Linger>() as u32) };
    assert_eq!(done, 0, "setsockopt(SO_LINGER)");
    drop(peer);
}

/// A reset in the middle of a line cuts it short: the fragment is dropped (as Spark's receiver
/// does), not delivered as a line; a line left unterminated by an orderly close still is one.
#[test]
fn a_connection_reset_mid_line_drops_the_fragment() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 50);
    ssc.start().unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.write_all(b"line-000001\nline-000002\n").unwrap();
    wait_for(10, "the two lines", || all_lines(&batches).len() == 2);
    peer.write_all(b"line-0000").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200)); // the receiver holds the fragment
    reset(peer);
    let (mut peer, _) = listener.accept().unwrap(); // the receiver reconnects
    peer.write_all(b"line-000003\nlast line without newline").unwrap();
    drop(peer);
    wait_for(10, "the lines of the second connection", || all_lines(&batches).len() >= 4);
    std::thread::sleep(std::time::Duration::from_millis(200));
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(
        all_lines(&batches),
        ["line-000001", "line-000002", "line-000003", "last line without newline"]
    );
    let report = &ssc.receiver_reports()[0];
    let error = report.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("connection lost") && error.contains("9 bytes, was dropped"), "{report:?}");
}

/// With a backlog that cannot be processed in time, a graceful stop does not claim success: its
/// error says how many of the records received were left, and the count adds up.
#[test]
fn a_graceful_stop_that_runs_out_of_time_says_what_it_left_unprocessed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
    ssc.set_graceful_stop_timeout(Duration::from_millis(300));
    let processed = Arc::new(Mutex::new(0u64));
    let sink = Arc::clone(&processed);
    ssc.socket_text_stream_with("127.0.0.1", port, fast_reconnect()).foreach_rdd(move |rdd| {
        std::thread::sleep(std::time::Duration::from_millis(200)); // slower than the batches come
        *sink.lock().unwrap() += rdd.count() as u64;
    });
    ssc.start().unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    for i in 0..20 {
        for j in 0..100 {
            peer.write_all(format!("line {i} {j}\n").as_bytes()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = ssc.stop(Stop::Gracefully).unwrap_err();
    assert_eq!(err.kind(), dstream::ErrorKind::Unprocessed);
    let left = ssc.unprocessed_records();
    assert!(
        left > 0
            && err.to_string().contains(&format!("{left} of the 2000 records received were not processed")),
        "{err}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300)); // the batch still running ends
    assert_eq!(*processed.lock().unwrap() + left, 2000, "processed and unprocessed add up");
}

#[test]
fn event_listeners_see_the_receiver_connect_drop_and_fail_and_every_output_of_every_batch() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ssc, batches) = collecting_context(port, fast_reconnect(), 50);
    ssc.socket_text_stream_with("127.0.0.1", port, fast_reconnect()).count().foreach_rdd(|_| {});
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    ssc.add_event_listener(move |event| sink.lock().unwrap().push(event.clone()));
    ssc.start().unwrap();
    // Both receivers connect; the server sends a line to each and closes them, then goes away.
    for _ in 0..2 {
        let (mut peer, _) = listener.accept().unwrap();
        peer.write_all(b"spark\n").unwrap();
    }
    drop(listener);
    let receiver_events = |events: &[dstream::StreamingEvent]| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                dstream::StreamingEvent::ReceiverStarted { .. } => Some("started".to_string()),
                dstream::StreamingEvent::ReceiverStopped { .. } => Some("stopped".to_string()),
                dstream::StreamingEvent::ReceiverError { message, .. } => Some(format!("error: {message}")),
                _ => None,
            })
            .collect()
    };
    wait_for(20, "both receivers' errors once the server is gone", || {
        receiver_events(&events.lock().unwrap()).iter().filter(|e| e.starts_with("error")).count() >= 2
    });
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(all_lines(&batches), ["spark"]);
    let events = events.lock().unwrap().clone();
    let seen = receiver_events(&events);
    assert_eq!(seen.iter().filter(|e| *e == "started").count(), 2, "{seen:?}");
    assert_eq!(seen.iter().filter(|e| *e == "stopped").count(), 2, "{seen:?}");
    let first_error = seen.iter().position(|e| e.starts_with("error")).unwrap();
    assert!(
        seen[..first_error].iter().filter(|e| *e == "stopped").count() == 2,
        "errors after the drops: {seen:?}"
    );
    assert!(seen[first_error].contains("refused"), "{seen:?}");

    // Per batch, in order: submitted, started, outputs 0 and 1 started then completed, completed.
    assert!(matches!(events[0], dstream::StreamingEvent::StreamingStarted { .. }), "{:?}", events[0]);
    let batch_events: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            dstream::StreamingEvent::BatchSubmitted { .. } => Some("submitted".to_string()),
            dstream::StreamingEvent::BatchStarted { .. } => Some("started".to_string()),
            dstream::StreamingEvent::OutputOperationStarted { id, .. } => {
                Some(format!("output {id} started"))
            }
            dstream::StreamingEvent::OutputOperationCompleted { id, failure: None, .. } => {
                Some(format!("output {id} completed"))
            }
            dstream::StreamingEvent::BatchCompleted(_) => Some("completed".to_string()),
            _ => None,
        })
        .collect();
    let one_batch = [
        "submitted",
        "started",
        "output 0 started",
        "output 0 completed",
        "output 1 started",
        "output 1 completed",
        "completed",
    ];
    assert!(batch_events.len() >= one_batch.len() * 2, "{batch_events:?}");
    for (i, chunk) in batch_events.chunks(one_batch.len()).enumerate() {
        if chunk.len() == one_batch.len() {
            assert_eq!(chunk, one_batch, "batch {i}");
        }
    }
}
