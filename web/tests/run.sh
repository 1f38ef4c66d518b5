#!/usr/bin/env bash
# The real-browser tests of the web app: Chromium (CHROMIUM, default /usr/bin/chromium) against
# kdcd/kdc (KDCD, KDC, KDC_SYNTH; default target/debug/…). Needs `npm ci` in web/ first.
# Exits non-zero on any failure. Screenshots: web/tests/out/. Extra arguments go to node before
# the file, e.g. --test-name-pattern=login.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf tests/out
exec node --test --test-concurrency=1 "$@" tests/app.test.mjs
