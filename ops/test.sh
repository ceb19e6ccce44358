#!/usr/bin/env bash
# Runs every check of the marketplace: formatting, lints with warnings denied, and every test of the
# workspace, engine rules to system tests. Starts what the tests need that is not running (the
# machine's PostgreSQL, Redis and NATS), installs what is missing, and fails loudly: nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'ops/test.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo is not installed: install the Rust toolchain first"

step "services the tests need"
# PostgreSQL server binaries: the system tests also run throwaway clusters of their own (initdb,
# pg_ctl as the postgres user), so the server package must be installed even where one is running.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v pg_isready >/dev/null; then
  [ "$(id -u)" = 0 ] || fail "PostgreSQL server binaries are missing and installing them needs root"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
command -v runuser >/dev/null || fail "runuser (util-linux) is needed to run PostgreSQL as its own user"
# The disk-full test mounts a small tmpfs in a mount namespace of its own (root, util-linux).
command -v unshare >/dev/null || fail "unshare (util-linux) is needed for the disk-full test"
[ "$(id -u)" = 0 ] || fail "the disk-full test mounts a small file system and needs root"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  cluster_version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$cluster_version" ] || fail "no PostgreSQL cluster is configured under /etc/postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || fail "PostgreSQL did not come up on 127.0.0.1:5432"
psql -X -q -h 127.0.0.1 -U postgres -d postgres -c 'SELECT 1' >/dev/null \
  || fail "cannot connect to PostgreSQL as postgres on 127.0.0.1:5432 (trust authentication expected)"
echo "PostgreSQL is up on 127.0.0.1:5432"

# Redis: the owner and edge node tests share the machine's Redis, each under a namespace of its own.
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  [ "$(id -u)" = 0 ] || fail "Redis is missing and installing it needs root"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 60); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ] || fail "Redis did not come up on 127.0.0.1:6379"
echo "Redis is up on 127.0.0.1:6379"

# NATS with JetStream: the edge and market tests use the machine's server (each test a market of
# its own); the failover tests start three-server clusters of their own with the same binary.
if ! command -v nats-server >/dev/null; then
  [ "$(id -u)" = 0 ] || fail "nats-server is missing and installing it needs root"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
fi
command -v nats-server >/dev/null || fail "nats-server did not install"
nats_info() { timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222 && head -n 1 <&3' 2>/dev/null; }
if ! nats_info | grep -q '^INFO'; then
  echo "NATS is not answering on 127.0.0.1:4222; starting it with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 60); do nats_info | grep -q '^INFO' && break; sleep 0.5; done
fi
nats_info | grep -q '"jetstream":true' || fail "NATS on 127.0.0.1:4222 does not answer with JetStream enabled"
echo "NATS with JetStream is up on 127.0.0.1:4222"

step "OCDS validator's tools (python3 with jsonschema)"
# The publication tests validate every release and record package against the OCDS schemas kept
# in ops/ocds/schema (ops/ocds/validate.py); nothing is fetched while they run.
command -v python3 >/dev/null || fail "python3 is needed to validate OCDS packages"
if ! python3 -c 'import jsonschema, referencing' 2>/dev/null; then
  echo "installing jsonschema for the OCDS validator"
  python3 -m pip install -q 'jsonschema>=4.18' || fail "pip could not install jsonschema"
fi
python3 -c 'import jsonschema, referencing' || fail "jsonschema is not importable"
python3 ops/ocds/validate.py 2>/dev/null && fail "the OCDS validator accepted no arguments"
echo "OCDS validator ready ($(python3 -c 'import importlib.metadata as m; print("jsonschema", m.version("jsonschema"))'))"

step "browser tests' tools (Chromium, CJK fonts, playwright-core)"
command -v node >/dev/null && command -v npm >/dev/null || fail "Node.js and npm are needed for the storefront's browser tests"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-zenhei)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "installing ${missing[*]} needs root"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x /usr/bin/chromium ] || fail "Chromium did not install at /usr/bin/chromium"
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  npm ci --prefix tests/e2e --no-audit --no-fund >/dev/null || fail "npm could not install playwright-core"
fi

step "formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (cargo clippy, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "tests (cargo test --workspace)"
cargo test --workspace --no-fail-fast

step "storefront in headless Chromium (tests/e2e)"
cargo build -p gateway
MARKETPLACE_BIN=target/debug/gateway node tests/e2e/run.mjs

step "all checks passed"
