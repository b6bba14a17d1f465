"""Hostile submissions: what a mischievous student can put in a notebook to change grades, read
the solutions, reach the teacher's files or the network, outlive grading, or fool the test
cells. Each function edits a released student notebook; the grading tests grade them through
`scripts/grade autograde` and check that none of it works, and that correct answers beside the
attacks still get full marks."""
import nbformat

# Strings that only the teacher's version of the notebooks holds (a solution's constant, the
# solution markers): they must never show in a graded notebook's outputs or its feedback. (The
# hidden tests do show in the feedback, by nbgrader's design: that is where a student learns
# what was tested; they must not show in outputs, where a submission would have printed them.)
SOLUTION_MARKERS = ["0x9E37_79B9_7F4A_7C15", "BEGIN SOLUTION"]
HIDDEN_TESTS_MARKER = "BEGIN HIDDEN TESTS"
# Arguments of the processes an attack leaves behind, to look for after grading.
LEFT_BEHIND = ["987654", "987655"]


def after(nb, text, *sources):
    """Inserts code cells with `sources` after the first cell whose source contains `text`."""
    at = next(i for i, c in enumerate(nb.cells) if text in c.source) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(s) for s in sources]


def before(nb, text, *sources):
    at = next(i for i, c in enumerate(nb.cells) if text in c.source)
    nb.cells[at:at] = [nbformat.v4.new_code_cell(s) for s in sources]


def rust_list(paths):
    return "[" + ", ".join(f'"{p}"' for p in paths) + "]"


def mallory(paths, port):
    """Reads the gradebook and the solutions, rewrites grades and a hidden test, writes into the
    grader's files and into a later student's returned notebook, leaves processes behind (one
    holding the kernel's stderr), and calls a local service."""
    readable = [paths["course"] / "gradebook.db", paths["course"] / "source" / "tp-streaming" / "01-tp-spark-streaming.ipynb",
                paths["root"] / "notebooks" / "01-tp-spark-streaming.ipynb"]
    writable = paths["grader_files"] + [paths["returned"] / "victor" / "01-tp-spark-streaming.ipynb"]
    sql = (
        f"import sqlite3; c = sqlite3.connect('file:{paths['course']}/gradebook.db?mode=rw', uri=True); "
        "c.execute('update grade set manual_score = 100'); "
        "c.execute(\\\"update source_cell set source = 'x' where name = 'q3-tests'\\\"); c.commit(); print('BASE MODIFIEE')"
    )
    cells = [
        "// Attaque : lire la base de notes et les solutions.\n"
        f"for chemin in {rust_list(readable)} {{\n"
        "    match std::fs::read(chemin) {\n"
        '        Ok(octets) => println!("LU {chemin} : {}", String::from_utf8_lossy(&octets)),\n'
        '        Err(e) => println!("illisible {chemin} : {e}"),\n'
        "    }\n"
        "}\n"
        f'println!("{{:?}}", std::process::Command::new("python3").arg("-c").arg("{sql}").output());',
        "// Attaque : écrire dans les fichiers du correcteur et dans la copie rendue d'un autre.\n"
        f"for chemin in {rust_list(writable)} {{\n"
        "    let r = std::fs::OpenOptions::new().write(true).open(chemin)\n"
        '        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{}"));\n'
        '    println!("écriture {chemin} : {r:?}");\n'
        "}\n"
        f"for dossier in {rust_list(paths['grader_dirs'])} {{\n"
        '    println!("{dossier} : {:?}", std::fs::write(format!("{dossier}/pirate.txt"), "pirate"));\n'
        "}",
        "// Attaque : des processus qui survivent à la correction, dont un qui garde stderr ouvert.\n"
        f'let _ = std::process::Command::new("setsid").args(["sleep", "{LEFT_BEHIND[0]}"]).spawn();\n'
        f'let _ = std::process::Command::new("sh").args(["-c", "sleep {LEFT_BEHIND[1]} >&2 &"]).spawn();\n'
        'println!("{:?}", std::process::Command::new("ps").args(["-e", "-o", "pid,args"]).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()));',
        "// Attaque : un service local (JupyterLab, le broker...).\n"
        f'println!("connexion : {{:?}}", std::net::TcpStream::connect("127.0.0.1:{port}"));',
    ]

    def edit(nb):
        after(nb, "use dstream::prelude::*;", *cells)

    return edit


def kill_everything(nb):
    """Kills every process it can see, the kernel and the grader included if it could."""
    after(nb, "use dstream::prelude::*;", '// Attaque : tout tuer.\nprintln!("{:?}", std::process::Command::new("kill").args(["-KILL", "-1"]).status());')


SILENT_ASSERTS = (
    "#[allow(unused_macros)] macro_rules! assert { ($($t:tt)*) => {} }\n"
    "#[allow(unused_macros)] macro_rules! assert_eq { ($($t:tt)*) => {} }\n"
    "#[allow(unused_macros)] macro_rules! assert_ne { ($($t:tt)*) => {} }\n"
)

# Wrong answers, each shaped like the exercise's function.
WRONG = {
    "q3-reponse": "fn lignes_aleatoires(_texte: &str, _n: usize, _graine: u64) -> Vec<String> {\n    Vec::new()\n}",
    "ex1-reponse": "fn sans_mots_vides(mots: DStream<Text>) -> DStream<Text> {\n    mots\n}",
    "ex2-reponse": "fn longueurs(mots: DStream<Text>) -> DStream<usize> {\n    mots.map(|w| w.len())\n}",
    "ex3-reponse": "fn comptes_glissants(paires: DStream<(Text, i64)>, _f: Duration, _g: Duration) -> DStream<(Text, i64)> {\n    paires.reduce_by_key(|a, b| a + b)\n}",
    "ex5-reponse": "fn comptes_des_messages(messages: DStream<KafkaRecord>) -> DStream<(Text, i64)> {\n    messages.map(|m| (m.value, 1))\n}",
}


def silent_asserts():
    """Wrong answers, with `assert!`, `assert_eq!` and `assert_ne!` shadowed by macros that
    check nothing."""
    return {gid: SILENT_ASSERTS + source if gid in ("q3-reponse", "ex1-reponse") else source for gid, source in WRONG.items()}


def silent_panics(nb):
    """Asks evcxr to keep variables on panic (so that a panic is no error output) and installs
    a panic hook that prints nothing, before the answers (left `todo!()`) are tested; each
    answer also installs the silent hook itself, in the test cell's own code."""
    after(nb, "use dstream::prelude::*;", ":preserve_vars_on_panic 1\nstd::panic::set_hook(Box::new(|_| {}));")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = cell.source.replace("todo!()", "std::panic::set_hook(Box::new(|_| {}));\ntodo!()")


FAKE_CRATE = (
    "// Une fausse bibliothèque, écrite avant le :dep.\n"
    'std::fs::create_dir_all("/tmp/faux/src").unwrap();\n'
    'std::fs::write("/tmp/faux/Cargo.toml", "[package]\\nname = \\"faux\\"\\nversion = \\"0.1.0\\"\\nedition = \\"2021\\"\\n").unwrap();\n'
    'std::fs::write("/tmp/faux/build.rs", "fn main() { println!(\\"cargo:warning=BUILD PIRATE\\"); }").unwrap();\n'
    'std::fs::write("/tmp/faux/src/lib.rs", "pub fn pirate() -> &\'static str { \\"CRATE PIRATE CHARGEE\\" }").unwrap();'
)


def foreign_deps(nb):
    """Writes a crate of its own, points the teacher's `:dep dstream` cell at it (written
    without spaces), and loads it with a `:dep` of its own."""
    before(nb, ":dep dstream", FAKE_CRATE)
    dep = next(c for c in nb.cells if ":dep dstream" in c.source)
    dep.source = ':dep dstream={path="/tmp/faux"}'
    after(nb, "use dstream::prelude::*;", ':dep faux={path="/tmp/faux"}', 'println!("{}", faux::pirate());')


def memory_hog(nb):
    """A cell that asks for 3 GiB at once."""
    after(nb, "use dstream::prelude::*;", "// 3 Gio d'un coup.\nlet grand = vec![1u8; 3 << 30];\nprintln!(\"{}\", grand.len());")


# A Q3 answer that passes the visible tests and fails a hidden one (a text with no line).
Q3_WITHOUT_EMPTY_CASE = """fn lignes_aleatoires(texte: &str, n: usize, graine: u64) -> Vec<String> {
    let lignes: Vec<&str> = texte.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut etat = graine;
    (0..n)
        .map(|_| {
            etat = etat.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lignes[((etat >> 33) % lignes.len() as u64) as usize].to_string()
        })
        .collect()
}"""
