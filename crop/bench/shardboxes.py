"""Prints the boxes in a crop output folder as JSON {source: [[x,y,w,h]...]},
reading the shards with nothing but Python's tarfile."""
import glob
import json
import sys
import tarfile

boxes = {}
for shard in sorted(glob.glob(sys.argv[1] + "/*.tar")):
    with tarfile.open(shard) as t:
        for m in t:
            if m.name.endswith(".json"):
                meta = json.load(t.extractfile(m))
                boxes.setdefault(meta["source"], []).append(meta["box"])
json.dump(boxes, sys.stdout, sort_keys=True)
