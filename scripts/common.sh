# Shared by the scripts in this folder: paths, messages, and the installs the lab needs, each
# done only when missing and kept where later runs find them.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# Where installs live between runs (not in the clone: a fresh clone reuses them).
LAB_HOME="${TP_LAB_HOME:-$HOME/.local/share/tp-spark-streaming}"
VENV="$LAB_HOME/venv"
EVCXR_VERSION=0.22.0
TANSU_VERSION=0.6.0
export LAB_HOME VENV

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# cargo installed by rustup lives in ~/.cargo/bin, which a non-login shell may not have on PATH;
# the Rust kernel also needs cargo on the PATH of the Jupyter server that starts it.
if [ -d "$HOME/.cargo/bin" ]; then
  case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac
fi

require_cargo() {
  command -v cargo >/dev/null 2>&1 \
    || die "cargo is not installed. Install Rust with rustup (https://rustup.rs), then run this again."
}

# Whether NAME VERSION, installed by `cargo install`, is on the PATH: the binary there, and
# cargo's record of it beside its folder (CARGO_HOME/.crates.toml). So an install made by another
# account's cargo (e.g. a machine-wide ~/.cargo/bin on the PATH) is reused too.
installed_pinned() {
  local name="$1" version="$2" bin
  bin="$(command -v "$name" 2>/dev/null)" || return 1
  grep -q "^\"$name $version " "$(dirname "$bin")/../.crates.toml" 2>/dev/null
}

# `cargo install NAME --version VERSION --locked [EXTRA...]` into ~/.cargo/bin, unless that
# version is there already (both programs below take 10 to 30 minutes to build on 2 cores).
cargo_install_pinned() {
  local name="$1" version="$2" what="$3" how_long="$4"
  shift 4
  require_cargo
  if installed_pinned "$name" "$version"; then
    return
  fi
  say "Installing $name $version, $what"
  echo "    This compiles $how_long, once per machine."
  echo "    Cargo shows its progress below."
  cargo install "$name" --version "$version" --locked "$@"
}

# evcxr_jupyter, the Rust kernel for Jupyter, at the pinned version.
ensure_evcxr() {
  cargo_install_pinned evcxr_jupyter "$EVCXR_VERSION" "the Rust kernel for Jupyter" \
    "about 280 crates: 9 to 12 minutes on 2 cores"
}

# What only later sections need (the kafka feature in evcxr's cache and Tansu for the Kafka
# exercise, PySpark and the Spark Connect client for notebook 03) is prepared after the lab is
# open, by scripts/lib/prepare_later, in the background: one at a time (BACKGROUND_LOCK is held
# while it runs), at low priority, logged to BACKGROUND_LOG.
BACKGROUND_LOG="$LAB_HOME/logs/background.log"
BACKGROUND_LOCK="$LAB_HOME/background.lock"
export BACKGROUND_LOG BACKGROUND_LOCK

# Whether the background preparation runs now (it holds the lock).
background_running() {
  [ -e "$BACKGROUND_LOCK" ] || return 1
  ! flock -n "$BACKGROUND_LOCK" true 2>/dev/null
}

# How many crates the background preparation's log says its current run compiled so far (the
# log keeps earlier runs: counting starts again at each run's first line).
background_compiled() {
  [ -f "$BACKGROUND_LOG" ] || { echo 0; return; }
  awk '/background preparation started/ { n = 0 } /^ *Compiling / { n++ } END { print n + 0 }' "$BACKGROUND_LOG"
}

# When the background preparation started, as HH:MM.
background_started() {
  date -d "@$(stat -c %Y "$BACKGROUND_LOCK" 2>/dev/null || date +%s)" +%H:%M
}

# Starts the background preparation unless it runs already or has nothing to do; says so, and
# names its log.
start_background() {
  local notebooks="$1"
  if installed_pinned tansu "$TANSU_VERSION" && [ -f "$(kafka_warm_marker)" ] && [ -f "$(spark_warm_marker)" ]; then
    return
  fi
  mkdir -p "$(dirname "$BACKGROUND_LOG")"
  if ! background_running; then
    # setsid: Ctrl+C on the lab does not interrupt the build; nice (and ionice where there is
    # one): the notebooks' cells keep priority over it.
    local idle=()
    command -v ionice >/dev/null 2>&1 && ionice -c 3 true 2>/dev/null && idle=(ionice -c 3)
    setsid nice -n 19 "${idle[@]}" "$ROOT/scripts/lib/prepare_later" "$notebooks" >>"$BACKGROUND_LOG" 2>&1 </dev/null &
  fi
  if installed_pinned tansu "$TANSU_VERSION"; then
    say "Preparing the Kafka exercise and notebook 03 (Spark) in the background (a few minutes)"
  else
    say "Preparing the Kafka exercise and notebook 03 (Spark) in the background (15 to 35 minutes on 2 cores, once per machine)"
  fi
  echo "    Its progress: tail -f $BACKGROUND_LOG"
}

# The file that says a warm-up (a mode of warm_dep.py: kafka, spark) put the dependencies this
# clone pins, as FILES say, in evcxr's cache (the crates themselves recompile in seconds when they
# change; their dependencies take the time).
warm_marker() {
  local mode="$1" sum
  shift
  sum="$( (cat "$@" 2>/dev/null || true) | sha256sum | cut -c1-16)"
  echo "$LAB_HOME/evcxr/$mode-warm.$sum"
}
# The kafka feature of dstream (the Kafka section), and notebook 03's `:dep spark-lab` (the Spark
# Connect client, about 160 crates).
kafka_warm_marker() { warm_marker kafka "$ROOT/crates/dstream/Cargo.toml" "$ROOT/Cargo.lock"; }
spark_warm_marker() { warm_marker spark "$ROOT/crates/spark-lab/Cargo.toml" "$ROOT/crates/dstream/Cargo.toml" "$ROOT/Cargo.lock"; }

# Runs warm_dep.py in MODE on the notebooks of NOTEBOOK_DIR, then records it (see warm_marker).
warm_recorded() {
  local mode="$1" notebooks="$2"
  "$VENV/bin/python" "$ROOT/scripts/lib/warm_dep.py" "$notebooks" "$mode" || return 1
  rm -f "$LAB_HOME/evcxr/$mode"-warm.*
  touch "$("${mode}_warm_marker")"
}

# What notebook 03 needs: PySpark (the server), protoc, and the Spark Connect client (crates/
# spark-lab) in evcxr's compilation cache, so that the notebook's `:dep` takes seconds.
# (Explicit returns: the background preparation calls it as an `if` condition, where errexit is off.)
prepare_spark() {
  local notebooks="$1"
  ensure_pyspark || return 1
  [ -f "$(spark_warm_marker)" ] && return
  ensure_protoc || return 1
  say "Warming the compilation cache for notebook 03 (:dep spark-lab, the Spark Connect client: 5 to 10 minutes)"
  warm_recorded spark "$notebooks"
}

# protoc, which the Spark Connect client's build needs (it compiles Spark's protocol files):
# Debian's protobuf-compiler, installed as root; otherwise an error that says how.
ensure_protoc() {
  command -v protoc >/dev/null 2>&1 && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing protobuf-compiler (protoc), which the Spark Connect client's build needs"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null; }
  fi
  command -v protoc >/dev/null 2>&1 \
    || die "the Spark Connect client needs protoc to build, and it is not installed: ask for it (Debian: sudo apt-get install protobuf-compiler), then run this again."
}

# Tansu, a Kafka-protocol broker written in Rust, at the pinned version, with the SQLite storage
# engine (its default features have no storage that keeps data). If the background preparation
# is building it, waits for that build, showing its progress, rather than starting another.
ensure_tansu() {
  installed_pinned tansu "$TANSU_VERSION" && return
  if background_running; then
    say "Tansu is being built in the background since $(background_started); waiting for it (log: $BACKGROUND_LOG)"
    while background_running; do
      printf '    %s crates compiled so far; %s\n' "$(background_compiled)" \
        "$(grep '^ *Compiling ' "$BACKGROUND_LOG" 2>/dev/null | tail -n 1 | sed 's/^ *//')"
      sleep "${TP_WAIT_POLL:-20}"
    done
    installed_pinned tansu "$TANSU_VERSION" && return
    echo "    The background build did not finish (see its log); building here."
  fi
  install_tansu
}

install_tansu() {
  cargo_install_pinned tansu "$TANSU_VERSION" "a Kafka-protocol broker, for the Kafka exercise" \
    "about 410 crates: 15 to 30 minutes on 2 cores" --features dynostore,libsql
}

# PySpark, pinned, in a virtual environment of its own (its 520 MB stay out of the lab's): the
# Spark Connect server of scripts/spark, and PySpark's word count in scripts/bench.
PYSPARK_VERSION=4.3.0
SPARK_VENV="${TP_SPARK_VENV:-$LAB_HOME/spark-venv}"
ensure_pyspark() {
  if "$SPARK_VENV/bin/python" -c "import sys, pyspark; sys.exit(pyspark.__version__ != '$PYSPARK_VERSION')" 2>/dev/null; then
    return
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed; install Python 3.10 or newer."
  say "Installing PySpark $PYSPARK_VERSION in $SPARK_VENV (about 520 MB, about a minute; once per machine)"
  [ -x "$SPARK_VENV/bin/python" ] || python3 -m venv "$SPARK_VENV" || die "cannot create a virtual environment (Debian: apt-get install python3-venv)"
  "$SPARK_VENV/bin/pip" install --disable-pip-version-check "pyspark==$PYSPARK_VERSION"
}

# A Python virtual environment with the pinned packages of scripts/requirements.txt.
ensure_python() {
  local want have
  want="$(sha256sum "$ROOT/scripts/requirements.txt" | cut -d' ' -f1)"
  have="$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)"
  if [ "$want" = "$have" ] && [ -x "$VENV/bin/jupyter" ]; then
    return
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed; install Python 3.10 or newer."
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "python3 is $(python3 --version 2>&1 | cut -d' ' -f2); JupyterLab $(grep -o 'jupyterlab==.*' "$ROOT/scripts/requirements.txt" | cut -d= -f3) needs Python 3.10 or newer."
  say "Installing JupyterLab, nbclient, nbgrader (pinned) in $VENV (about a minute)"
  # An environment left by an older Python (or an interrupted run) is made again.
  if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    rm -rf "$VENV"
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || die "cannot create a virtual environment (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements.txt"
  echo "$want" > "$VENV/.requirements.sha256"
}

# The Rust kernelspec, pointing the kernel at our evcxr configuration: a compilation cache for
# dependencies, and cells compiled without optimisation (`:opt 0`), which halves the wait on each
# cell; the lab's data is small enough that running unoptimised code does not show.
ensure_kernel() {
  mkdir -p "$LAB_HOME/evcxr"
  cp "$ROOT/scripts/evcxr/init.evcxr" "$ROOT/scripts/evcxr/evcxr.toml" "$LAB_HOME/evcxr/"
  local spec="$HOME/.local/share/jupyter/kernels/rust/kernel.json"
  [ -f "$spec" ] || evcxr_jupyter --install >/dev/null
  "$VENV/bin/python" - "$spec" "$LAB_HOME/evcxr" <<'PY'
import json, sys
path, config = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
if spec.get("env", {}).get("EVCXR_CONFIG_DIR") != config:
    spec.setdefault("env", {})["EVCXR_CONFIG_DIR"] = config
    json.dump(spec, open(path, "w"), indent=2)
PY
}

# Headless Chromium (Debian's) and playwright-core (pinned by tests/browser/package-lock.json)
# for the browser test.
ensure_browser() {
  if ! command -v chromium >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "the browser test needs Chromium: run 'sudo apt-get install chromium', then this again."
    say "Installing Debian's Chromium for the browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  command -v node >/dev/null 2>&1 || die "the browser test needs Node.js and npm (Debian: apt-get install nodejs npm)."
  if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
    say "Installing playwright-core for the browser test"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --silent)
  fi
}

# bubblewrap, the sandbox each graded notebook runs in (grading/sandbox.py). Installed when we
# can (as root); otherwise grading stops and says how to install it.
ensure_bubblewrap() {
  command -v bwrap >/dev/null 2>&1 && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing bubblewrap, the sandbox that graded notebooks run in"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  fi
}

# The nbgrader course folder, with a config that loads the project's grading/nbgrader_config.py.
COURSE_DIR="${TP_COURSE_DIR:-$ROOT/grading/course}"
export TP_LAB_ROOT="$ROOT" TP_COURSE_DIR="$COURSE_DIR"
ensure_course() {
  mkdir -p "$COURSE_DIR"
  cat > "$COURSE_DIR/nbgrader_config.py" <<PY
# Written by scripts/common.sh: the project's configuration, for this course folder.
import os
os.environ.setdefault("TP_LAB_ROOT", "$ROOT")
os.environ.setdefault("TP_COURSE_DIR", "$COURSE_DIR")
exec(compile(open("$ROOT/grading/nbgrader_config.py").read(), "$ROOT/grading/nbgrader_config.py", "exec"))
PY
  # nbgrader runs alembic for its gradebook: the virtual environment's bin must be on PATH.
  case ":$PATH:" in *":$VENV/bin:"*) ;; *) export PATH="$VENV/bin:$PATH" ;; esac
}

# JupyterLab's defaults for the lab: no prompt about fetching Jupyter news or checking for
# updates (the machines have no internet, and students need not see it).
ensure_lab_settings() {
  local dir="$VENV/share/jupyter/lab/settings"
  mkdir -p "$dir"
  cat > "$dir/overrides.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false",
    "checkForUpdates": false
  }
}
JSON
}

# What the notebooks need before the lab opens (Tansu, for the Kafka exercise only, is
# prepared in the background: see start_background).
ensure_lab() {
  if installed_pinned evcxr_jupyter "$EVCXR_VERSION"; then
    ensure_python
  else
    # On a fresh machine, the Python packages download and install while evcxr_jupyter compiles.
    mkdir -p "$LAB_HOME/logs"
    ensure_python >"$LAB_HOME/logs/venv.log" 2>&1 &
    local venv=$!
    ensure_evcxr
    if ! wait "$venv"; then
      cat "$LAB_HOME/logs/venv.log" >&2
      die "the Python virtual environment could not be made (its output is above)"
    fi
    cat "$LAB_HOME/logs/venv.log"
  fi
  ensure_kernel
  ensure_lab_settings
}
