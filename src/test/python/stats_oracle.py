"""scipy.stats oracle for sc.fiji.voxelseg.study.PairedStatistics.

usage: stats_oracle.py CASES.json
CASES.json: {"pairs": [[a, b], ...], "quantiles": [[p, df], ...]}
Prints JSON: {"pairs": [{"t", "t_p", "low", "high", "w", "w_p"}, ...], "quantiles": [q, ...]}, with
ttest_rel(a, b), t.interval(0.95, n - 1, loc=mean(a - b), scale=sem(a - b)) and wilcoxon(a, b)
(scipy's defaults; NaN where scipy refuses).
"""
import json
import sys
import warnings

import numpy as np
from scipy import stats

warnings.simplefilter("ignore")
cases = json.load(open(sys.argv[1]))
out = {"pairs": [], "quantiles": []}
for a, b in cases["pairs"]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = a - b
    t = stats.ttest_rel(a, b)
    low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    try:
        w = stats.wilcoxon(a, b)
        ws, wp = float(w.statistic), float(w.pvalue)
    except ValueError:
        ws, wp = float("nan"), float("nan")
    out["pairs"].append({"t": float(t.statistic), "t_p": float(t.pvalue), "low": float(low), "high": float(high),
                         "w": ws, "w_p": wp})
for p, df in cases["quantiles"]:
    out["quantiles"].append(float(stats.t.ppf(p, df)))
print(json.dumps(out).replace("NaN", "null"))
