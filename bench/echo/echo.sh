#!/usr/bin/env bash
# TCP echo servers under one C load client: Gamut's event loop (a TcpProtocol, and an awaiting handler on a
# TcpConnection) beside the peers of
# /work/shared/bench/peers/echo.sh (copied here): Python asyncio, Twisted, and a plain C epoll server
# (the limit for one loop thread). Same client, same run, one after another.
# Usage: bench/echo/echo.sh [CONNS=100] [SIZE=64] [SECS=5] [ROUNDS=1]
# Prints one line per server and round: peer=NAME conns=… size=… msgs_per_s=… server_cpu_us_per_msg=…
# Server CPU per message is utime+stime from /proc/PID/stat over the client's run (warm-up included), as echo.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conns=${1:-100} size=${2:-64} secs=${3:-5} rounds=${4:-1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/echo_client" "$here/echo_client.c"
cc -O2 -o "$out/echo_server" "$here/echo_server.c"
dotnet build "$here/EchoServer.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly -o "$out/gamut" >&2
port=${ECHO_PORT:-7321}
for round in $(seq "$rounds"); do
  for peer in gamut-loop gamut-loop-async c-epoll asyncio twisted; do
    case $peer in
      gamut-loop) "$out/gamut/gamut-echo" "$port" >/dev/null & ;;
      gamut-loop-async) "$out/gamut/gamut-echo" "$port" async >/dev/null & ;;
      c-epoll) "$out/echo_server" "$port" & ;;
      *) /usr/bin/python3 "$here/echo_$peer.py" "$port" & ;;
    esac
    pid=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
    cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
    before=$(cpu)
    line=$("$out/echo_client" "$port" "$conns" "$size" "$secs")
    after=$(cpu)
    total=${line##*total_msgs=}
    tck=$(getconf CLK_TCK)
    echo "peer=$peer round=$round ${line% total_msgs=*} server_cpu_us_per_msg=$(awk -v c=$((after - before)) -v t="$total" -v k="$tck" 'BEGIN{printf "%.2f", c * 1e6 / k / t}')"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    port=$((port + 1))
  done
done
