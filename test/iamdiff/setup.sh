#!/bin/sh
# Installs the pinned differential-test oracle (CI runs this before go test).
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
