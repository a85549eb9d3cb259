"""Validation of roadmap.yaml: every error reported at once as PATH:LINE: field.path: message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from bot.roadmap import (
    PostTime,
    Resource,
    Roadmap,
    RoadmapError,
    Schedule,
    Stage,
    Topic,
    Track,
    weekday_number,
)


def _post_time(raw: dict[str, Any]) -> PostTime:
    hh, mm = str(raw["time"]).split(":")
    return PostTime(weekday_number(raw["weekday"]), dt.time(int(hh), int(mm)))


def parse(text: str, path: str) -> Roadmap:
    """Minimal, permissive parser (the strict schema replaces it)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 1
        raise RoadmapError([f"{path}:{line}: (yaml): {exc}"]) from None
    sched = data["schedule"]
    schedule = Schedule(
        timezone=sched["timezone"],
        start=sched["start"]
        if isinstance(sched["start"], dt.date)
        else dt.date.fromisoformat(sched["start"]),
        weekly=_post_time(sched["weekly"]),
        nudge=_post_time(sched["nudge"]) if sched.get("nudge") else None,
        recap=_post_time(sched["recap"]) if sched.get("recap") else None,
        track=sched.get("track"),
    )
    stages = []
    topics = []
    for st in data["stages"]:
        stages.append(Stage(st["id"], st["title"]))
        for t in st["topics"]:
            topics.append(
                Topic(
                    id=t["id"],
                    title=t["title"],
                    stage=st["id"],
                    weeks=int(t.get("weeks", 1)),
                    summary=t.get("summary", ""),
                    key_points=tuple(t.get("key_points", ())),
                    resources=tuple(
                        Resource(
                            title=r["title"],
                            url=r["url"],
                            kind=r["kind"],
                            cost_usd=0.0 if r.get("cost", "free") == "free" else float(r["cost"]),
                            section=r.get("section"),
                            hours=r.get("hours"),
                        )
                        for r in t.get("resources", ())
                    ),
                    prompts=tuple(t.get("prompts", ())),
                    prerequisites=tuple(t.get("prerequisites", ())),
                    recall=tuple(t.get("recall", ())),
                    exercise=t.get("exercise"),
                    aliases=tuple(t.get("aliases", ())),
                )
            )
    tracks = {
        k: Track(
            k, v.get("title", k), tuple(v["topics"]), dict(v.get("pace", {})), v.get("budget_usd")
        )
        for k, v in (data.get("tracks") or {}).items()
    }
    return Roadmap(
        data.get("title", "Roadmap"), schedule, tuple(stages), tuple(topics), tracks, path
    )
