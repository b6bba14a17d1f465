//! The lab's helpers for real Apache Spark, driven from Rust through Spark Connect.
//!
//! Notebook 03 runs the lab's word count on a real Spark server (Structured Streaming) with the
//! official Rust client, [`spark_connect`] (the `apache-spark-connect` crate). This crate holds
//! what would otherwise weigh on every cell:
//!
//! - [`spark_script`]: `scripts/spark start`, `status`, `stop` from a cell;
//! - [`connect`]: a session on the lab's server (`scripts/spark start`), with an error that says
//!   what to run when the server is not there ([`LabError`], in French: students read it);
//! - [`Table`]: a DataFrame's rows, shown as an HTML table in the notebook, and [`Snapshots`]:
//!   tables read at successive triggers, side by side;
//! - [`Query`]: a streaming query whose calls fail at once, in French, when the server stops
//!   (the client would retry them for ten minutes);
//! - [`Progress`] and [`timeline`]: a streaming query's progress reports as typed values, and
//!   drawn as the batch timeline of notebook 01 ([`dstream::ui::BatchTimeline`]);
//! - [`executors`]: which executors ran the application's tasks (local, or on a cluster);
//! - [`fresh_folder`] and [`deliver`]: folders for file sources and sinks, and files that arrive
//!   in them whole;
//! - [`run_on_lines`]: a streaming query run once on fixed lines, read by Spark's file source
//!   (the graded exercise's tests).
//!
//! Rust closures do not run on Spark's executors: a Structured Streaming query is written with
//! Spark's column functions ([`functions`]), which the server compiles and runs.
//!
//! # Examples
//!
//! ```no_run
//! use spark_lab::prelude::*;
//! use spark_lab::functions::{explode, split};
//!
//! let spark = connect()?; // scripts/spark start, first
//! let lines = spark.read_stream().format("socket")
//!     .option("host", "127.0.0.1").option("port", "9999").load(None);
//! let words = lines.select([explode(split(col("value"), lit_string(" "))).alias("word")]);
//! let counts = words.group_by([col("word")]).count();
//! let query = Query::new(counts.write_stream().format("memory").query_name("comptes")
//!     .output_mode("complete").start("")?);
//! query.process_all_available()?;
//! println!("{}", Table::of(&spark.sql("select * from comptes")?)?);
//! query.stop()?;
//! # Ok::<(), LabError>(())
//! ```

mod error;
mod executors;
mod files;
mod guard;
mod progress;
mod query;
mod run;
mod script;
mod session;
mod table;

pub use error::LabError;
pub use executors::executors;
pub use files::{deliver, fresh_folder};
pub use progress::{Progress, timeline};
pub use query::Query;
pub use run::run_on_lines;
pub use script::spark_script;
pub use session::{DEFAULT_PORT, connect, connect_to, server_url};
pub use spark_connect;
/// Spark's column functions (`explode`, `split`, `window`, `lower`, ...), as in
/// `pyspark.sql.functions`.
pub use spark_connect::functions;
pub use table::{Snapshots, Table};

/// What a notebook cell needs: `use spark_lab::prelude::*;`.
pub mod prelude {
    pub use crate::{
        LabError, Progress, Query, Snapshots, Table, connect, connect_to, deliver, executors, fresh_folder,
        run_on_lines, server_url, spark_script, timeline,
    };
    pub use spark_connect::{Column, DataFrame, SparkSession, StreamingQuery, Trigger, col, lit, lit_string};
}
