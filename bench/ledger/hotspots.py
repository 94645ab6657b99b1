"""Summarise a py-spy profile (`--format raw`, one collapsed stack per line with its
sample count): the functions with the most samples, inclusive and self.

    python -m bench.ledger.hotspots bench/results/profile-<date>/sqlite-push-server.txt
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

LINE = re.compile(r":\d+\)$")


def load(path: Path, within: str | None, by_line: bool = False) -> list[tuple[list[str], int]]:
    """Stacks (outermost frame first) and their sample counts; with `within`, only the
    stacks passing through a frame containing that text, cut to start there. Frames
    are functions unless `by_line` (py-spy names each line of a function apart)."""
    stacks = []
    for line in path.read_text().splitlines():
        frames_text, _, count = line.rpartition(" ")
        frames = frames_text.split(";")
        if not by_line:
            frames = [LINE.sub(")", frame) for frame in frames]
        if within is not None:
            hits = [i for i, frame in enumerate(frames) if within in frame]
            if not hits:
                continue
            frames = frames[hits[0]:]
        stacks.append((frames, int(count)))
    return stacks


def summarise(stacks: list[tuple[list[str], int]], top: int) -> str:
    total = sum(count for _, count in stacks) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        for frame in set(frames):  # a recursive function counts once per sample
            inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples"]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines.append(f"\n-- {title} --")
        lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in counter.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--within", help="only stacks through a frame containing this text, "
                        "e.g. 'push (corridor/services/ledger.py'")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--by-line", action="store_true", help="one entry per source line")
    args = parser.parse_args()
    print(summarise(load(args.profile, args.within, args.by_line), args.top))


if __name__ == "__main__":
    main()
