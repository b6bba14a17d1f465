//! `KafkaRecord` and `OffsetRange`: what a Kafka direct stream delivers, and which part of a
//! partition one batch read.

use crate::text::Text;

/// One record read from Kafka by [`kafka_direct_stream`](crate::StreamingContext::kafka_direct_stream)
/// (Spark's `ConsumerRecord`).
///
/// Key and value are decoded as UTF-8, bytes that are not UTF-8 becoming U+FFFD (counted in
/// [`ReceiverReport::invalid_utf8_lines`](crate::ReceiverReport::invalid_utf8_lines)); a record
/// without value has an empty one.
///
/// # Examples
///
/// ```
/// use dstream::kafka::KafkaRecord;
/// use dstream::Text;
///
/// let record = KafkaRecord {
///     topic: Text::from("phrases"),
///     partition: 0,
///     offset: 41,
///     key: None,
///     value: Text::from("spark streaming"),
///     timestamp_ms: 1_764_000_000_000,
/// };
/// assert_eq!(record.value.split(' ').count(), 2);
/// assert_eq!(format!("{record:?}"), r#"phrases-0@41: "spark streaming""#);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KafkaRecord {
    /// The topic it was read from.
    pub topic: Text,
    /// The partition of that topic.
    pub partition: i32,
    /// Its position in the partition (0, 1, 2, ...).
    pub offset: i64,
    /// The key it was produced with, if any.
    pub key: Option<Text>,
    /// Its value.
    pub value: Text,
    /// When it was produced (or appended), in milliseconds since 1970-01-01 UTC.
    pub timestamp_ms: i64,
}

/// `topic-partition@offset: "value"`, or with the key: `topic-partition@offset: "key" => "value"`.
impl std::fmt::Debug for KafkaRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}@{}: ", self.topic, self.partition, self.offset)?;
        if let Some(key) = &self.key {
            write!(f, "{key:?} => ")?;
        }
        write!(f, "{:?}", self.value)
    }
}

/// The records of one partition a batch read: offsets `from_offset` (included) to
/// `until_offset` (excluded), Spark's `OffsetRange`.
///
/// # Examples
///
/// ```
/// use dstream::kafka::OffsetRange;
///
/// let range = OffsetRange { topic: "phrases".into(), partition: 1, from_offset: 10, until_offset: 14 };
/// assert_eq!(range.count(), 4);
/// assert_eq!(range.to_string(), "phrases-1 [10, 14)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OffsetRange {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The first offset read.
    pub from_offset: i64,
    /// One past the last offset read: where the next batch starts.
    pub until_offset: i64,
}

impl OffsetRange {
    /// How many offsets the range spans.
    ///
    /// ```
    /// use dstream::kafka::OffsetRange;
    /// let range = OffsetRange { topic: "phrases".into(), partition: 0, from_offset: 10, until_offset: 25 };
    /// assert_eq!(range.count(), 15);
    /// assert_eq!(range.to_string(), "phrases-0 [10, 25)");
    /// ```
    pub fn count(&self) -> u64 {
        (self.until_offset - self.from_offset).max(0) as u64
    }
}

impl std::fmt::Display for OffsetRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{} [{}, {})", self.topic, self.partition, self.from_offset, self.until_offset)
    }
}
