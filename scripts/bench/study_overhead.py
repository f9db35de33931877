"""Where a study's time goes, from the files it writes: for each cell, the seconds of its train and
segment processes (done.json), the training steps themselves (the history's seconds column) and the
predictions (segment.log); and from runs.csv the wall time of each run against its cells' process
time. Prints the totals and the shares.

usage: study_overhead.py STUDY_DIR [STUDY_DIR ...]
"""
import csv
import glob
import json
import os
import re
import sys

for study in sys.argv[1:]:
    proc = steps = predict = 0.0
    cells = 0
    for done in sorted(glob.glob(os.path.join(study, "cells", "*", "*", "*", "done.json")) +
                       glob.glob(os.path.join(study, "cells", "*", "*", "*", "*", "done.json"))):
        d = json.load(open(done))
        cell = os.path.dirname(done)
        proc += d["train_seconds"] + d["segment_seconds"]
        with open(os.path.join(cell, "model.history.csv")) as f:
            steps += sum(float(r["seconds"]) for r in csv.DictReader(f) if r.get("seconds"))
        with open(os.path.join(cell, "segment.log")) as f:
            predict += sum(float(m) for m in re.findall(r"-> \S+ \(([0-9.]+) s\)", f.read()))
        cells += 1
    runs = list(csv.DictReader(open(os.path.join(study, "runs.csv"))))
    wall = sum(float(r["wall_s"]) for r in runs)
    cell_proc = sum(float(r["cell_process_s"]) for r in runs)
    par = runs[-1]["parallel"]
    print("%s: %d cells, parallel %s" % (study, cells, par))
    print("  wall time of the runs            %8.1f s" % wall)
    print("  cells' processes                 %8.1f s  (summed over cells)" % cell_proc)
    print("  training steps + predictions     %8.1f s  (%.1f + %.1f)" % (steps + predict, steps, predict))
    print("  study outside the cell processes %8.1f s  (%.2f %% of the cells' process time per slot)" % (
        wall - cell_proc / int(par), 100 * (wall - cell_proc / int(par)) / (cell_proc / int(par))))
    print("  cell processes beyond steps and predictions: %.1f %% (JVM and engine start, reading and preprocessing, "
          "checkpoints, evaluation in the study)" % (100 * (proc - steps - predict) / (steps + predict)))
