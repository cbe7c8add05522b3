#!/usr/bin/env bash
# Installs the Debian packages snag needs to build, run and test, only those missing.
# Idempotent; safe to run on every `make run` / `make test`. Needs root (or sudo) only
# when something is missing.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
    libmicrohttpd-dev libcjson-dev libsqlite3-dev zlib1g-dev libbrotli-dev libzstd-dev
    libsodium-dev libssl-dev libpq-dev libcmocka-dev liboath-dev libqrencode-dev libwslay-dev
    libcurl4-openssl-dev)
TEST_PKGS=(curl zstd postgresql nodejs npm python3-sentry-sdk librsvg2-bin zbar-tools chromium)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# node/npm may come from outside Debian's packages (e.g. a preinstalled toolchain).
if command -v node >/dev/null && command -v npm >/dev/null; then
    filtered=()
    for p in "${missing[@]}"; do
        case "$p" in nodejs|npm) ;; *) filtered+=("$p") ;; esac
    done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
