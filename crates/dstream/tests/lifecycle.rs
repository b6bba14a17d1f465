//! The StreamingContext's life: Initialized → Active → Stopped, its misuses and their messages,
//! batch times, output order, and errors raised by user code.

mod util;

use dstream::{
    Clock, ContextState, DStream, Duration, ErrorKind, ManualClock, Stop, StreamingContext, StreamingEvent,
    Time,
};
use std::sync::{Arc, Mutex};
use util::wait_for;

fn manual(interval_ms: i64) -> (StreamingContext, ManualClock) {
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::with_clock(Duration::from_millis(interval_ms), Clock::Manual(clock.clone()))
        .unwrap();
    (ssc, clock)
}

fn with_output(ssc: &StreamingContext) -> DStream<i32> {
    let stream = ssc.queue_stream(vec![vec![1, 2, 3]], true, None);
    stream.foreach_rdd(|_| {});
    stream
}

#[test]
fn zero_or_negative_interval_is_rejected() {
    for ms in [0, -5] {
        let err = StreamingContext::new(Duration::from_millis(ms)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("batch interval must be positive"), "{err}");
    }
}

#[test]
fn starting_twice_is_an_error() {
    let (ssc, _) = manual(1000);
    with_output(&ssc);
    ssc.start().unwrap();
    let err = ssc.start().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(err.to_string().contains("already started"), "{err}");
    ssc.stop(Stop::Now).unwrap();
}

#[test]
fn a_stopped_context_cannot_be_restarted() {
    let (ssc, _) = manual(1000);
    with_output(&ssc);
    ssc.start().unwrap();
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(ssc.state(), ContextState::Stopped);
    let err = ssc.start().unwrap_err();
    assert!(err.to_string().contains("cannot be started again"), "{err}");
    assert!(err.to_string().contains("create a new"), "{err}");
    // Stopping again is harmless.
    ssc.stop(Stop::Now).unwrap();
}

#[test]
fn starting_without_output_operation_is_an_error() {
    let (ssc, _) = manual(1000);
    let _unused = ssc.queue_stream(vec![vec![1]], true, None).map(|x| x + 1);
    let err = ssc.start().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(err.to_string().contains("no output operation"), "{err}");
    assert_eq!(ssc.state(), ContextState::Initialized);
}

#[test]
fn declaring_after_start_is_reported() {
    let (ssc, _) = manual(1000);
    let stream = with_output(&ssc);
    ssc.start().unwrap();
    stream.map(|x| x * 2).pprint();
    let err = ssc.await_termination_or_timeout(Duration::from_millis(10)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(err.to_string().contains("`map` was declared after the StreamingContext was started"), "{err}");
    ssc.stop(Stop::Now).ok();
}

#[test]
fn stopping_before_start_is_allowed() {
    let (ssc, _) = manual(1000);
    ssc.stop(Stop::Gracefully).unwrap();
    assert_eq!(ssc.state(), ContextState::Stopped);
    assert!(ssc.start().is_err());
}

#[test]
fn await_before_start_says_to_start() {
    let (ssc, _) = manual(1000);
    let err = ssc.await_termination().unwrap_err();
    assert!(err.to_string().contains("call start()"), "{err}");
}

#[test]
fn await_with_timeout_tells_whether_it_stopped() {
    let (ssc, _) = manual(1000);
    with_output(&ssc);
    ssc.start().unwrap();
    assert!(!ssc.await_termination_or_timeout(Duration::from_millis(20)).unwrap());
    let other = ssc.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        other.stop(Stop::Now).unwrap();
    });
    assert!(ssc.await_termination_or_timeout(Duration::from_secs(30)).unwrap());
    stopper.join().unwrap();
    ssc.await_termination().unwrap();
}

#[test]
fn a_panicking_user_function_stops_the_context_with_a_clear_error() {
    let (ssc, clock) = manual(1000);
    ssc.queue_stream(vec![vec!["ok"], vec!["boom"]], true, None)
        .map(|w: &str| if w == "boom" { panic!("cannot handle {w:?}") } else { w.len() })
        .foreach_rdd(|_| {});
    ssc.start().unwrap();
    clock.advance(Duration::from_secs(2));
    let err = ssc.await_termination_or_timeout(Duration::from_secs(30)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UserCode);
    let text = err.to_string();
    assert!(text.contains("cannot handle \"boom\""), "{text}");
    assert!(text.contains("2000 ms"), "names the batch: {text}");
    assert_eq!(ssc.state(), ContextState::Stopped);
    assert!(ssc.stop(Stop::Now).is_err(), "stop reports the stream's error too");
}

#[test]
fn an_error_returned_by_foreach_rdd_stops_the_context_naming_the_batch_once() {
    let (ssc, clock) = manual(1000);
    let calls = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&calls);
    ssc.queue_stream(vec![vec!["12"], vec!["douze"], vec!["3"]], true, None).foreach_rdd(move |rdd| {
        *seen.lock().unwrap() += 1;
        for word in rdd.collect() {
            let _: i64 = word.parse()?;
        }
        Ok(())
    });
    ssc.start().unwrap();
    clock.advance(Duration::from_secs(3));
    let err = ssc.await_termination_or_timeout(Duration::from_secs(30)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UserCode);
    let text = err.to_string();
    assert!(text.contains("2000 ms"), "names the batch: {text}");
    assert!(text.contains("foreach_rdd returned an error: invalid digit found in string"), "{text}");
    assert_eq!(text.matches("invalid digit").count(), 1, "the message once: {text}");
    assert_eq!(*calls.lock().unwrap(), 2, "the context stopped at the failed batch");
    assert_eq!(ssc.state(), ContextState::Stopped);
}

#[test]
fn event_listeners_see_a_failed_output_and_its_batch_complete_and_a_panicking_listener_stops_the_context() {
    let (ssc, clock) = manual(1000);
    ssc.queue_stream(vec![vec!["12"], vec!["douze"]], true, None).foreach_rdd(|rdd| {
        for word in rdd.collect() {
            let _: i64 = word.parse()?;
        }
        Ok(())
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    ssc.add_event_listener(move |event| sink.lock().unwrap().push(event.clone()));
    ssc.start().unwrap();
    clock.advance(Duration::from_secs(2));
    assert!(ssc.await_termination_or_timeout(Duration::from_secs(30)).is_err());
    let events = events.lock().unwrap();
    let failures: Vec<Option<String>> = events
        .iter()
        .filter_map(|e| match e {
            StreamingEvent::OutputOperationCompleted { failure, .. } => Some(failure.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2, "{events:?}");
    assert_eq!(failures[0], None);
    assert!(failures[1].as_deref().is_some_and(|f| f.contains("invalid digit")), "{failures:?}");
    assert!(
        matches!(events.last(), Some(StreamingEvent::BatchCompleted(info)) if info.batch_time() == Time::from_millis(2000))
    );

    // A listener that panics stops the context, with its message.
    let (ssc, clock) = manual(1000);
    ssc.queue_stream(vec![vec![1]], true, None).foreach_rdd(|_| {});
    ssc.add_event_listener(|event| {
        if let StreamingEvent::BatchStarted { .. } = event {
            panic!("listener bug");
        }
    });
    ssc.start().unwrap();
    clock.advance(Duration::from_secs(1));
    let err = ssc.await_termination_or_timeout(Duration::from_secs(30)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UserCode);
    assert!(err.to_string().contains("an event listener panicked: listener bug"), "{err}");
}

/// Declares a window of 7 s on 5 s batches when run as the child of the test below.
#[test]
fn child_declares_a_window_that_is_not_a_multiple() {
    if std::env::var_os("DSTREAM_TEST_CHILD").is_none() {
        return;
    }
    let ssc = StreamingContext::new(Duration::from_secs(5)).unwrap();
    let _ =
        ssc.queue_stream(vec![vec![1]], true, None).window(Duration::from_secs(7), Duration::from_secs(5));
    println!("declared");
}

#[test]
fn a_declaration_mistake_is_said_by_the_call_that_makes_it() {
    // The child runs in a process of its own, so that its stderr can be read.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_declares_a_window_that_is_not_a_multiple",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DSTREAM_TEST_CHILD", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("declared"), "{stdout}");
    assert!(
        stderr.contains("dstream: window: the window duration 7000 ms must be a positive multiple"),
        "said when declared, before any start(): {stderr}"
    );
}

#[test]
fn outputs_run_in_declaration_order_each_batch() {
    let (ssc, clock) = manual(1000);
    let log = Arc::new(Mutex::new(Vec::new()));
    let stream = ssc.queue_stream(vec![vec![1], vec![2], vec![3]], true, None);
    for name in ["first", "second", "third"] {
        let log = Arc::clone(&log);
        stream.foreach_rdd_with_time(move |_, t| log.lock().unwrap().push((t.as_millis(), name)));
    }
    ssc.start().unwrap();
    clock.advance(Duration::from_secs(3));
    wait_for(10, "three batches", || log.lock().unwrap().len() == 9);
    ssc.stop(Stop::Now).unwrap();
    let expected: Vec<(i64, &str)> =
        [1000, 2000, 3000].iter().flat_map(|t| ["first", "second", "third"].map(|n| (*t, n))).collect();
    assert_eq!(*log.lock().unwrap(), expected);
}

#[test]
fn system_clock_batches_fall_on_multiples_of_the_interval_after_start() {
    let ssc = StreamingContext::new(Duration::from_millis(200)).unwrap();
    let times = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&times);
    ssc.queue_stream(Vec::<Vec<i32>>::new(), true, None)
        .foreach_rdd_with_time(move |_, t| sink.lock().unwrap().push(t));
    let before = Clock::System.now();
    ssc.start().unwrap();
    wait_for(10, "three batches", || times.lock().unwrap().len() >= 3);
    ssc.stop(Stop::Now).unwrap();
    let times = times.lock().unwrap();
    let interval = Duration::from_millis(200);
    assert!(times.iter().all(|t| t.is_multiple_of(interval)), "{times:?}");
    // The first batch is the first multiple of the interval after start().
    assert!(times[0] > before && times[0] - interval <= before + Duration::from_millis(50), "{times:?}");
    assert!(times.windows(2).all(|w| w[1] - w[0] == interval), "{times:?}");
    // Empty batches still run their outputs, and are recorded.
    assert!(ssc.batch_history().len() >= 3);
}

#[test]
fn shared_parents_are_computed_once_per_batch() {
    let calls = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&calls);
    let out = dstream::testing::run_batches(vec![vec![1, 2], vec![3]], move |s: DStream<i32>| {
        let counted = s.map(move |x| {
            *counter.lock().unwrap() += 1;
            x
        });
        counted.union(&counted.map(|x| x * 10))
    });
    assert_eq!(out, vec![vec![1, 2, 10, 20], vec![3, 30]]);
    assert_eq!(*calls.lock().unwrap(), 3, "the map feeding two children ran once per record");
}

#[test]
fn union_of_streams_of_different_contexts_is_rejected() {
    let (a, _) = manual(1000);
    let (b, _) = manual(1000);
    let sa = a.queue_stream(vec![vec![1]], true, None);
    let sb = b.queue_stream(vec![vec![2]], true, None);
    sa.union(&sb).foreach_rdd(|_| {});
    let err = a.start().unwrap_err();
    assert!(err.to_string().contains("different StreamingContexts"), "{err}");
}

/// A notebook cell run again re-creates the context and its streams: the old context, with no
/// handle left, must stop and hand its server's only connection to the new one (the lab's
/// server, like `LineServer`, serves one client at a time).
#[test]
fn dropping_every_handle_stops_the_context_and_frees_the_servers_connection() {
    use dstream::LineServer;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

    let server =
        LineServer::cycle(["spark streaming", "big data"]).every(Duration::from_millis(5)).start().unwrap();
    let counting = |counter: &Arc<AtomicU64>| {
        let ssc = StreamingContext::new(Duration::from_millis(100)).unwrap();
        let lines = ssc.socket_text_stream("127.0.0.1", server.port());
        let counter = Arc::clone(counter);
        lines.foreach_rdd(move |rdd| {
            counter.fetch_add(rdd.count() as u64, SeqCst);
        });
        ssc.start().unwrap();
        (ssc, lines)
    };
    let first = Arc::new(AtomicU64::new(0));
    let (ssc, lines) = counting(&first);
    wait_for(10, "the first context's lines", || first.load(SeqCst) > 0);
    drop(ssc);
    assert!(first.load(SeqCst) > 0, "a stream still holds the context: it goes on");
    drop(lines); // the last handle: the context stops now, its batch in progress done
    let after = first.load(SeqCst);

    let second = Arc::new(AtomicU64::new(0));
    let (_ssc, _lines) = counting(&second);
    wait_for(10, "the second context's lines", || second.load(SeqCst) > 0);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(first.load(SeqCst), after, "the first context processes nothing more");
    assert_eq!(server.clients(), 2);
}
