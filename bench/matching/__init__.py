"""Name search and duplicate detection at scale, against baselines measured in the same
run: `python -m bench.matching --help`."""
