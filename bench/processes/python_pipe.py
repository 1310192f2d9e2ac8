# Python subprocess pump: MiB (default 2 GiB) written to cat's stdin while its stdout is read; prints MB/s.
# Copied from /work/shared/bench/peers/python_pipe.py; the size is an argument here.
import subprocess, sys, threading, time
N=(int(sys.argv[1]) if len(sys.argv) > 1 else 2048)*1024**2; buf=b"\0"*(1<<20)
p=subprocess.Popen(["cat"],stdin=subprocess.PIPE,stdout=subprocess.PIPE)
def w():
    for _ in range(N//len(buf)): p.stdin.write(buf)
    p.stdin.close()
t=time.perf_counter(); th=threading.Thread(target=w); th.start(); n=0
while True:
    b=p.stdout.read1(1<<20) if hasattr(p.stdout,'read1') else p.stdout.read(1<<20)
    if not b: break
    n+=len(b)
th.join(); p.wait(); dt=time.perf_counter()-t
print("python_pipe MB_per_s %.0f" % (n/dt/1e6))
