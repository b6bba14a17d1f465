//! Crash recovery with real processes and files: a stream with windows and state is killed with
//! SIGKILL mid-run and restarted from its checkpoint; its outputs must equal an uninterrupted
//! run's. Damaged checkpoints are never used.

mod util;

use dstream::{
    Clock, DStream, Duration, ManualClock, PairDStreamExt, State, StateSpec, Stop, StreamingContext, Text,
    Time,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use util::{TempDir, wait_for};

const BATCHES: i64 = 30;

/// The input: 30 batches of lines, some empty, some repeating words.
fn input() -> Vec<Vec<Text>> {
    (0..BATCHES)
        .map(|i| {
            if i % 7 == 3 {
                return Vec::new();
            }
            (0..(i % 4 + 1))
                .map(|j| Text::from(format!("w{} w{} common x{}", i % 5, (i + j) % 3, j).as_str()))
                .collect()
        })
        .collect()
}

/// The pipeline under test, declared by `setup` in every run: a plain window, an inverse window
/// and a state, each written to `out` as `<kind> <batch ms> <records>` lines.
fn setup(clock: &ManualClock, out: &Path) -> dstream::Result<StreamingContext> {
    let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    ssc.set_default_parallelism(2);
    let pairs: DStream<(Text, i64)> =
        ssc.queue_stream(input(), true, None).flat_map(|line| line.split(' ')).map(|w| (w, 1));
    let plain = pairs.reduce_by_key_and_window(|a, b| a + b, Duration::from_secs(3), Duration::from_secs(1));
    let incremental = pairs.reduce_by_key_and_window_inv_filtered(
        |a, b| a + b,
        |a, b| a - b,
        Duration::from_secs(5),
        Duration::from_secs(2),
        |(_, c)| *c > 0,
    );
    let totals = pairs.update_state_by_key(|new: Vec<i64>, total: Option<i64>| {
        Some(total.unwrap_or(0) + new.iter().sum::<i64>())
    });
    // Running totals with map_with_state, words idle for 3 s timing out (with their last total).
    let spec = StateSpec::function(|word: Text, one: Option<i64>, state: &mut State<i64>| {
        if state.is_timing_out() {
            return (word, -state.get());
        }
        let total = state.get_option().unwrap_or(&0) + one.unwrap_or(0);
        state.update(total);
        (word, total)
    })
    .timeout(Duration::from_secs(3))
    .initial_state(vec![(Text::from("common"), 1000)]);
    let mapped = pairs.map_with_state(spec);
    let streams = [
        ("plain", plain),
        ("inverse", incremental),
        ("state", totals),
        ("mapped", mapped.stream()),
        ("snapshots", mapped.state_snapshots()),
    ];
    for (kind, stream) in streams {
        let out = out.to_path_buf();
        stream.foreach_rdd_with_time(move |rdd, time| {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&out).unwrap();
            writeln!(file, "{kind} {} {:?}", time.as_millis(), rdd.collect()).unwrap();
            file.sync_data().unwrap();
        });
    }
    Ok(ssc)
}

/// One run of the stream as its own process (this test binary in child mode).
fn spawn_child(checkpoint: &Path, out: &Path, pause_ms: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "recovery_child", "--nocapture", "--test-threads=1"])
        .env("DSTREAM_RECOVERY_CHILD", checkpoint)
        .env("DSTREAM_RECOVERY_OUT", out)
        .env("DSTREAM_RECOVERY_PAUSE_MS", pause_ms.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the test binary runs")
}

/// The child: recover or create, then run the remaining batches on the manual clock.
#[test]
fn recovery_child() {
    let Some(checkpoint) = std::env::var_os("DSTREAM_RECOVERY_CHILD").map(PathBuf::from) else { return };
    let out = PathBuf::from(std::env::var_os("DSTREAM_RECOVERY_OUT").unwrap());
    let pause: u64 = std::env::var("DSTREAM_RECOVERY_PAUSE_MS").unwrap().parse().unwrap();
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::get_or_create(&checkpoint, || setup(&clock, &out)).unwrap();
    let resumed = ssc.resumed_from().map_or(0, |t| t.as_millis() / 1000);
    let mut log =
        std::fs::OpenOptions::new().create(true).append(true).open(out.with_extension("resumed")).unwrap();
    writeln!(log, "{resumed}").unwrap();
    clock.set(Time::from_millis(resumed * 1000));
    ssc.start().unwrap();
    for i in resumed + 1..=BATCHES {
        clock.set(Time::from_millis(i * 1000));
        let done = (i - resumed) as usize;
        wait_for(30, "the batch", || ssc.batch_history().len() >= done);
        std::thread::sleep(std::time::Duration::from_millis(pause));
    }
    ssc.stop(Stop::Now).unwrap();
}

/// The output lines of a run, as `(kind, time) -> records`, checking that a batch written twice
/// (run again after the crash) was written the same way both times.
fn outputs(path: &Path) -> std::collections::BTreeMap<(String, i64), String> {
    let mut map = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let mut fields = line.splitn(3, ' ');
        let (kind, time, records) = (fields.next().unwrap(), fields.next().unwrap(), fields.next().unwrap());
        let key = (kind.to_string(), time.parse::<i64>().unwrap());
        if let Some(before) = map.insert(key.clone(), records.to_string()) {
            assert_eq!(before, records, "{key:?} was output twice, differently");
        }
    }
    map
}

fn lines_in(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn killed_with_sigkill_and_restarted_gives_the_uninterrupted_outputs() {
    let dir = TempDir::new("recovery");
    // The reference: one uninterrupted run.
    let reference_out = dir.0.join("reference.txt");
    let status = spawn_child(&dir.0.join("ckpt-reference"), &reference_out, 0).wait().unwrap();
    assert!(status.success());
    let reference = outputs(&reference_out);
    assert_eq!(reference.keys().filter(|(k, _)| k == "state").count(), BATCHES as usize);

    // The same stream, killed (SIGKILL) in the middle, then restarted twice more.
    let checkpoint = dir.0.join("ckpt");
    let out = dir.0.join("crashed.txt");
    for kill_after in [12, 45] {
        let mut child = spawn_child(&checkpoint, &out, 15);
        wait_for(60, "some batches before the kill", || lines_in(&out) >= kill_after);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
    }
    assert!(lines_in(&out) < reference_out.metadata().map(|_| lines_in(&reference_out)).unwrap());
    let status = spawn_child(&checkpoint, &out, 0).wait().unwrap();
    assert!(status.success(), "the restarted stream runs to the end");
    assert_eq!(
        outputs(&out),
        reference,
        "after recovery, every batch's outputs equal the uninterrupted run's"
    );

    // The restarts resumed from their checkpoints (they did not start over): at most the batch in
    // flight at each kill was run twice.
    let resumed: Vec<i64> = std::fs::read_to_string(out.with_extension("resumed"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(resumed.len(), 3);
    assert!(
        resumed[0] == 0 && resumed[1] > 0 && resumed[2] > resumed[1],
        "resumed after batches {resumed:?}"
    );
    // A batch's outputs written twice all belong to the batch in flight at a kill: at most one
    // batch per kill (each of its 4 or 5 output lines at most twice), no other line repeated.
    let mut written = std::collections::BTreeMap::<(String, i64), usize>::new();
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let mut fields = line.splitn(3, ' ');
        let key = (fields.next().unwrap().to_string(), fields.next().unwrap().parse::<i64>().unwrap());
        *written.entry(key).or_default() += 1;
    }
    let rerun: std::collections::BTreeSet<i64> =
        written.iter().filter(|(_, n)| **n > 1).map(|((_, time), _)| *time).collect();
    assert!(written.values().all(|n| *n <= 2), "an output written more than twice: {written:?}");
    assert!(rerun.len() <= 2, "batches run again after the two kills: {rerun:?} (at most one per kill)");
}

#[test]
fn a_damaged_latest_checkpoint_falls_back_to_the_previous_one_and_all_damaged_is_an_error() {
    let dir = TempDir::new("recovery-damaged");
    let checkpoint = dir.0.join("ckpt");
    let out = dir.0.join("out.txt");
    assert!(spawn_child(&checkpoint, &out, 0).wait().unwrap().success());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&checkpoint)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("checkpoint-"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "the two newest checkpoints are kept");

    // Truncate the newest: recovery uses the one before.
    let newest = files[1].clone();
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() - 3]).unwrap();
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc =
        StreamingContext::get_or_create(&checkpoint, || setup(&clock, &dir.0.join("unused.txt"))).unwrap();
    assert_eq!(ssc.resumed_from(), Some(Time::from_millis((BATCHES - 1) * 1000)));

    // Damage the other one too: a clear error, nothing used.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&files[0], &bytes).unwrap();
    let err = StreamingContext::get_or_create(&checkpoint, || setup(&clock, &dir.0.join("unused.txt")))
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind(), dstream::ErrorKind::Checkpoint);
    assert!(text.contains("no usable checkpoint") && text.contains("checksum"), "{text}");
    assert!(text.contains("Delete the directory"), "says what to do: {text}");
}

#[test]
fn a_different_pipeline_does_not_silently_take_a_checkpoint() {
    let dir = TempDir::new("recovery-mismatch");
    let checkpoint = dir.0.join("ckpt");
    assert!(spawn_child(&checkpoint, &dir.0.join("out.txt"), 0).wait().unwrap().success());
    let clock = ManualClock::new(Time::from_millis(0));
    let err = StreamingContext::get_or_create(&checkpoint, || {
        let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
        ssc.queue_stream(input(), true, None).count().foreach_rdd(|_| {});
        Ok(ssc)
    })
    .unwrap_err();
    assert!(err.to_string().contains("does not match the checkpoint"), "{err}");
}

/// A second stream on a checkpoint directory in use is refused at start, naming who holds it —
/// another context of this program, or another process — and a directory whose owner is gone
/// (killed) is taken over.
#[test]
fn a_checkpoint_directory_in_use_is_refused_and_taken_over_once_its_owner_is_gone() {
    let dir = TempDir::new("lock");
    let checkpoint = dir.0.join("ckpt");
    let out = dir.0.join("out.txt");
    let first =
        StreamingContext::get_or_create(&checkpoint, || setup(&ManualClock::new(Time::from_millis(0)), &out))
            .unwrap();
    first.start().unwrap();
    let second = setup(&ManualClock::new(Time::from_millis(0)), &out).unwrap();
    second.checkpoint(&checkpoint).unwrap();
    let err = second.start().unwrap_err();
    assert!(err.to_string().contains("in use by another StreamingContext of this program"), "{err}");
    first.stop(Stop::Now).unwrap();

    // Another process: a child that pauses after each batch, so that it is still running.
    let mut child = spawn_child(&checkpoint, &dir.0.join("child.txt"), 2000);
    wait_for(30, "the child's first batch", || lines_in(&dir.0.join("child.txt")) > 0);
    let third = setup(&ManualClock::new(Time::from_millis(0)), &out).unwrap();
    third.checkpoint(&checkpoint).unwrap();
    let err = third.start().unwrap_err();
    assert!(err.to_string().contains(&format!("another running program (process {})", child.id())), "{err}");
    child.kill().unwrap();
    child.wait().unwrap();
    let fourth = setup(&ManualClock::new(Time::from_millis(0)), &out).unwrap();
    fourth.checkpoint(&checkpoint).unwrap();
    fourth.start().expect("the lock of a process that is gone is taken over");
    fourth.stop(Stop::Now).unwrap();
}

/// A checkpoint written by a pipeline keeping `i64` states is not read by one keeping `f64`
/// ones (the bytes would be reinterpreted): the error names both types.
#[test]
fn a_checkpoint_of_another_state_type_is_refused_naming_both_types() {
    let dir = TempDir::new("types");
    let clock = ManualClock::new(Time::from_millis(0));
    let declare = |ssc: &StreamingContext| ssc.queue_stream(vec![vec![("a".to_string(), 1i64)]], true, None);
    let ssc = StreamingContext::get_or_create(&dir.0, || {
        let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
        declare(&ssc)
            .update_state_by_key(|new: Vec<i64>, old: Option<i64>| {
                Some(old.unwrap_or(0) + new.iter().sum::<i64>())
            })
            .foreach_rdd(|_| {});
        Ok(ssc)
    })
    .unwrap();
    ssc.start().unwrap();
    clock.set(Time::from_millis(1000));
    wait_for(10, "a checkpointed batch", || !ssc.batch_history().is_empty());
    ssc.stop(Stop::Now).unwrap();
    let err = StreamingContext::get_or_create(&dir.0, || {
        let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
        declare(&ssc)
            .map(|(w, n)| (w, n as f64))
            .update_state_by_key(|new: Vec<f64>, old: Option<f64>| {
                Some(old.unwrap_or(0.0) + new.iter().sum::<f64>())
            })
            .foreach_rdd(|_| {});
        Ok(ssc)
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("update_state_by_key of (String, i64)")
            && message.contains("update_state_by_key of (String, f64)"),
        "{message}"
    );
}

/// The child of the next test: recovers from (or creates in) the directory it is given.
#[test]
fn emptied_child() {
    let Some(dir) = std::env::var_os("DSTREAM_EMPTIED_CHILD") else { return };
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::get_or_create(&dir, || setup(&clock, &PathBuf::from(&dir).join("out.txt")))
        .unwrap();
    assert_eq!(ssc.resumed_from(), None);
}

/// A checkpoint directory whose checkpoints were deleted by hand starts afresh, and says so.
#[test]
fn a_checkpoint_directory_emptied_by_hand_starts_afresh_and_says_so() {
    let dir = TempDir::new("emptied");
    let checkpoint = dir.0.join("ckpt");
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::get_or_create(&checkpoint, || setup(&clock, &dir.0.join("out.txt"))).unwrap();
    ssc.start().unwrap();
    clock.set(Time::from_millis(2000));
    wait_for(10, "two batches", || ssc.batch_history().len() >= 2);
    ssc.stop(Stop::Now).unwrap();
    let run = |label: &str| {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "emptied_child", "--nocapture", "--test-threads=1"])
            .env("DSTREAM_EMPTIED_CHILD", &checkpoint)
            .output()
            .unwrap();
        assert!(out.status.success(), "{label}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for entry in std::fs::read_dir(&checkpoint).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("checkpoint-") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let said = run("emptied");
    assert!(said.contains("held checkpoints of an earlier run, and holds none now"), "{said}");
    std::fs::remove_dir_all(&checkpoint).unwrap();
    assert!(!run("new").contains("held checkpoints"), "a new directory is not a loss");
}
