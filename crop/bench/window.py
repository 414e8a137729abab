"""How much does crop's ordered-writing window cost in wall time?

Times read + detect for every file under DIR (in crop's walk order, one
OpenCV thread, files that are not images by their first bytes count as
free), then simulates WORKERS workers taking files in order, where file i
may start only once file i - window*WORKERS has been written, for a few
windows. Run with Debian's python3-opencv:

  python3 crop/bench/window.py [DIR] [WORKERS]
"""
import heapq
import os
import sys
import time

import cv2

root = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/games/renpy"
workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
cv2.setNumThreads(1)
cascade = cv2.CascadeClassifier("cascades/lbpcascade_animeface.xml")
magic = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM", b"II*\0", b"MM\0*")


def times(d):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isdir(p):
            yield from times(p)
        elif os.path.isfile(p):
            t0 = time.perf_counter()
            with open(p, "rb") as f:
                image = f.read(16).startswith(magic)
            if image and (img := cv2.imread(p)) is not None:
                gray = cv2.equalizeHist(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
                cascade.detectMultiScale(gray, 1.1, 5, minSize=(24, 24))
            yield time.perf_counter() - t0


def makespan(ts, window):
    free = [0.0] * workers
    written = []
    for i, t in enumerate(ts):
        start = heapq.heappop(free)
        if i >= window:
            start = max(start, written[i - window])
        end = start + t
        heapq.heappush(free, end)
        written.append(max(end, written[-1] if written else 0))
    return written[-1]


ts = list(times(root))
best = makespan(ts, len(ts) + 1)
print(f"{len(ts)} files, {sum(ts):.2f} s of work, {workers} workers")
for per in (4, 16, 32, 64):
    m = makespan(ts, per * workers)
    print(f"window {per:3d} per worker: {m:6.2f} s, {m / best:.3f}x no limit")
