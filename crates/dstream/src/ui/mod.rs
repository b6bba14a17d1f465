//! Pictures of a stream for notebooks, like Spark's Streaming UI tab: the batch timeline and
//! window diagrams, as HTML/SVG.
//!
//! Each is a plain value built from data, with `to_html()` (a pure function of that data) and
//! `evcxr_display()`, which evcxr calls when the value ends a notebook cell: it prints the HTML
//! between `EVCXR_BEGIN_CONTENT text/html` and `EVCXR_END_CONTENT`, and the notebook shows it.

mod timeline;
mod window_diagram;

pub use timeline::BatchTimeline;
pub use window_diagram::WindowDiagram;

/// Prints `html` the way evcxr turns into a rich output.
fn print_for_evcxr(html: &str) {
    println!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT");
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
