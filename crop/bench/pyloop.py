"""Reference pipelines for the crop benchmark, with Debian's python3-opencv.

  pyloop.py loop  IN OUT BOXES  a plain Python + OpenCV loop: read, detect,
                                crop, resize, write a PNG per face
  pyloop.py floor IN BOXES      detection alone (read, gray, equalise,
                                detect), one process per core, one OpenCV
                                thread each: the least any tool can take

Both find images by extension, use lbpcascade_animeface with scale factor
1.1, 5 neighbours and MIN_FACE (env, default 24), and write the boxes they
find as JSON {relative path: [[x, y, w, h], ...]} to BOXES.
"""
import json
import multiprocessing as mp
import os
import sys

import cv2

CASCADE = os.environ.get("CASCADE", "cascades/lbpcascade_animeface.xml")
MIN_FACE = int(os.environ.get("MIN_FACE", "24"))
MARGIN, SIZE = 0.2, 64
EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def images(root):
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.join(d, f) for f in files if f.lower().endswith(EXTS)]
    return sorted(out)


def detect(cascade, path):
    img = cv2.imread(path)
    if img is None:
        return None, []
    gray = cv2.equalizeHist(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                     minSize=(MIN_FACE, MIN_FACE))
    return img, [[int(v) for v in f] for f in faces]


def square(box, h, w):
    x, y, bw, bh = box
    side = max(1, round(max(bw, bh) * (1 + 2 * MARGIN)))

    def place(c, n):
        lo, hi = sorted((0, n - side))
        return min(max(round(c - side / 2), lo), hi)
    return place(x + bw / 2, w), place(y + bh / 2, h), side


def cut(img, box):
    h, w = img.shape[:2]
    x, y, side = square(box, h, w)
    pad = cv2.copyMakeBorder(img, side, side, side, side, cv2.BORDER_CONSTANT,
                             value=(255, 255, 255))
    sq = pad[y + side:y + 2 * side, x + side:x + 2 * side]
    interp = cv2.INTER_AREA if side >= SIZE else cv2.INTER_CUBIC
    return cv2.resize(sq, (SIZE, SIZE), interpolation=interp)


def loop(root, out, boxes_path):
    cascade = cv2.CascadeClassifier(CASCADE)
    os.makedirs(out, exist_ok=True)
    boxes = {}
    for path in images(root):
        img, faces = detect(cascade, path)
        rel = os.path.relpath(path, root)
        for i, f in enumerate(faces):
            name = rel.replace(os.sep, "_") + "-%d.png" % i
            cv2.imwrite(os.path.join(out, name), cut(img, f))
        if faces:
            boxes[rel] = faces
    json.dump(boxes, open(boxes_path, "w"), sort_keys=True)


_cascade = None


def _init():
    global _cascade
    cv2.setNumThreads(1)
    _cascade = cv2.CascadeClassifier(CASCADE)


def _detect_one(path):
    return path, detect(_cascade, path)[1]


def floor(root, boxes_path):
    with mp.Pool(os.cpu_count(), initializer=_init) as pool:
        found = pool.map(_detect_one, images(root), chunksize=1)
    boxes = {os.path.relpath(p, root): f for p, f in found if f}
    json.dump(boxes, open(boxes_path, "w"), sort_keys=True)


if __name__ == "__main__":
    if sys.argv[1] == "loop":
        loop(*sys.argv[2:5])
    elif sys.argv[1] == "floor":
        floor(*sys.argv[2:4])
    else:
        sys.exit(__doc__)
