#!/usr/bin/env bash
# Installs the Debian packages the build needs, when they are missing, plus any named as arguments
# (e.g. `wrk` for the benchmark). Prints nothing when all is there.
set -euo pipefail

missing=("$@")
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
