//! The lab's switch between a class and its grader: a live demonstration runs for the time a
//! class watches it, and for no time at all while nbgrader runs a notebook to grade it (it
//! sets `NBGRADER_EXECUTION`), since demonstrations are not graded.

use crate::time::Duration;

/// The environment variable nbgrader sets while it executes a notebook to grade it.
const NBGRADER_EXECUTION: &str = "NBGRADER_EXECUTION";

/// Whether nbgrader is running the notebook to grade it.
///
/// ```
/// // As a cell runs in a class (nbgrader not involved):
/// # unsafe { std::env::remove_var("NBGRADER_EXECUTION") };
/// assert!(!dstream::lab::is_grading());
/// ```
pub fn is_grading() -> bool {
    std::env::var_os(NBGRADER_EXECUTION).is_some()
}

/// How long a live demonstration runs: `duration` in class, zero while nbgrader grades the
/// notebook, so that `ssc.await_termination_or_timeout(demo_duration(secs(30)))` shows 30 s of
/// batches to a class and costs nothing at grading time.
///
/// ```
/// use dstream::{lab::demo_duration, secs};
/// # unsafe { std::env::remove_var("NBGRADER_EXECUTION") };
/// assert_eq!(demo_duration(secs(30)), secs(30));
/// assert_eq!(demo_duration(std::time::Duration::from_millis(500)), dstream::millis(500));
/// ```
pub fn demo_duration(duration: impl Into<Duration>) -> Duration {
    if is_grading() { Duration::ZERO } else { duration.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graded_run_skips_the_demonstrations() {
        // The only test of this crate that sets the variable; it reads it back at once.
        unsafe { std::env::set_var(NBGRADER_EXECUTION, "autograde") };
        let (graded, duration) = (is_grading(), demo_duration(crate::secs(30)));
        unsafe { std::env::remove_var(NBGRADER_EXECUTION) };
        assert!(graded);
        assert_eq!(duration, Duration::ZERO);
    }
}
