#!/usr/bin/env bash
# The production paths, from clean directories (docs/production.md):
#   1. npm pack (its prepare builds) → npm install -g <tarball> into an empty prefix → `conduit serve` in an empty
#      directory: /readyz 200, the console served, one process, SIGTERM exits 0;
#   2. the built checkout with `npm ci --omit=dev`: installs without TypeScript or vite and starts the same way.
# The committed tree is used (git archive HEAD), with this checkout's node_modules for the build only.
#   bash .ci/production-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/conduit-install-XXXXXX")"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf -- '-- %s\n' "$*"; }
fail() {
  echo "production-install: $*" >&2
  [ -f "$work/serve.log" ] && sed 's/^/  serve: /' "$work/serve.log" >&2
  exit 1
}

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# Starts `$@ serve` in an empty directory, checks it, stops it with SIGTERM.
check_serves() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  local port
  port="$(free_port)"
  (cd "$dir" && exec env -u npm_lifecycle_event PORT="$port" LOG_LEVEL=warn "$@" serve >"$work/serve.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "conduit serve exited"
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || fail "/readyz is not 200"
  curl -fsS "http://127.0.0.1:$port/" | grep -q '<div id="root">' || fail "the console is not served at /"
  [ -z "$(pgrep -P "$pid" || true)" ] || fail "conduit serve has child processes: $(pgrep -P "$pid" | tr '\n' ' ')"
  grep -q "Console: *http://127.0.0.1:$port/" "$work/serve.log" || fail "the console URL was not printed"
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  pid=""
  [ "$code" = 0 ] || fail "exit code $code after SIGTERM"
  echo "serves: /readyz 200, console, one process, SIGTERM → 0"
}

step "a clean copy of the committed tree, built by npm pack"
mkdir -p "$work/src"
git -C "$root" archive HEAD | tar -x -C "$work/src"
ln -s "$root/node_modules" "$work/src/node_modules"
(cd "$work/src" && npm pack --pack-destination "$work" --loglevel=error >/dev/null)
tgz="$(ls "$work"/conduit-*.tgz)"
listing="$(tar -tzf "$tgz")"
grep -qx 'package/dist/cli/index.js' <<<"$listing" || fail "the package has no dist/cli/index.js"
grep -qx 'package/dist/web/index.html' <<<"$listing" || fail "the package has no console (dist/web)"
! grep -q '^package/src/' <<<"$listing" || fail "the package ships src/"
echo "$(basename "$tgz"): $(wc -l <<<"$listing") files, $(du -k "$tgz" | cut -f1) kB"

step "npm install -g into an empty prefix (runtime dependencies only)"
npm install -g --prefix "$work/prefix" --no-audit --no-fund --prefer-offline --loglevel=error "$tgz" >/dev/null
installed="$work/prefix/lib/node_modules/conduit"
for dev in typescript tsx vite esbuild vitest; do
  [ ! -e "$installed/node_modules/$dev" ] || fail "dev dependency $dev was installed"
done
"$work/prefix/bin/conduit" --version
check_serves "$work/run-global" "$work/prefix/bin/conduit"

step "the built checkout with npm ci --omit=dev (prepare keeps the build; no TypeScript, no vite)"
cp -a "$work/src" "$work/omit"
rm "$work/omit/node_modules"
(cd "$work/omit" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
[ ! -e "$work/omit/node_modules/typescript" ] || fail "typescript was installed"
check_serves "$work/run-omit" node "$work/omit/bin/conduit.js"
