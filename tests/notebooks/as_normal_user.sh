#!/usr/bin/env bash
# Runs a command as a normal (non-root) user, for the tests that try the kit the way a teacher
# without root would use it:
#
#   tests/notebooks/as_normal_user.sh USER COMMAND [ARGS...]
#
# Run as root. USER is created if missing (a home in /home). The machine's Rust toolchain and
# Python are root's (~/.rustup, ~/.cargo, ~/.pyenv under /root, which other users cannot
# enter): the command runs in a mount namespace of its own where /root holds only those three
# folders, read-only, at their usual paths; nothing on the machine changes. Everything else the
# command does (its virtual environment, kernelspec, caches) lands in USER's home.
set -euo pipefail
user="$1"
shift
[ "$(id -u)" = 0 ] || { echo "as_normal_user.sh runs as root" >&2; exit 2; }
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home="$(getent passwd "$user" | cut -d: -f6)"
path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# root's cargo, and the Python that root's `python3` runs (not pyenv's shims, which need root's
# pyenv settings).
python="$(python3 -c 'import sys; print(sys.base_prefix)' 2>/dev/null || true)"
for bin in "$python/bin" /root/.cargo/bin; do
  [ -n "$bin" ] && [ -d "$bin" ] && path="$bin:$path"
done
# The machine's settings for reaching the package registries (pip's index, wheels and
# certificates, proxies) are the user's too.
passed=()
while IFS= read -r name; do
  passed+=("$name=${!name}")
done < <(compgen -e | grep -E '^(PIP_|SSL_CERT_|REQUESTS_CA_BUNDLE$|CURL_CA_BUNDLE$|NODE_EXTRA_CA_CERTS$|(HTTP|HTTPS|NO|ALL)_PROXY$|(http|https|no|all)_proxy$|TZ$|TP_COURSE_DIR$)')
exec unshare --mount --propagation private bash -c '
  set -euo pipefail
  user="$1" home="$2" path="$3" count="$4"
  shift 4
  passed=("${@:1:$count}")
  shift "$count"
  stash="$(mktemp -d /run/tp-toolchain.XXXXXX)"
  kept=()
  for d in .rustup .cargo .pyenv; do
    [ -d "/root/$d" ] || continue
    mkdir "$stash/$d"
    mount --bind "/root/$d" "$stash/$d"
    kept+=("$d")
  done
  mount -t tmpfs -o mode=755 tmpfs /root
  for d in "${kept[@]}"; do
    mkdir "/root/$d"
    mount --bind "$stash/$d" "/root/$d"
    mount -o remount,bind,ro "/root/$d"
  done
  cd "$home"
  exec setpriv --reuid="$user" --regid="$user" --init-groups \
    env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 PATH="$path" \
      RUSTUP_HOME=/root/.rustup "${passed[@]}" "$@"
' bash "$user" "$home" "$path" "${#passed[@]}" "${passed[@]}" "$@"
