#!/usr/bin/env bash
# `make demo`: the whole loop in a minute, on the embedded default with a local Stripe-compatible
# server (localstripe, a separate GPL process, test tooling only): start both, walk the loop, stop.
# It talks only to the servers it started: their ports (PORT, STRIPE_PORT; free ones when unset) must be
# free, and the demo stops if either process is gone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-$($PY scripts/ports.py pick)}
STRIPE_PORT=${STRIPE_PORT:-$($PY scripts/ports.py pick)}
$PY scripts/ports.py free PORT "$PORT"
$PY scripts/ports.py free STRIPE_PORT "$STRIPE_PORT"
export STRIPE_SECRET_KEY=sk_test_demo STRIPE_WEBHOOK_SECRET=whsec_demo_only
export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT}"
BASE_URL="http://127.0.0.1:${PORT}"
$PY -P tests/plugins/localstripe_server.py "$STRIPE_PORT" >/dev/null 2>&1 &
stripe_pid=$!
.venv/bin/gunicorn --bind "127.0.0.1:${PORT}" --workers 2 --threads 4 wsgi:app >"${DEMO_LOG:-/dev/null}" 2>&1 &
server_pid=$!
trap 'kill $stripe_pid $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  for pid in $stripe_pid $server_pid; do
    kill -0 "$pid" 2>/dev/null || { echo "rxloop: the demo's server or localstripe did not start" >&2; exit 1; }
  done
  curl -sf "$BASE_URL/healthz" >/dev/null && curl -s -o /dev/null "$STRIPE_API_BASE/v1/balance" && break
  sleep 0.1
done
curl -sf -X POST "$STRIPE_API_BASE/_config/webhooks/rxloop" \
  -d url="$BASE_URL/api/v1/payments/stripe/webhook" -d secret="$STRIPE_WEBHOOK_SECRET" >/dev/null
.venv/bin/flask --app wsgi demo-loop --base-url "$BASE_URL" --stripe-api-base "$STRIPE_API_BASE"
