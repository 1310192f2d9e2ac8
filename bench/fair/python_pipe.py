# Python subprocess pump: MiB written to a child's stdin while its stdout is read, in BUF-byte writes and reads;
# prints MB/s. Usage: python_pipe.py MiB BUF [CMD ...]  (default cat). The shared peer's python_pipe.py with the
# buffer size and the command as arguments, so bench/run-all.sh gives it what it gives every other side.
import subprocess, sys, threading, time
mib = int(sys.argv[1]); bufsize = int(sys.argv[2]); cmd = sys.argv[3:] or ["cat"]
N = mib * 1024**2; buf = b"\0" * bufsize
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
def w():
    for _ in range(N // len(buf)): p.stdin.write(buf)
    p.stdin.close()
t = time.perf_counter(); th = threading.Thread(target=w); th.start(); n = 0
while True:
    b = p.stdout.read(bufsize)
    if not b: break
    n += len(b)
th.join(); p.wait(); dt = time.perf_counter() - t
assert n == N, (n, N)
print("peer=python-pipe mib=%d buf=%d mb_per_s=%.0f" % (mib, bufsize, n / dt / 1e6))
