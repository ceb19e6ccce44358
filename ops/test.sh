#!/usr/bin/env bash
# Runs every check of the marketplace: formatting, lints with warnings denied, and every test of the
# workspace. Fails loudly on the first failure; skips nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

command -v cargo >/dev/null || { echo "cargo is not installed: install the Rust toolchain first" >&2; exit 1; }

step "formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (cargo clippy, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "tests (cargo test --workspace)"
cargo test --workspace --no-fail-fast

step "all checks passed"
