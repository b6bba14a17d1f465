//! `WindowDiagram`: which batches each window of a sliding window covers.

use super::print_for_evcxr;
use crate::error::{Error, Result};
use crate::time::Duration;
use std::fmt::Write;

/// A grid showing, for a sliding window of `window` every `slide` over batches of
/// `batch_interval`, which batches each emitted window covers — with Spark's rules: the window at
/// a batch covers the batches in `(t − window, t]` (fewer at the start), and windows are emitted
/// only at slide times (`window(3 s, 2 s)` on 1 s batches: at batches 1, 3, 5, ...).
///
/// # Examples
///
/// ```
/// use dstream::{Duration, ui::WindowDiagram};
///
/// let diagram = WindowDiagram::new(Duration::from_secs(5), Duration::from_secs(10), Duration::from_secs(5), 4)?;
/// assert_eq!(diagram.windows(), vec![(0, vec![0]), (1, vec![0, 1]), (2, vec![1, 2]), (3, vec![2, 3])]);
/// let odd = WindowDiagram::new(Duration::from_secs(1), Duration::from_secs(3), Duration::from_secs(2), 6)?;
/// assert_eq!(odd.windows()[0], (1, vec![0, 1]));
/// assert!(odd.to_html().contains("<svg"));
/// # Ok::<(), dstream::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowDiagram {
    batch_interval: Duration,
    window: Duration,
    slide: Duration,
    batches: usize,
}

impl WindowDiagram {
    /// The diagram for `batches` batches; fails, naming the durations, if the window or the slide
    /// is not a positive multiple of the batch interval.
    ///
    /// ```
    /// use dstream::{secs, ui::WindowDiagram};
    /// let d = WindowDiagram::new(secs(5), secs(10), secs(5), 4)?;
    /// assert!(WindowDiagram::new(secs(5), secs(7), secs(5), 4).is_err(), "7 s is not a multiple of 5 s");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn new(
        batch_interval: impl Into<Duration>,
        window: impl Into<Duration>,
        slide: impl Into<Duration>,
        batches: usize,
    ) -> Result<Self> {
        let (batch_interval, window, slide) = (batch_interval.into(), window.into(), slide.into());
        for (what, d) in [("window", window), ("slide", slide)] {
            if batch_interval <= Duration::ZERO || d <= Duration::ZERO || !d.is_multiple_of(batch_interval) {
                return Err(Error::invalid_argument(format!(
                    "the {what} duration {d} must be a positive multiple of the batch interval {batch_interval}"
                )));
            }
        }
        Ok(WindowDiagram { batch_interval, window, slide, batches })
    }

    /// For each emitted window: the index of the batch it is emitted at, and the indices of the
    /// batches it covers.
    ///
    /// ```
    /// use dstream::{secs, ui::WindowDiagram};
    /// let d = WindowDiagram::new(secs(5), secs(10), secs(5), 4)?;
    /// assert_eq!(d.windows()[1], (1, vec![0, 1]), "the window emitted at batch 1 covers batches 0 and 1");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn windows(&self) -> Vec<(usize, Vec<usize>)> {
        let per_window = (self.window / self.batch_interval) as usize;
        let per_slide = (self.slide / self.batch_interval) as usize;
        // Batch i ends (i + 1) intervals after the zero time: emitted when that is a slide multiple.
        (0..self.batches)
            .filter(|i| (i + 1) % per_slide == 0)
            .map(|i| (i, (i.saturating_sub(per_window - 1)..=i).collect()))
            .collect()
    }

    /// The grid, as an HTML fragment with inline SVG.
    ///
    /// ```
    /// use dstream::{secs, ui::WindowDiagram};
    /// let d = WindowDiagram::new(secs(5), secs(10), secs(5), 4)?;
    /// assert!(d.to_html().starts_with("<div"));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn to_html(&self) -> String {
        let cell = 26.0;
        let left = 150.0;
        let windows = self.windows();
        let width = left + cell * self.batches as f64 + 10.0;
        let height = 30.0 + cell * windows.len() as f64 + 10.0;
        let mut svg = format!(
            "<div style=\"font-family:sans-serif;font-size:12px\"><div><b>Window {} s, sliding every {} s, over {} s batches</b></div>\
             <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"window diagram\">",
            self.window.as_secs_f64(),
            self.slide.as_secs_f64(),
            self.batch_interval.as_secs_f64()
        );
        for b in 0..self.batches {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"20\" text-anchor=\"middle\">{b}</text>",
                left + cell * b as f64 + cell / 2.0
            );
        }
        for (row, (at, covered)) in windows.iter().enumerate() {
            let y = 30.0 + cell * row as f64;
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">window at batch {at}</text>",
                left - 8.0,
                y + cell * 0.65
            );
            for b in 0..self.batches {
                let inside = covered.contains(&b);
                let _ = write!(
                    svg,
                    "<rect class=\"{}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"#fff\"/>",
                    if inside { "covered" } else { "outside" },
                    left + cell * b as f64,
                    cell - 2.0,
                    cell - 2.0,
                    if inside { "#5b8def" } else { "#eee" }
                );
            }
        }
        svg.push_str("</svg><div>Columns: batches; blue: the batches a window covers.</div></div>");
        svg
    }

    /// Shows the diagram in an evcxr notebook (called by evcxr when the value ends a cell).
    ///
    /// ```
    /// use dstream::{secs, ui::WindowDiagram};
    /// let d = WindowDiagram::new(secs(5), secs(10), secs(5), 4)?;
    /// d.evcxr_display(); // a cell ending with `d` shows the diagram
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn evcxr_display(&self) {
        print_for_evcxr(&self.to_html());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_windows_cover_the_right_batches() {
        let secs = Duration::from_secs;
        let d = WindowDiagram::new(secs(5), secs(30), secs(10), 8).unwrap();
        let windows = d.windows();
        assert_eq!(windows.iter().map(|(at, _)| *at).collect::<Vec<_>>(), vec![1, 3, 5, 7]);
        assert_eq!(windows[3].1, vec![2, 3, 4, 5, 6, 7]);
        let html = d.to_html();
        assert_eq!(html.matches("class=\"covered\"").count(), 2 + 4 + 6 + 6);
        assert_eq!(html.matches("class=\"outside\"").count(), 4 * 8 - 18);
    }

    #[test]
    fn refuses_durations_that_are_not_multiples() {
        let err =
            WindowDiagram::new(Duration::from_secs(5), Duration::from_secs(12), Duration::from_secs(5), 3)
                .unwrap_err();
        assert!(err.to_string().contains("12000 ms") && err.to_string().contains("5000 ms"), "{err}");
    }
}
