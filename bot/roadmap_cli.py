"""`studybot roadmap check`: validate a roadmap and summarise it."""

from __future__ import annotations

import sys

from bot.roadmap import RoadmapError, load


def check(path: str) -> int:
    try:
        roadmap = load(path)
    except RoadmapError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"{path}: {len(exc.errors)} error(s)", file=sys.stderr)
        return 1
    print(f"{path}: ok — {len(roadmap.stages)} stages, {len(roadmap.topics)} topics")
    return 0
