#!/usr/bin/env bash
# `make run`: serve rxloop on 127.0.0.1:$PORT (8000). Unless Stripe is configured (STRIPE_SECRET_KEY), it also
# starts localstripe on 127.0.0.1:$STRIPE_PORT (8421) as its own process (GPL test tooling, never imported) and
# registers rxloop's webhook there, so a patient can pay by test card; the background jobs run beside it
# (scripts/run_jobs.py: reconcile, expiry). All stop together (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
STRIPE_PORT=${STRIPE_PORT:-8421}
PY=.venv/bin/python
$PY scripts/ports.py free PORT "$PORT"
stripe_pid=
jobs_pid=
trap 'kill $stripe_pid $jobs_pid 2>/dev/null || true' EXIT
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  $PY scripts/ports.py free STRIPE_PORT "$STRIPE_PORT"
  export STRIPE_SECRET_KEY=sk_test_local STRIPE_WEBHOOK_SECRET=whsec_local_only
  export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT}"
  $PY -P tests/plugins/localstripe_server.py "$STRIPE_PORT" >/dev/null 2>&1 &
  stripe_pid=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$STRIPE_API_BASE/v1/balance" && break
    kill -0 "$stripe_pid" 2>/dev/null || { echo "rxloop: localstripe did not start" >&2; exit 1; }
    sleep 0.1
  done
  curl -sf -X POST "$STRIPE_API_BASE/_config/webhooks/rxloop" \
    -d url="http://127.0.0.1:${PORT}/api/v1/payments/stripe/webhook" -d secret="$STRIPE_WEBHOOK_SECRET" >/dev/null
  echo "rxloop: payments by localstripe on $STRIPE_API_BASE (test card 4242 4242 4242 4242; webhook registered)"
else
  echo "rxloop: payments by the Stripe configured in STRIPE_SECRET_KEY${STRIPE_API_BASE:+ at $STRIPE_API_BASE}"
fi
$PY scripts/run_jobs.py &
jobs_pid=$!
echo "rxloop: serving on http://127.0.0.1:${PORT} (API docs: /api/docs)"
RXLOOP_BIND="127.0.0.1:${PORT}" .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
