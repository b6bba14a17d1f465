//! `run_on_lines`: a streaming query run once on fixed lines (the tests of notebook 03's graded
//! exercise, and its word count on the cluster).

use crate::{LabError, Query, Table, fresh_folder};
use spark_connect::{DataFrame, SparkSession, Trigger};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs `query`, a function from a streaming table of lines (one column, `value`, as Spark's
/// text and socket sources give) to a streaming aggregation, on `lines` (`&str`s or `String`s),
/// and returns its result.
///
/// The lines are written to a file of a fresh folder, which Spark's file source reads; the query
/// runs once over all of it (`Trigger::AvailableNow`) into a memory sink in `complete` mode, so
/// the result is the whole, final table, the same at every run. When Spark refuses the query,
/// the error is Spark's, with a hint in French for the usual slips.
///
/// ```no_run
/// use spark_lab::prelude::*;
/// use spark_lab::functions::{explode, split};
///
/// let spark = connect()?;
/// let table = spark_lab::run_on_lines(&spark, &["a b", "b"], |lines| {
///     lines.select([explode(split(col("value"), lit_string(" "))).alias("word")]).group_by([col("word")]).count()
/// })?;
/// assert_eq!(table.counts("word", "count(1)")?["b"], 2);
/// # Ok::<(), LabError>(())
/// ```
pub fn run_on_lines<S: AsRef<str>>(
    spark: &SparkSession,
    lines: &[S],
    query: impl FnOnce(&DataFrame) -> DataFrame,
) -> Result<Table, LabError> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let name = format!("essai_{}_{stamp}", std::process::id());
    let folder = fresh_folder(std::env::temp_dir().join(&name))?;
    let mut text = String::new();
    for line in lines {
        text.push_str(line.as_ref());
        text.push('\n');
    }
    std::fs::write(format!("{folder}/lignes.txt"), text)
        .map_err(|e| LabError::new(format!("écriture des lignes dans {folder} : {e}")))?;
    let result = (|| {
        let lines = spark.read_stream().format("text").load(Some(&folder));
        let started = query(&lines)
            .write_stream()
            .format("memory")
            .query_name(&name)
            .output_mode("complete")
            .trigger(Trigger::AvailableNow)
            .start("")
            .map_err(|e| with_hint(LabError::from(e)))?;
        let run = Query::new(started);
        run.await_termination(None).map_err(with_hint)?;
        if let Some(failure) = run.exception()? {
            return Err(with_hint(LabError::new(format!("la requête a échoué : {failure:?}"))));
        }
        Table::of(&spark.sql(&format!("select * from {name}"))?)
    })();
    let _ = std::fs::remove_dir_all(&folder);
    result
}

/// Spark's error, with what it usually means here, in French.
fn with_hint(error: LabError) -> LabError {
    let message = error.to_string();
    let hint = if message.contains("UNRESOLVED_COLUMN") {
        " — Avec le client Rust, une chaîne passée là où une colonne est attendue (dans isin, \
         eq…) désigne une colonne : pour la valeur « the », écrivez lit_string(\"the\")."
    } else if message.contains("Complete output mode not supported") {
        " — En mode complete, la requête doit comporter une agrégation (par exemple group_by(…).count())."
    } else {
        ""
    };
    if hint.is_empty() { error } else { LabError::new(format!("{message}{hint}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_given_as_text_gets_the_hint_about_lit_string() {
        let error = with_hint(LabError::new(
            "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ... `the` cannot be resolved",
        ));
        assert!(error.to_string().contains("lit_string(\"the\")"), "{error}");
        assert_eq!(with_hint(LabError::new("autre chose")).to_string(), "autre chose");
    }
}
