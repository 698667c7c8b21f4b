#!/usr/bin/env bash
# Prints pulldoctor's collection time (waves, calls, wall) at 0 and 50 ms injected latency,
# next to the seed's manual aws CLI procedure through the same proxy, and the ratio.
# Needs moto_server and aws on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
go run ./bench/collect -n "${N:-5}" -manual-n "${MANUAL_N:-3}" -latency "${LATENCY:-0,50ms}"
