//! Real files: `text_file_stream` picking up new files, and `save_as_text_files` never showing a
//! half-written batch.

mod util;

use dstream::{Clock, DStream, Duration, ManualClock, Stop, StreamingContext, Time};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use util::{TempDir, wait_for};

#[test]
fn text_file_stream_reads_each_new_file_once_and_skips_hidden_and_old_ones() {
    let dir = TempDir::new("files-in");
    std::fs::write(dir.0.join("before-start.txt"), "old\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
    let batches = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&batches);
    ssc.text_file_stream(&dir.0).foreach_rdd(move |rdd| {
        sink.lock().unwrap().push(rdd.iter().map(|l| l.to_string()).collect::<Vec<_>>())
    });
    ssc.start().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    let mut expected = Vec::new();
    for i in 0..5 {
        let lines: Vec<String> = (0..3).map(|j| format!("file {i} line {j}")).collect();
        // Written under a hidden name, then renamed: never read half-written.
        let hidden = dir.0.join(format!(".f{i}.tmp"));
        std::fs::write(&hidden, lines.join("\r\n")).unwrap();
        std::fs::rename(&hidden, dir.0.join(format!("f{i}.txt"))).unwrap();
        expected.extend(lines);
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    std::fs::write(dir.0.join(".hidden"), "never\n").unwrap();
    let all = || batches.lock().unwrap().iter().flatten().cloned().collect::<Vec<String>>();
    wait_for(10, "15 lines", || all().len() >= 15);
    std::thread::sleep(std::time::Duration::from_millis(150));
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(all(), expected);
    assert_eq!(ssc.receiver_reports()[0].lines, 15);
}

#[test]
fn text_file_stream_on_a_missing_directory_fails_at_start() {
    let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
    ssc.text_file_stream("/nonexistent/dstream/dir").foreach_rdd(|_| {});
    let err = ssc.start().unwrap_err();
    assert!(err.to_string().contains("is not a directory"), "{err}");
}

#[test]
fn saved_batches_appear_whole_to_a_concurrent_reader() {
    let dir = TempDir::new("files-out");
    let prefix = dir.0.join("batch").to_str().unwrap().to_string();
    let records: Vec<Vec<(String, i64)>> =
        (0..20).map(|b| (0..5000).map(|i| (format!("word-{b}-{i}"), i)).collect()).collect();
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone())).unwrap();
    ssc.queue_stream(records, true, None).save_as_text_files(&prefix, "txt");

    // A reader that keeps listing the output folder while batches are written: every batch
    // directory it sees must be complete.
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (dir, done) = (dir.0.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut checked = 0;
            while !done.load(Ordering::Acquire) {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue; // staging directories
                    }
                    let path = dir.join(&name);
                    assert!(path.join("_SUCCESS").exists(), "{name} visible without _SUCCESS");
                    let lines: usize = ["part-00000", "part-00001"]
                        .iter()
                        .map(|p| std::fs::read_to_string(path.join(p)).unwrap().lines().count())
                        .sum();
                    assert_eq!(lines, 5000, "{name} visible but incomplete");
                    checked += 1;
                }
            }
            checked
        })
    };
    ssc.set_default_parallelism(2);
    ssc.start().unwrap();
    for i in 1..=20 {
        clock.set(Time::from_millis(i * 1000));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    wait_for(20, "20 batch directories", || {
        std::fs::read_dir(&dir.0)
            .unwrap()
            .filter(|e| !e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.'))
            .count()
            == 20
    });
    ssc.stop(Stop::Now).unwrap();
    done.store(true, Ordering::Release);
    let checked = reader.join().expect("the reader saw only complete batches");
    assert!(checked > 0);
    let first = std::fs::read_to_string(dir.0.join("batch-1000.txt/part-00000")).unwrap();
    assert_eq!(first.lines().next(), Some("(\"word-0-0\", 0)"));
}

#[test]
fn saving_to_an_unwritable_place_stops_with_an_error_naming_it() {
    let dir = TempDir::new("files-bad");
    let blocker = dir.0.join("not-a-dir");
    std::fs::write(&blocker, "a file where a directory should be").unwrap();
    let prefix = blocker.join("out").to_str().unwrap().to_string();
    let result = std::panic::catch_unwind(|| {
        dstream::testing::run_batches(vec![vec![1]], move |s: DStream<i32>| {
            s.save_as_text_files(&prefix, "");
            s
        })
    });
    let message = *result.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("save_as_text_files"), "{message}");
    assert!(message.contains("not-a-dir"), "{message}");
}

/// A file without newlines does not become one huge record: the socket's line bound applies
/// (the line is dropped and counted); and the time spent reading counts in the batch's delays,
/// which run from its boundary.
#[test]
fn text_file_stream_bounds_lines_and_counts_reading_in_the_scheduling_delay() {
    let dir = TempDir::new("files-bound");
    let ssc = StreamingContext::new(Duration::from_millis(100)).unwrap();
    let batches = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&batches);
    ssc.text_file_stream(&dir.0)
        .foreach_rdd(move |rdd| sink.lock().unwrap().extend(rdd.iter().map(|l| l.len())));
    ssc.start().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut big = vec![b'x'; 3 << 20];
    big.extend_from_slice(b"\nshort line\n");
    std::fs::write(dir.0.join(".big"), &big).unwrap();
    std::fs::rename(dir.0.join(".big"), dir.0.join("big.txt")).unwrap();
    wait_for(10, "the short line", || !batches.lock().unwrap().is_empty());
    std::thread::sleep(std::time::Duration::from_millis(150));
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(*batches.lock().unwrap(), vec![10], "only the short line; the 3 MiB one is dropped");
    assert_eq!(ssc.receiver_reports()[0].oversized_lines_dropped, 1);
    for info in ssc.batch_history() {
        let boundary =
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(info.batch_time().as_millis() as u64);
        assert_eq!(info.submitted_at(), boundary, "delays run from the batch's boundary");
    }
}

/// A link in the watched folder is followed (its file is read like any other), and a link that
/// leads nowhere is reported rather than skipped without a word.
#[test]
fn text_file_stream_follows_links_and_reports_broken_ones() {
    let dir = TempDir::new("files-links");
    let outside = TempDir::new("files-links-target");
    let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
    let batches = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&batches);
    ssc.text_file_stream(&dir.0)
        .foreach_rdd(move |rdd| sink.lock().unwrap().extend(rdd.iter().map(|l| l.to_string())));
    ssc.start().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(outside.0.join("data.txt"), "through a link\n").unwrap();
    std::os::unix::fs::symlink(outside.0.join("data.txt"), dir.0.join("linked.txt")).unwrap();
    std::os::unix::fs::symlink(outside.0.join("missing.txt"), dir.0.join("broken.txt")).unwrap();
    wait_for(10, "the linked file's line", || !batches.lock().unwrap().is_empty());
    std::thread::sleep(std::time::Duration::from_millis(120));
    ssc.stop(Stop::Now).unwrap();
    assert_eq!(*batches.lock().unwrap(), ["through a link"]);
    let report = &ssc.receiver_reports()[0];
    assert_eq!(report.errors, 1, "the broken link, once: {report:?}");
    assert!(
        report
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("broken.txt is a link to a file that does not exist")
    );
}

#[test]
fn a_path_through_a_file_names_the_file_in_the_way() {
    let dir = TempDir::new("files-in-the-way");
    std::fs::write(dir.0.join("notes.txt"), "x").unwrap();
    let ssc = StreamingContext::new(Duration::from_secs(1)).unwrap();
    let err = ssc.checkpoint(dir.0.join("notes.txt").join("ckpt")).unwrap_err();
    assert!(err.to_string().contains("notes.txt is a file, not a folder"), "{err}");
}
