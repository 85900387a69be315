# Sourced by .ci/run: a throwaway redis-server on loopback, AOF on, for the Redis backend's
# tests; exports REDIS_URL and stops it (and removes its files) when the calling shell exits.
REDIS_PORT="${REDIS_PORT:-6390}"
REDIS_DIR="$(mktemp -d)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --save '' --dir "$REDIS_DIR" --daemonize no >"$REDIS_DIR/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; rm -rf "$REDIS_DIR"' EXIT
# Ours must be alive when it answers: a PONG from another server already on the port does not count.
for _ in $(seq 1 100); do
  kill -0 "$REDIS_PID" 2>/dev/null || break
  [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
if ! kill -0 "$REDIS_PID" 2>/dev/null || [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" != PONG ]; then
  echo "redis-server did not start on 127.0.0.1:$REDIS_PORT:" >&2
  cat "$REDIS_DIR/redis.log" >&2
  exit 1
fi
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
echo "redis-server $(redis-server --version | grep -o 'v=[^ ]*') on $REDIS_URL (pid $REDIS_PID, AOF in $REDIS_DIR)"
