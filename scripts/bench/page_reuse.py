"""What a first touch of freed memory costs on this machine, the effect behind much of the
training-step noise in docs/BENCHMARKS.md. Fills a 1 GiB float32 array (fresh pages from the
kernel, since glibc maps and unmaps blocks this large), frees it, and fills a new one: at once,
and again after the process has left the memory free for a while. On a virtual machine that
reports free pages back to its host, pages freed more than about a second ago cost the host a
fault each on their next touch.
usage: page_reuse.py [GIB]
Prints one line per fill: the wait before it and the seconds the fill took."""
import sys
import time

import numpy as np

n = int(float(sys.argv[1]) * 2**28) if len(sys.argv) > 1 else 2**28


def fill():
    t = time.perf_counter()
    a = np.ones(n, dtype=np.float32)
    d = time.perf_counter() - t
    del a
    return d


print("first fill in the process      %6.3f s" % fill())
print("again at once                   %6.3f s" % fill())
for wait in (0.5, 1, 2, 4, 8):
    time.sleep(wait)
    print("after %4.1f s with the memory free %6.3f s" % (wait, fill()))
