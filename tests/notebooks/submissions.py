"""Realistic answers, as students write them: other correct forms than the teacher's (which must
get full marks), the mistakes a fair test must catch, and wrong answers that look right. Each is
the source of one answer cell; `CASES` says, for each, the score a fair teacher gives the
exercise's test cell. tests/notebooks/test_grading.py grades them through `scripts/grade`."""

Q3_XORSHIFT = """fn lignes_aleatoires(texte: &str, n: usize, graine: u64) -> Vec<String> {
    // Les lignes qui comptent : autre chose que des espaces.
    let lignes: Vec<&str> = texte.lines().filter(|l| l.chars().any(|c| c != ' ')).collect();
    if lignes.is_empty() {
        return vec![];
    }
    // xorshift64*, la graine mélangée d'abord (une graine nulle bloquerait xorshift).
    let mut x = graine ^ 0x2545_F491_4F6C_DD1D;
    let mut tirages = Vec::new();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % lignes.len();
        tirages.push(lignes[i].to_string());
    }
    tirages
}"""

# Uses `is_empty` where the statement says that lines of spaces do not count.
Q3_IS_EMPTY = """fn lignes_aleatoires(texte: &str, n: usize, graine: u64) -> Vec<String> {
    let lignes: Vec<&str> = texte.lines().filter(|l| !l.is_empty()).collect();
    if lignes.is_empty() {
        return Vec::new();
    }
    let mut etat = graine;
    (0..n)
        .map(|_| {
            etat = etat.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = etat;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            lignes[((z ^ (z >> 31)) % lignes.len() as u64) as usize].to_string()
        })
        .collect()
}"""

# No randomness at all: the lines in turn, from a place the seed chooses.
Q3_STRIDE = """fn lignes_aleatoires(texte: &str, n: usize, graine: u64) -> Vec<String> {
    let lignes: Vec<&str> = texte.lines().filter(|l| !l.trim().is_empty()).collect();
    if lignes.is_empty() {
        return Vec::new();
    }
    (0..n).map(|i| lignes[(graine as usize + i) % lignes.len()].to_string()).collect()
}"""

# Random-looking, but only ever draws 7 of the 20 lines.
Q3_BIASED = """fn lignes_aleatoires(texte: &str, n: usize, graine: u64) -> Vec<String> {
    let lignes: Vec<&str> = texte.lines().filter(|l| !l.trim().is_empty()).collect();
    if lignes.is_empty() {
        return Vec::new();
    }
    let mut etat = graine.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            etat = etat.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lignes[((etat >> 33) % 7) as usize % lignes.len()].to_string()
        })
        .collect()
}"""

EX1_ANY = """fn sans_mots_vides(mots: DStream<Text>) -> DStream<Text> {
    const VIDES: [&str; 7] = ["the", "a", "an", "and", "or", "is", "are"];
    mots.filter(|w| {
        let minuscules = w.to_lowercase();
        !VIDES.iter().any(|v| *v == minuscules)
    })
}"""

# Keeps the words, but lower-cased: the statement says they are kept as they are.
EX1_LOWERCASED = """fn sans_mots_vides(mots: DStream<Text>) -> DStream<Text> {
    let mots_vides = ["the", "a", "an", "and", "or", "is", "are"];
    mots.map(|w| w.to_lowercase()).filter(move |w| !mots_vides.contains(&w.as_str()))
}"""

# Bytes, not characters: right on ASCII words, wrong on « été ».
EX2_BYTES = """fn longueurs(mots: DStream<Text>) -> DStream<usize> {
    mots.map(|w| w.len())
}"""

# The lengths, sorted in each batch: any order is a right one.
EX2_SORTED = """fn longueurs(mots: DStream<Text>) -> DStream<usize> {
    mots.map(|w| w.chars().count()).transform(|rdd| rdd.sort_by(|n| *n))
}"""

# Spark's efficient form: words that leave the window stay, at 0.
EX3_INVERSE = """fn comptes_glissants(paires: DStream<(Text, i64)>, fenetre: Duration, glissement: Duration) -> DStream<(Text, i64)> {
    paires.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, fenetre, glissement)
}"""

EX3_WINDOW_THEN_REDUCE = """fn comptes_glissants(paires: DStream<(Text, i64)>, fenetre: Duration, glissement: Duration) -> DStream<(Text, i64)> {
    paires.window(fenetre, glissement).reduce_by_key(|a, b| a + b)
}"""

# The lab's positional mistake, in Rust: window and slide swapped.
EX3_SWAPPED = """fn comptes_glissants(paires: DStream<(Text, i64)>, fenetre: Duration, glissement: Duration) -> DStream<(Text, i64)> {
    paires.reduce_by_key_and_window(|a, b| a + b, glissement, fenetre)
}"""

# Counts built in a HashMap: the order of a batch changes from run to run.
EX5_HASHMAP = """fn comptes_des_messages(messages: DStream<KafkaRecord>) -> DStream<(Text, i64)> {
    messages.transform(|rdd| {
        let mut comptes: std::collections::HashMap<Text, i64> = std::collections::HashMap::new();
        for message in rdd.collect() {
            for mot in message.value.split(' ') {
                *comptes.entry(mot).or_insert(0) += 1;
            }
        }
        Rdd::new(comptes.into_iter().collect())
    })
}"""

# As in PySpark: `split(" ")`, and the batch sorted by word.
EX5_PYSPARK_SORTED = """fn comptes_des_messages(messages: DStream<KafkaRecord>) -> DStream<(Text, i64)> {
    messages
        .flat_map(|m| m.value.split(" "))
        .map(|w| (w, 1))
        .reduce_by_key(|a, b| a + b)
        .transform(|rdd| rdd.sort_by(|(mot, _)| mot.clone()))
}"""

# Counts the key's words too.
EX5_WITH_KEYS = """fn comptes_des_messages(messages: DStream<KafkaRecord>) -> DStream<(Text, i64)> {
    messages
        .flat_map(|m| {
            let mut mots: Vec<Text> = m.value.split(' ').collect();
            if let Some(cle) = m.key { mots.extend(cle.split(' ')); }
            mots
        })
        .map(|w| (w, 1))
        .reduce_by_key(|a, b| a + b)
}"""

# student: (notebook index, {answer cell: source}, {test cell: points a fair teacher gives})
# Exercise 4, the way a student writes it from the lab's save_results: `count() > 0` for
# `isEmpty`, the error printed rather than a panic.
EX4_COUNT = """fn sauvegarder_resultats(comptes: &DStream<(Text, i64)>, prefixe: String) {
    comptes.foreach_rdd_with_time(move |rdd, temps| {
        if rdd.count() > 0 {
            let dossier = format!("{}-{}", prefixe, temps.as_millis());
            if let Err(e) = rdd.save_as_text_file(&dossier) {
                println!("erreur d'écriture dans {dossier} : {e}");
            }
        }
    });
}"""

# The lab's int(time.time()): directories named by the wall clock, not by the batch.
EX4_WALL_CLOCK = """fn sauvegarder_resultats(comptes: &DStream<(Text, i64)>, prefixe: String) {
    comptes.foreach_rdd(move |rdd| {
        if !rdd.is_empty() {
            let maintenant = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            rdd.save_as_text_file(format!("{prefixe}-{maintenant}")).unwrap();
        }
    });
}"""

# Spark's saveAsTextFiles: right names, but empty batches get a directory too.
EX4_EVERY_BATCH = """fn sauvegarder_resultats(comptes: &DStream<(Text, i64)>, prefixe: String) {
    comptes.save_as_text_files(&prefixe, "");
}"""

CASES = {
    "f01-q3-xorshift": (0, {"q3-reponse": Q3_XORSHIFT}, {"q3-tests": 3}),
    "f02-q3-is-empty": (0, {"q3-reponse": Q3_IS_EMPTY}, {"q3-tests": 0}),
    "f03-q3-stride": (0, {"q3-reponse": Q3_STRIDE}, {"q3-tests": 0}),
    "f04-q3-biased": (0, {"q3-reponse": Q3_BIASED}, {"q3-tests": 0}),
    "f05-ex1-any": (1, {"ex1-reponse": EX1_ANY}, {"ex1-tests": 2}),
    "f06-ex1-lowercased": (1, {"ex1-reponse": EX1_LOWERCASED}, {"ex1-tests": 0}),
    "f07-ex2-bytes": (1, {"ex2-reponse": EX2_BYTES}, {"ex2-tests": 0}),
    "f08-ex2-sorted": (1, {"ex2-reponse": EX2_SORTED}, {"ex2-tests": 2}),
    "f09-ex3-inverse": (1, {"ex3-reponse": EX3_INVERSE}, {"ex3-tests": 3}),
    "f10-ex3-window-reduce": (1, {"ex3-reponse": EX3_WINDOW_THEN_REDUCE}, {"ex3-tests": 3}),
    "f11-ex3-swapped": (1, {"ex3-reponse": EX3_SWAPPED}, {"ex3-tests": 0}),
    "f12-ex5-hashmap": (1, {"ex5-reponse": EX5_HASHMAP}, {"ex5-tests": 2}),
    "f13-ex5-pyspark-sorted": (1, {"ex5-reponse": EX5_PYSPARK_SORTED}, {"ex5-tests": 2}),
    "f14-ex5-with-keys": (1, {"ex5-reponse": EX5_WITH_KEYS}, {"ex5-tests": 0}),
    "f15-ex4-count": (1, {"ex4-reponse": EX4_COUNT}, {"ex4-tests": 2}),
    "f16-ex4-wall-clock": (1, {"ex4-reponse": EX4_WALL_CLOCK}, {"ex4-tests": 0}),
    "f17-ex4-every-batch": (1, {"ex4-reponse": EX4_EVERY_BATCH}, {"ex4-tests": 0}),
}
