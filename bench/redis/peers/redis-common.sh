# Sourced by the Redis peer benchmarks: a private redis-server on loopback unless REDIS_PORT points at a running one.
REDIS_PORT=${REDIS_PORT:-6399}
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install -y redis-server" >&2; exit 1; }
  REDIS_DIR=$(mktemp -d /tmp/peer-redis.XXXXXX)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save '' --appendonly no >"$REDIS_DIR/log" 2>&1 &
  REDIS_PID=$!
  trap 'kill $REDIS_PID 2>/dev/null; rm -rf "$REDIS_DIR"' EXIT
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
flush() { redis-cli -p "$REDIS_PORT" flushall >/dev/null; }
now() { date +%s.%N; }
