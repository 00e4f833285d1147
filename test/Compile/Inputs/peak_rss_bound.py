"""Checks that a bigger model's compile peaks at most BOUND bytes above a
smaller one's, reading the peak RSS that bitnet-compile prints per phase.

Usage: peak_rss_bound.py SMALL.log BIG.log BOUND_BYTES
"""
import re
import sys


def peak_mib(path):
    with open(path) as log:
        peaks = [int(m) for m in re.findall(r"peak RSS (\d+) MiB", log.read())]
    if not peaks:
        sys.exit(f"{path}: no 'peak RSS N MiB' line")
    return max(peaks)


small, big, bound = peak_mib(sys.argv[1]), peak_mib(sys.argv[2]), int(sys.argv[3])
growth = (big - small) * 1024 * 1024
print(f"peak RSS {small} MiB -> {big} MiB: +{growth} bytes (bound {bound})")
if growth > bound:
    sys.exit(f"the bigger model's compile needs {growth} more bytes, over the bound {bound}")
