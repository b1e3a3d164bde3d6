#!/usr/bin/env bash
# Installs the Debian packages the build needs, when they are missing, plus any named as arguments
# (e.g. `wrk` for the benchmark, `chromium` for the browser tests, `docker-compose` and `systemd` for the
# deployment file tests), each only when it is not installed yet. Prints nothing when all is there.
set -euo pipefail

# Only Debian and Ubuntu are set up by this script. Elsewhere it says what the build needs and leaves the
# installing to you: macOS has SQLite in its SDK already (the extra tools of the tests are Debian's).
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  if [ "$(uname -s)" = Darwin ]; then
    (($#)) && echo "Not on Debian: install these yourself if a test needs them: $*" >&2
    exit 0
  fi
  if [ ! -f /usr/include/sqlite3.h ]; then
    echo "The build needs SQLite's headers (/usr/include/sqlite3.h): install your system's SQLite development package." >&2
    exit 1
  fi
  (($#)) && echo "Not on Debian: install these yourself if a test needs them: $*" >&2
  exit 0
fi

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for package in "$@"; do
  installed "$package" || missing+=("$package")
done
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
((${#missing[@]})) || exit 0

echo "Installing missing system packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
