#!/usr/bin/env bash
# `make demo`: the whole loop in a minute, on the embedded default with a local Stripe-compatible
# server (localstripe, a separate GPL process, test tooling only): start both, walk the loop, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
STRIPE_PORT=${STRIPE_PORT:-8421}
export STRIPE_SECRET_KEY=sk_test_demo STRIPE_WEBHOOK_SECRET=whsec_demo_only
export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT}"
.venv/bin/python -P tests/plugins/localstripe_server.py "$STRIPE_PORT" >/dev/null 2>&1 &
stripe_pid=$!
.venv/bin/gunicorn --bind 127.0.0.1:8000 --workers 2 --threads 4 wsgi:app >"${DEMO_LOG:-/dev/null}" 2>&1 &
server_pid=$!
trap 'kill $stripe_pid $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:8000/healthz" >/dev/null && curl -s -o /dev/null "$STRIPE_API_BASE/v1/balance" && break
  sleep 0.1
done
curl -sf -X POST "$STRIPE_API_BASE/_config/webhooks/rxloop" \
  -d url=http://127.0.0.1:8000/api/v1/payments/stripe/webhook -d secret="$STRIPE_WEBHOOK_SECRET" >/dev/null
.venv/bin/flask --app wsgi demo-loop --base-url http://127.0.0.1:8000 --stripe-api-base "$STRIPE_API_BASE"
