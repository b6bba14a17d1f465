//! `Table`: a DataFrame's rows, to read and to show in a notebook.

use crate::LabError;
use crate::guard::guarded;
use spark_connect::DataFrame;
use spark_connect::row::{Row, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The rows of a DataFrame, collected from the server: columns by name, values as Spark typed
/// them. Ending a notebook cell with a `Table` shows it as an HTML table; `println!("{table}")`
/// prints it as PySpark's `show()` does.
///
/// # Examples
///
/// ```
/// use spark_lab::Table;
/// use spark_lab::spark_connect::row::Value;
///
/// let table = Table::new(
///     vec!["word".into(), "count".into()],
///     vec![vec![Value::String("spark".into()), Value::Long(3)]],
/// );
/// assert_eq!(table.counts("word", "count")?["spark"], 3);
/// assert!(table.to_html().contains("<td>spark</td>"));
/// println!("{table}");
/// # Ok::<(), spark_lab::LabError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Table {
    /// A table of these columns and rows (each row has one value per column).
    pub fn new(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Self {
        Table { columns, rows }
    }

    /// Runs `df` on the server and collects its rows (all of them: for small results, such as
    /// a memory sink's table).
    ///
    /// ```no_run
    /// let spark = spark_lab::connect()?;
    /// let table = spark_lab::Table::of(&spark.sql("select 1 as un")?)?;
    /// assert_eq!(table.columns(), ["un"]);
    /// # Ok::<(), spark_lab::LabError>(())
    /// ```
    ///
    /// If the lab's server stops meanwhile, this fails at once with an error that says so (see
    /// [`Query`](crate::Query)).
    #[allow(
        clippy::result_large_err,
        reason = "the closure returns the client's own error, as the client does"
    )]
    pub fn of(df: &DataFrame) -> Result<Table, LabError> {
        let df = df.clone();
        guarded("la lecture d'une table", move || {
            let columns = df.columns()?;
            let rows = df.collect()?.into_iter().map(Row::into_values).collect();
            Ok(Table { columns, rows })
        })
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows, each with one value per column.
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The values of column `name`, or an error naming the columns there are.
    ///
    /// ```
    /// use spark_lab::{Table, spark_connect::row::Value};
    /// let table = Table::new(vec!["n".into()], vec![vec![Value::Long(1)], vec![Value::Long(2)]]);
    /// assert_eq!(table.column("n")?, [&Value::Long(1), &Value::Long(2)]);
    /// assert!(table.column("m").is_err());
    /// # Ok::<(), spark_lab::LabError>(())
    /// ```
    pub fn column(&self, name: &str) -> Result<Vec<&Value>, LabError> {
        let index = self.index(name)?;
        Ok(self.rows.iter().map(|row| &row[index]).collect())
    }

    /// The table as counts: column `key`'s text to column `value`'s integer, e.g. a word count's
    /// `word` and `count`, to compare with what `dstream` computed. A key that appears twice is an
    /// error (an update-mode sink keeps one row per key and trigger: select the last ones first).
    ///
    /// ```
    /// use spark_lab::{Table, spark_connect::row::Value};
    /// let row = |w: &str, n: i64| vec![Value::String(w.into()), Value::Long(n)];
    /// let table = Table::new(vec!["word".into(), "count".into()], vec![row("a", 2), row("b", 1)]);
    /// let counts = table.counts("word", "count")?;
    /// assert_eq!(counts.into_iter().collect::<Vec<_>>(), [("a".to_string(), 2), ("b".to_string(), 1)]);
    /// # Ok::<(), spark_lab::LabError>(())
    /// ```
    pub fn counts(&self, key: &str, value: &str) -> Result<BTreeMap<String, i64>, LabError> {
        let (k, v) = (self.index(key)?, self.index(value)?);
        let mut counts = BTreeMap::new();
        for row in &self.rows {
            let count = row[v].as_i64().ok_or_else(|| {
                LabError::new(format!("la colonne « {value} » contient {} : ce n'est pas un entier", row[v]))
            })?;
            if counts.insert(row[k].to_string(), count).is_some() {
                return Err(LabError::new(format!(
                    "la clé « {} » apparaît deux fois dans la colonne « {key} »",
                    row[k]
                )));
            }
        }
        Ok(counts)
    }

    /// The table as an HTML fragment (what the notebook shows).
    pub fn to_html(&self) -> String {
        let mut html = String::from("<table><thead><tr>");
        for column in &self.columns {
            html.push_str(&format!("<th>{}</th>", escape(column)));
        }
        html.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            html.push_str("<tr>");
            for value in row {
                if is_number(value) {
                    html.push_str(&format!("<td style=\"text-align: right\">{value}</td>"));
                } else {
                    html.push_str(&format!("<td>{}</td>", escape(&value.to_string())));
                }
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        if self.rows.is_empty() {
            html.push_str("<p><em>(aucune ligne)</em></p>");
        }
        html
    }

    /// Shows the table in the notebook: evcxr calls this for a cell's last value.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.to_html());
    }

    fn index(&self, name: &str) -> Result<usize, LabError> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            // PySpark names count()'s column `count`, the Rust client `count(1)`.
            let hint = if self.columns.iter().any(|c| c == "count(1)") {
                " (le client Rust nomme « count(1) » la colonne de count() : renommez-la avec \
                 with_column_renamed(\"count(1)\", …))"
            } else {
                ""
            };
            LabError::new(format!(
                "pas de colonne « {name} » (colonnes disponibles : {}){hint}",
                self.columns.join(", ")
            ))
        })
    }
}

/// PySpark's `show()` layout: a frame, one line per row, numbers on the right.
impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<Vec<String>> =
            self.rows.iter().map(|r| r.iter().map(|v| v.to_string()).collect()).collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.columns[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let rule: String = widths.iter().map(|w| format!("+{}", "-".repeat(*w))).collect::<String>() + "+";
        writeln!(f, "{rule}")?;
        for (i, column) in self.columns.iter().enumerate() {
            write!(f, "|{column:>width$}", width = widths[i])?;
        }
        writeln!(f, "|\n{rule}")?;
        for row in &cells {
            for (i, cell) in row.iter().enumerate() {
                write!(f, "|{cell:>width$}", width = widths[i])?;
            }
            writeln!(f, "|")?;
        }
        write!(f, "{rule}")
    }
}

fn is_number(value: &Value) -> bool {
    matches!(
        value,
        Value::Byte(_)
            | Value::Short(_)
            | Value::Integer(_)
            | Value::Long(_)
            | Value::Float(_)
            | Value::Double(_)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Tables read one after the other (a query's result at successive triggers), shown side by side,
/// each under its caption, to see the result change. A notebook cell shows one rich output: this
/// is how several tables read in one cell are all shown.
///
/// ```
/// use spark_lab::{Snapshots, Table, spark_connect::row::Value};
///
/// let mut readings = Snapshots::new();
/// for n in 1..=2 {
///     readings.push(format!("après {} s", 5 * n), Table::new(vec!["n".into()], vec![vec![Value::Long(n)]]));
/// }
/// assert_eq!(readings.len(), 2);
/// assert!(readings.to_html().contains("après 10 s"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshots {
    tables: Vec<(String, Table)>,
}

impl Snapshots {
    /// No table yet.
    pub fn new() -> Self {
        Snapshots::default()
    }

    /// Adds `table`, shown under `caption`, after the others.
    pub fn push(&mut self, caption: impl Into<String>, table: Table) {
        self.tables.push((caption.into(), table));
    }

    /// The tables, with their captions, in the order they were added.
    pub fn tables(&self) -> &[(String, Table)] {
        &self.tables
    }

    /// How many tables.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether there is no table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The tables side by side, as an HTML fragment.
    pub fn to_html(&self) -> String {
        let mut html = String::from(
            "<div style=\"display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start\">",
        );
        for (caption, table) in &self.tables {
            html.push_str(&format!(
                "<div><p><strong>{}</strong></p>{}</div>",
                escape(caption),
                table.to_html()
            ));
        }
        html.push_str("</div>");
        html
    }

    /// Shows the tables in the notebook: evcxr calls this for a cell's last value.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.to_html());
    }
}
