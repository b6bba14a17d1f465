//! `Progress`: a streaming query's progress reports (Spark's `StreamingQueryProgress`), typed.

use crate::{LabError, Query};
use chrono::{DateTime, Utc};
use dstream::ui::BatchTimeline;
use dstream::{BatchInfo, Time};
use serde_json::Value as Json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One trigger of a streaming query, as Spark reports it (`query.lastProgress` in PySpark):
/// which micro-batch, when it started, how many rows it read, and how long it took.
///
/// # Examples
///
/// ```
/// use spark_lab::Progress;
///
/// // The shape of the report Spark Connect sends (abridged): rows and rates per source.
/// let json = r#"{"batchId": 3, "timestamp": "2026-12-01T20:10:05.000Z",
///     "durationMs": {"addBatch": 450, "triggerExecution": 612},
///     "sources": [{"description": "TextSocketV2[host: 127.0.0.1, port: 9999]",
///                  "numInputRows": 12, "inputRowsPerSecond": 2.4, "processedRowsPerSecond": 19.6}]}"#;
/// let p = Progress::parse(json)?;
/// assert_eq!((p.batch_id(), p.num_input_rows()), (3, 12));
/// assert_eq!(p.input_rows_per_second(), 2.4);
/// assert_eq!(p.trigger_execution().as_millis(), 612);
/// assert_eq!(p.batch_info().num_records(), 12);
/// # Ok::<(), spark_lab::LabError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    batch_id: i64,
    started: SystemTime,
    num_input_rows: u64,
    input_rows_per_second: f64,
    processed_rows_per_second: f64,
    trigger_execution: Duration,
    add_batch: Duration,
    watermark: Option<DateTime<Utc>>,
    dropped_by_watermark: u64,
    json: String,
}

impl Progress {
    /// Reads one of Spark's progress reports (JSON).
    pub fn parse(json: &str) -> Result<Progress, LabError> {
        let bad = |what: &str| LabError::new(format!("rapport de progression illisible ({what}) : {json}"));
        let report: Json = serde_json::from_str(json).map_err(|e| bad(&e.to_string()))?;
        // The totals are at the top of the JVM's report, and only per source in the one Spark
        // Connect sends (PySpark adds them up): the top one if there, else the sources' sum.
        let sources = report.get("sources").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default();
        let number = |key: &str| {
            report
                .get(key)
                .and_then(Json::as_f64)
                .unwrap_or_else(|| sources.iter().filter_map(|s| s.get(key).and_then(Json::as_f64)).sum())
        };
        let duration = |key: &str| {
            Duration::from_millis(
                report.get("durationMs").and_then(|d| d.get(key)).and_then(Json::as_u64).unwrap_or(0),
            )
        };
        let timestamp =
            report.get("timestamp").and_then(Json::as_str).ok_or_else(|| bad("pas de « timestamp »"))?;
        Ok(Progress {
            batch_id: report
                .get("batchId")
                .and_then(Json::as_i64)
                .ok_or_else(|| bad("pas de « batchId »"))?,
            started: parse_timestamp(timestamp).ok_or_else(|| bad("« timestamp » invalide"))?,
            num_input_rows: number("numInputRows") as u64,
            input_rows_per_second: number("inputRowsPerSecond"),
            processed_rows_per_second: number("processedRowsPerSecond"),
            trigger_execution: duration("triggerExecution"),
            add_batch: duration("addBatch"),
            watermark: report
                .get("eventTime")
                .and_then(|e| e.get("watermark"))
                .and_then(Json::as_str)
                .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
                .map(|time| time.with_timezone(&Utc))
                .filter(|time| time.timestamp_millis() > 0),
            dropped_by_watermark: report.get("stateOperators").and_then(Json::as_array).map_or(0, |ops| {
                ops.iter().filter_map(|op| op.get("numRowsDroppedByWatermark")?.as_u64()).sum()
            }),
            json: json.to_string(),
        })
    }

    /// The micro-batch's number (Spark's `batchId`, from 0).
    pub fn batch_id(&self) -> i64 {
        self.batch_id
    }

    /// When the trigger started (Spark's `timestamp`).
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// Rows read from the sources in this trigger (`numInputRows`).
    pub fn num_input_rows(&self) -> u64 {
        self.num_input_rows
    }

    /// Rows per second arriving at the sources (`inputRowsPerSecond`).
    pub fn input_rows_per_second(&self) -> f64 {
        self.input_rows_per_second
    }

    /// Rows per second processed (`processedRowsPerSecond`).
    pub fn processed_rows_per_second(&self) -> f64 {
        self.processed_rows_per_second
    }

    /// The trigger's whole duration (`durationMs.triggerExecution`): planning, reading, running
    /// the micro-batch, writing to the sink, committing offsets.
    pub fn trigger_execution(&self) -> Duration {
        self.trigger_execution
    }

    /// The part spent running the micro-batch and writing it to the sink (`durationMs.addBatch`).
    pub fn add_batch(&self) -> Duration {
        self.add_batch
    }

    /// The query's watermark during this trigger (`eventTime.watermark`), when it has one: the
    /// event time before which Spark takes no more rows, and closes the windows that end there.
    /// `None` before the first rows (Spark reports 1970-01-01 then), or for a query without
    /// `with_watermark`. It shows as `2026-12-01 10:00:08 UTC`.
    pub fn watermark(&self) -> Option<DateTime<Utc>> {
        self.watermark
    }

    /// Rows this trigger left out because their event time was behind the watermark (the
    /// state operators' `numRowsDroppedByWatermark`).
    pub fn rows_dropped_by_watermark(&self) -> u64 {
        self.dropped_by_watermark
    }

    /// Spark's report, whole (sources, sink, state operators...).
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The trigger as a batch of the timeline of notebook 01: its rows, due and started when the
    /// trigger fired, ended after `trigger_execution`.
    pub fn batch_info(&self) -> BatchInfo {
        let millis = self.started.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        BatchInfo::new(
            Time::from_millis(millis),
            self.num_input_rows,
            self.started,
            self.started,
            self.started + self.trigger_execution,
        )
    }
}

/// The triggers of `query` drawn as notebook 01's batch timeline: rows per trigger, and each
/// trigger's duration against `trigger`, the query's processing-time interval.
///
/// ```no_run
/// # fn f(query: &spark_lab::Query) -> Result<(), spark_lab::LabError> {
/// let chart = spark_lab::timeline(query, dstream::secs(5))?; // end a cell with it to see it
/// # Ok(()) }
/// ```
pub fn timeline(query: &Query, trigger: impl Into<dstream::Duration>) -> Result<BatchTimeline, LabError> {
    let batches = query.recent_progress()?.iter().map(Progress::batch_info).collect();
    Ok(BatchTimeline::new(trigger, batches))
}

/// `2026-12-01T20:10:05.123Z` (Spark's progress timestamps, RFC 3339, UTC) as a time.
fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let time = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    let millis = u64::try_from(time.timestamp_millis()).ok()?;
    Some(UNIX_EPOCH + Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_as_utc() {
        let t = parse_timestamp("2026-12-01T20:10:05.123Z").unwrap();
        // 2026-12-01 is day 20,788 since 1970-01-01.
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_millis(), 20_788 * 86_400_000 + 72_605_123);
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.000Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_timestamp("2024-02-29T00:00:00Z").unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_164_800
        );
        assert_eq!(parse_timestamp("hier"), None);
    }

    #[test]
    fn totals_add_up_the_sources_unless_the_report_has_them() {
        let json = |top: &str| {
            format!(
                r#"{{"batchId": 1, "timestamp": "2026-12-01T20:10:05.000Z"{top},
                "sources": [{{"numInputRows": 3, "inputRowsPerSecond": 1.5}}, {{"numInputRows": 4, "inputRowsPerSecond": 2.0}}]}}"#
            )
        };
        let summed = Progress::parse(&json("")).unwrap();
        assert_eq!((summed.num_input_rows(), summed.input_rows_per_second()), (7, 3.5));
        let top = Progress::parse(&json(r#", "numInputRows": 9, "inputRowsPerSecond": 4.0"#)).unwrap();
        assert_eq!((top.num_input_rows(), top.input_rows_per_second()), (9, 4.0));
    }

    #[test]
    fn the_watermark_and_the_rows_it_left_out_are_read() {
        let json = r#"{"batchId": 2, "timestamp": "2026-12-01T20:10:05.000Z",
            "eventTime": {"max": "2026-12-01T10:00:34.000Z", "watermark": "2026-12-01T10:00:24.000Z"},
            "stateOperators": [{"numRowsTotal": 5, "numRowsDroppedByWatermark": 1}]}"#;
        let p = Progress::parse(json).unwrap();
        assert_eq!(p.watermark().unwrap().to_string(), "2026-12-01 10:00:24 UTC");
        assert_eq!(p.rows_dropped_by_watermark(), 1);
        let none = Progress::parse(r#"{"batchId": 0, "timestamp": "2026-12-01T20:10:05.000Z"}"#).unwrap();
        assert_eq!((none.watermark(), none.rows_dropped_by_watermark()), (None, 0));
        let first = Progress::parse(
            r#"{"batchId": 0, "timestamp": "2026-12-01T20:10:05.000Z", "eventTime": {"watermark": "1970-01-01T00:00:00.000Z"}}"#,
        )
        .unwrap();
        assert_eq!(first.watermark(), None);
    }

    #[test]
    fn a_report_without_batch_id_is_an_error_that_shows_it() {
        let e = Progress::parse(r#"{"timestamp": "2026-12-01T20:10:05.000Z"}"#).unwrap_err();
        assert!(e.to_string().contains("batchId"), "{e}");
    }
}
