# Sourced by the other scripts: puts the project's tools first on PATH and keeps every
# tool from reaching out to anything but the package registries.
# shellcheck shell=bash

PORTCULLIS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PORTCULLIS_ROOT
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

# node_modules/.bin first: Node 22 for wrangler, binaryen 132's wasm-opt (never Debian's
# 108, whose output breaks the widget), and esbuild.
export PATH="$PORTCULLIS_ROOT/node_modules/.bin:$CARGO_BIN:$PATH"

export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
export DO_NOT_TRACK=1
export WRANGLER_HIDE_BANNER=true
export CLOUDFLARE_CF_FETCH_ENABLED=false
export NEXT_TELEMETRY_DISABLED=1

# worker-build uses these instead of downloading its own copies.
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
export WASM_OPT_BIN="$PORTCULLIS_ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PORTCULLIS_ROOT/node_modules/.bin/esbuild"

# The version of a package as resolved in Cargo.lock.
locked_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$PORTCULLIS_ROOT/Cargo.lock"
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
