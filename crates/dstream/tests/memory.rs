//! Memory stays flat when a notebook re-runs its pipelines: a context that is created, run,
//! stopped and dropped gives back what its windows and states held (they point back at their
//! context; a cycle would keep a whole state alive per run).

mod util;

use dstream::{DStream, Duration, PairDStreamExt, testing::run_batches};

/// Resident memory of this process, in bytes (Linux).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn rss_stays_flat_over_twenty_runs_of_stateful_and_windowed_pipelines() {
    const KEYS: usize = 10_000;
    let dir = util::TempDir::new("memory");
    let batch = || (0..KEYS).map(|k| (format!("mot-{k}"), 1i64)).collect::<Vec<_>>();
    let run = || {
        let checkpoint = dir.0.clone();
        let states = run_batches(vec![batch(), batch(), batch()], move |pairs: DStream<(String, i64)>| {
            pairs.context().checkpoint(&checkpoint).unwrap();
            pairs.update_state_by_key(|new: Vec<i64>, old: Option<i64>| {
                Some(old.unwrap_or(0) + new.iter().sum::<i64>())
            })
        });
        assert_eq!(states[2].len(), KEYS);
        let checkpoint = dir.0.clone();
        let windows = run_batches(vec![batch(), batch(), batch()], move |pairs: DStream<(String, i64)>| {
            pairs.context().checkpoint(&checkpoint).unwrap();
            let incremental = pairs.reduce_by_key_and_window_inv(
                |a, b| a + b,
                |a, b| a - b,
                Duration::from_secs(2),
                Duration::from_secs(1),
            );
            let recomputed =
                pairs.window(Duration::from_secs(2), Duration::from_secs(1)).reduce_by_key(|a, b| a + b);
            incremental.union(&recomputed)
        });
        assert_eq!(windows[2].len(), 2 * KEYS);
    };
    for _ in 0..3 {
        run();
    }
    let warm = rss();
    for _ in 3..20 {
        run();
    }
    let grown = rss().saturating_sub(warm);
    // A context kept alive per run held its state and windows: 17 runs added about 85 MB.
    assert!(grown < 30 << 20, "RSS grew by {} MB over 17 runs", grown >> 20);
}
