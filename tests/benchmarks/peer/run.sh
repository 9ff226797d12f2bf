#!/usr/bin/env bash
# Memory per idle socket with K subscriptions, Sentichat against the Node peer,
# one process each on a fresh database (the side-by-side kit's loadgen measures
# one subscription a socket only; the web client holds one per open chat).
#
#   tests/benchmarks/peer/run.sh SIDE_BY_SIDE_COPY SOCKETS SUBSCRIPTIONS [peer|sentichat]...
#
# SIDE_BY_SIDE_COPY is a writable copy of ../shared/side-by-side with `npm ci`
# run in bench/loadgen and peers/yoga. Prints one JSON line per server.
set -euo pipefail
KIT=$1; N=$2; K=$3; shift 3
WHO=("${@:-peer sentichat}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
PORT=${PORT:-8201}
PG=${ACC_PG_URL:-postgresql://postgres@127.0.0.1:5432}
REDIS=${REDIS_URL:-redis://127.0.0.1:6379/8}
export RATE_REGISTER_PER_ADDRESS=1000000/h RATE_REGISTER_PER_USERNAME=1000000/m \
  RATE_LOGIN_PER_ADDRESS=1000000/m RATE_LOGIN_PER_USERNAME=1000000/m \
  RATE_SEND_MESSAGE_PER_USER=1000000/m RATE_REQUEST_CHAT_PER_USER=1000000/m
JWT=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp "$HERE/subscriptions.mjs" "$KIT/bench/loadgen/src/subscriptions.mjs"
for who in ${WHO[*]}; do
  db=subs_$$_$who
  psql -q "$PG/postgres" -c "CREATE DATABASE $db"
  if [[ $who == peer ]]; then
    (cd "$KIT/peers/yoga" && NODE_ENV=production PORT=$PORT HOST=127.0.0.1 \
      DATABASE_URL="$PG/$db" REDIS_URL="$REDIS" JWT_SECRET=$JWT exec node src/server.js) \
      >"/tmp/subscriptions-$who.log" 2>&1 &
  else
    url="postgresql+asyncpg://${PG#postgresql://}/$db"
    (cd "$ROOT" && DATABASE_URL=$url "$PY" -m alembic upgrade head >/dev/null 2>&1)
    (cd "$ROOT" && DATABASE_URL=$url BROADCAST_URL="$REDIS" JWT_SECRET=$JWT \
      exec "$PY" -m graph --host 127.0.0.1 --port "$PORT") >"/tmp/subscriptions-$who.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 150); do
    curl -sf -o /dev/null -X POST -H 'content-type: application/json' \
      -d '{"query":"{ __typename }"}' "http://127.0.0.1:$PORT/graphql" && break
    sleep 0.2
  done
  echo -n "$who "
  node "$KIT/bench/loadgen/src/subscriptions.mjs" --url "http://127.0.0.1:$PORT" --pid "$pid" \
    --sockets "$N" --subs "$K" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  psql -q "$PG/postgres" -c "DROP DATABASE $db"
done
