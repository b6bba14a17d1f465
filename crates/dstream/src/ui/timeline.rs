//! `BatchTimeline`: records per batch and processing time against the batch interval.

use super::{escape, print_for_evcxr};
use crate::scheduler::BatchInfo;
use crate::time::Duration;
use std::fmt::Write;

/// The processed batches of a context drawn as bar charts: records per batch, processing time
/// per batch against the batch interval (a batch slower than the interval makes the next ones
/// wait), and scheduling delay per batch (when it keeps growing, the stream falls behind). Like
/// the timelines of Spark's Streaming UI tab.
///
/// Get one from [`StreamingContext::batch_timeline`](crate::StreamingContext::batch_timeline);
/// in a notebook, ending a cell with it shows the charts.
///
/// # Examples
///
/// ```
/// use dstream::{DStream, testing, ui::BatchTimeline};
///
/// let (_, history) = testing::run_batches_with_history(vec![vec![1, 2, 3], vec![], vec![4]], |s: DStream<i32>| s);
/// let timeline = BatchTimeline::new(testing::TEST_BATCH_INTERVAL, history);
/// let html = timeline.to_html();
/// assert!(html.contains("<svg"));
/// assert_eq!(html.matches("class=\"records\"").count(), 3); // one bar per batch
/// ```
#[derive(Clone, Debug)]
pub struct BatchTimeline {
    batch_interval: Duration,
    batches: Vec<BatchInfo>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 22.0;

impl BatchTimeline {
    /// A timeline of `batches` (oldest first) of a context cutting a batch every
    /// `batch_interval`.
    ///
    /// ```
    /// use dstream::{DStream, testing, ui::BatchTimeline};
    /// let (_, history) = testing::run_batches_with_history(vec![vec![1, 2]], |s: DStream<i32>| s);
    /// let timeline = BatchTimeline::new(testing::TEST_BATCH_INTERVAL, history);
    /// assert_eq!(timeline.batches().len(), 1);
    /// ```
    pub fn new(batch_interval: impl Into<Duration>, batches: Vec<BatchInfo>) -> Self {
        BatchTimeline { batch_interval: batch_interval.into(), batches }
    }

    /// The batches drawn.
    ///
    /// ```
    /// use dstream::{DStream, testing, ui::BatchTimeline};
    /// let (_, history) = testing::run_batches_with_history(vec![vec![1, 2]], |s: DStream<i32>| s);
    /// let timeline = BatchTimeline::new(testing::TEST_BATCH_INTERVAL, history);
    /// assert_eq!(timeline.batches()[0].num_records(), 2);
    /// ```
    pub fn batches(&self) -> &[BatchInfo] {
        &self.batches
    }

    /// The charts, as an HTML fragment with inline SVG.
    ///
    /// ```
    /// use dstream::{DStream, testing, ui::BatchTimeline};
    /// let (_, history) = testing::run_batches_with_history(vec![vec![1, 2]], |s: DStream<i32>| s);
    /// let timeline = BatchTimeline::new(testing::TEST_BATCH_INTERVAL, history);
    /// assert!(timeline.to_html().contains("<svg"));
    /// ```
    pub fn to_html(&self) -> String {
        let n = self.batches.len();
        let interval_ms = self.batch_interval.as_millis() as f64;
        let records: Vec<f64> = self.batches.iter().map(|b| b.num_records() as f64).collect();
        let processing: Vec<f64> =
            self.batches.iter().map(|b| b.processing_delay().as_secs_f64() * 1000.0).collect();
        let late = processing.iter().filter(|p| **p > interval_ms).count();
        let scheduling: Vec<f64> =
            self.batches.iter().map(|b| b.scheduling_delay().as_secs_f64() * 1000.0).collect();
        let worst_wait = scheduling.iter().copied().fold(0.0, f64::max);
        let total_records: f64 = records.iter().sum();
        let mut html =
            String::from("<div class=\"dstream-timeline\" style=\"font-family:sans-serif;font-size:12px\">");
        let _ = write!(
            html,
            "<div><b>{n} batches</b> every {} s · {} records in all · mean processing time {} · {} batch(es) slower than the interval · longest scheduling delay {}</div>",
            self.batch_interval.as_secs_f64(),
            total_records,
            format_ms(mean(&processing)),
            late,
            format_ms(worst_wait)
        );
        if n == 0 {
            html.push_str("<div>No batch yet: start the context and let it run.</div></div>");
            return html;
        }
        let labels: Vec<String> =
            self.batches.iter().map(|b| time_label(&b.batch_time().to_local_string())).collect();
        html.push_str(&bar_chart("Records per batch", "records", &records, None, &labels, |v| {
            format!("{v}")
        }));
        html.push_str(&bar_chart(
            "Processing time per batch (dashed: the batch interval)",
            "processing",
            &processing,
            Some(interval_ms),
            &labels,
            format_ms,
        ));
        html.push_str(&bar_chart(
            "Scheduling delay per batch: from its boundary to its processing (growing: the stream falls behind)",
            "scheduling",
            &scheduling,
            Some(interval_ms),
            &labels,
            format_ms,
        ));
        html.push_str("</div>");
        html
    }

    /// Shows the charts in an evcxr notebook (called by evcxr when the value ends a cell).
    ///
    /// ```
    /// use dstream::{DStream, testing, ui::BatchTimeline};
    /// let (_, history) = testing::run_batches_with_history(vec![vec![1, 2]], |s: DStream<i32>| s);
    /// let timeline = BatchTimeline::new(testing::TEST_BATCH_INTERVAL, history);
    /// timeline.evcxr_display(); // a cell ending with `timeline` shows the charts
    /// ```
    pub fn evcxr_display(&self) {
        print_for_evcxr(&self.to_html());
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.0} µs", ms * 1000.0)
    }
}

/// `HH:MM:SS` (and a fraction, if any) out of `YYYY-MM-DD HH:MM:SS`.
fn time_label(local: &str) -> String {
    local.split_once(' ').map_or(local, |(_, time)| time).to_string()
}

/// One bar per value, with a y axis, the first and last labels, and an optional dashed limit.
fn bar_chart(
    title: &str,
    class: &str,
    values: &[f64],
    limit: Option<f64>,
    labels: &[String],
    show: impl Fn(f64) -> String,
) -> String {
    let top = values.iter().copied().chain(limit).fold(0.0f64, f64::max).max(1e-9);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - 8.0;
    let step = plot_w / values.len() as f64;
    let bar_w = (step * 0.8).max(1.0);
    let y = |v: f64| 8.0 + plot_h * (1.0 - v / top);
    let mut svg = format!(
        "<div style=\"margin-top:8px\">{}</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        escape(title),
        escape(title)
    );
    let _ =
        write!(svg, "<line x1=\"{LEFT}\" y1=\"8\" x2=\"{LEFT}\" y2=\"{}\" stroke=\"#888\"/>", 8.0 + plot_h);
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#888\"/>",
        8.0 + plot_h,
        LEFT + plot_w
    );
    let _ =
        write!(svg, "<text x=\"{}\" y=\"14\" text-anchor=\"end\">{}</text>", LEFT - 4.0, escape(&show(top)));
    let _ = write!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>", LEFT - 4.0, 8.0 + plot_h);
    for (i, v) in values.iter().enumerate() {
        let over = limit.is_some_and(|l| *v > l);
        let x = LEFT + step * i as f64 + (step - bar_w) / 2.0;
        let _ = write!(
            svg,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
            y(*v),
            8.0 + plot_h - y(*v),
            if over { "#d9534f" } else { "#5b8def" },
            escape(&labels[i]),
            escape(&show(*v))
        );
    }
    if let Some(limit) = limit {
        let _ = write!(
            svg,
            "<line class=\"interval\" x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#d9534f\" stroke-dasharray=\"4 3\"/>",
            y(limit),
            LEFT + plot_w
        );
    }
    for (i, anchor) in [(0, "start"), (labels.len() - 1, "end")] {
        let x = if anchor == "start" { LEFT } else { LEFT + plot_w };
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            HEIGHT - 6.0,
            escape(&labels[i])
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Time;
    use std::time::{Duration as StdDuration, UNIX_EPOCH};

    fn batch(i: i64, records: u64, processing_ms: u64) -> BatchInfo {
        waiting(i, records, 0, processing_ms)
    }

    fn waiting(i: i64, records: u64, scheduling_ms: u64, processing_ms: u64) -> BatchInfo {
        let at = UNIX_EPOCH + StdDuration::from_secs(1_700_000_000 + i as u64);
        let started = at + StdDuration::from_millis(scheduling_ms);
        BatchInfo {
            batch_time: Time::from_millis((1_700_000_000 + i) * 1000),
            num_records: records,
            input_descriptions: Vec::new(),
            submitted_at: at,
            processing_started_at: started,
            processing_ended_at: started + StdDuration::from_millis(processing_ms),
        }
    }

    #[test]
    fn draws_a_bar_per_batch_and_flags_slow_ones() {
        let timeline = BatchTimeline::new(
            Duration::from_secs(1),
            vec![batch(0, 3, 10), batch(1, 0, 1500), batch(2, 7, 20)],
        );
        let html = timeline.to_html();
        assert_eq!(html.matches("class=\"records\"").count(), 3);
        assert_eq!(html.matches("class=\"processing\"").count(), 3);
        assert_eq!(html.matches("#d9534f\"><title>").count(), 1, "one bar slower than the interval");
        assert!(html.contains("class=\"interval\""), "the interval line");
        assert!(html.contains("10 records in all"));
        assert!(html.contains("1 batch(es) slower than the interval"));
    }

    #[test]
    fn draws_the_scheduling_delay_against_the_interval() {
        let timeline = BatchTimeline::new(
            Duration::from_secs(1),
            vec![waiting(0, 3, 0, 10), waiting(1, 3, 800, 10), waiting(2, 3, 2500, 10)],
        );
        let html = timeline.to_html();
        assert_eq!(html.matches("class=\"scheduling\"").count(), 3);
        assert!(html.contains("longest scheduling delay 2.50 s"), "{html}");
        assert_eq!(html.matches("class=\"interval\"").count(), 2, "the interval on both time charts");
    }

    #[test]
    fn empty_history_says_what_to_do() {
        let html = BatchTimeline::new(Duration::from_secs(5), Vec::new()).to_html();
        assert!(html.contains("No batch yet"));
        assert!(!html.contains("<svg"));
    }
}
