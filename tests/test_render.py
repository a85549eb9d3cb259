"""bot.slack.render: every member message and view stays within Block Kit's rules and
Slack's limits, however long the roadmap and whatever its text."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.calendar import Calendar, Change
from bot.core.format import plural
from bot.core.roadmap import PostTime, Resource, Roadmap, Schedule, Stage, Topic
from bot.slack.render import blocks as bk
from bot.slack.render.ask import ask_modal, ask_post
from bot.slack.render.choose import no_match, no_topic_now, which_topic
from bot.slack.render.ids import DONE, RESOURCES
from bot.slack.render.progress import progress_changed, progress_overview
from bot.slack.render.resources import best_resources, kind_of
from bot.slack.render.resources import resources as resources_message
from bot.slack.render.roadmap import (
    RoadmapPage,
    roadmap_page_topics,
    roadmap_pages,
    stage_not_found,
)
from bot.slack.render.roadmap import roadmap as roadmap_message
from bot.slack.render.topic import TopicCard
from bot.slack.render.topic import next_topic as topic_message
from bot.slack.render.usage import USAGE, usage
from tests.blockkit import all_text, assert_valid_message, assert_valid_view

START = dt.date(2026, 9, 7)
NASTY = "ab <>&|*_`~:!@#<!channel> <@U1> &amp; é 🙂"
text = st.text(alphabet=NASTY, min_size=1, max_size=400)


def build(
    n_topics: int,
    n_stages: int = 3,
    title: str = "Topic",
    resources: int = 3,
    weeks: int = 1,
) -> Roadmap:
    stages = tuple(Stage(f"s{i}", f"{title} stage {i}") for i in range(n_stages))
    topics = tuple(
        Topic(
            id=f"t{i}",
            title=f"{title} {i}",
            stage=stages[i * n_stages // max(n_topics, 1)].id,
            weeks=weeks,
            summary=f"{title} summary " * 5,
            key_points=(title, f"{title} again"),
            resources=tuple(
                Resource(f"{title} r{r}", f"https://example.com/{i}/{r}", kind, cost, title, 1.5)
                for r, (kind, cost) in enumerate(
                    [("book", 30.0), ("video", 0.0), ("paper", 9.99)] * resources
                )
            )[:resources],
            prompts=("Why?",),
            prerequisites=(f"t{i - 1}",) if i else (),
        )
        for i in range(n_topics)
    )
    schedule = Schedule("UTC", START, PostTime(0, dt.time(9)), PostTime(2, dt.time(12)))
    return Roadmap(f"{title} roadmap", schedule, stages, topics)


def every_message(roadmap: Roadmap, done: set[str], link: str | None = None) -> list[dict]:
    """Every member-command message for this roadmap, in every kind of week."""
    cal = Calendar(roadmap.topics, START, [Change("skip", START + dt.timedelta(weeks=1))])
    weeks = [cal.week_of(START - dt.timedelta(days=3)), cal.week_of(cal.end + dt.timedelta(1))]
    weeks += list(cal.weeks[:3]) + list(cal.weeks[-2:])
    out = []
    for week in weeks:
        for shared_by in (None, "U0SHARER"):
            card = TopicCard(
                roadmap,
                cal,
                week,
                None if shared_by else frozenset(done),
                link,
                shared_by,
            )
            out.append(topic_message(card))
        out.append(progress_overview(roadmap, cal, week, done))
        pages = roadmap_pages(roadmap, cal)
        for page in {1, pages, None}:
            out.append(roadmap_message(roadmap, cal, week, done, RoadmapPage(None, page)))
        out.append(roadmap_message(roadmap, cal, week, done, RoadmapPage("s0", None)))
        out.append(no_topic_now("/resources", week, cal))
    for topic in roadmap.topics[:3]:
        out.append(resources_message(roadmap, topic, also=roadmap.topics[:8], query=NASTY))
        out.append(resources_message(roadmap, topic, free_only=True, kind="exercise"))
        for ticked, changed in ((True, True), (True, False), (False, True), (False, False)):
            out.append(progress_changed(roadmap, cal, topic, done, ticked=ticked, changed=changed))
    out.append(no_match("/resources", NASTY, roadmap.topics[:3], RESOURCES, "Show"))
    out.append(no_match("/progress", NASTY, (), DONE, "Tick"))
    out.append(which_topic(NASTY, roadmap.topics[:9], DONE, "Tick"))
    out.append(stage_not_found(roadmap, NASTY))
    out += [usage(c, bk.escape(NASTY)) for c in USAGE]
    return out


def check(message: dict) -> None:
    assert_valid_message(message)
    ids = [
        e["action_id"]
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert len(ids) == len(set(ids)), ids
    for shown in mrkdwn(message):  # plain_text (headers, buttons) never pings
        for ping in ("<!channel>", "<@U1>", "<!here"):
            assert ping not in shown, f"{ping} in {shown[:500]}"


def mrkdwn(node: object) -> list[str]:
    """The fallback text and every mrkdwn text object: what Slack parses for mentions."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" or ("blocks" in node and "text" in node):
            found.append(str(node.get("text")))
        for value in node.values():
            found += mrkdwn(value)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn(item)
    return found


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_topics=st.integers(1, 260),
    n_stages=st.integers(1, 130),
    title=text,
    resources=st.integers(0, 40),
    weeks=st.integers(1, 3),
)
def test_every_message_fits_slack_for_any_roadmap(n_topics, n_stages, title, resources, weeks):
    roadmap = build(n_topics, min(n_stages, n_topics), title, resources, weeks)
    done = {t.id for t in roadmap.topics[::3]}
    for message in every_message(roadmap, done, "https://x.slack.com/archives/C1/p1"):
        check(message)


@settings(max_examples=15, deadline=None)
@given(n_topics=st.integers(0, 400), n_stages=st.integers(1, 150), title=text)
def test_the_ask_form_fits_slack_for_any_roadmap(n_topics, n_stages, title):
    roadmap = build(n_topics, min(n_stages, max(n_topics, 1)), title)
    default = roadmap.topics[-1] if roadmap.topics else None
    view = assert_valid_view(ask_modal(roadmap, roadmap.topics, default, "C0STUDY01"))
    select = next((b["element"] for b in view["blocks"] if b.get("block_id") == "topic"), None)
    if n_topics == 0:
        assert select is None
        return
    assert select is not None
    if "options" in select:
        values = [o["value"] for o in select["options"]]
    else:
        assert len(select["option_groups"]) <= 100
        values = [o["value"] for g in select["option_groups"] for o in g["options"]]
        assert all(len(g["options"]) <= 100 for g in select["option_groups"])
    assert len(values) == len(set(values))
    if "initial_option" in select:
        assert select["initial_option"]["value"] in values


@given(question=st.text(min_size=1, max_size=6000))
def test_a_question_reposted_never_pings_and_fits(question):
    for user in ("U0ASKER1", None):
        message = ask_post(question, user, build(1).topics[0])
        assert_valid_message(message)
        rest = message["text"].replace("<@U0ASKER1>", "", 1)
        assert "<!" not in rest and "<@" not in rest and "<#" not in rest
        if user is None:
            assert "U0ASKER1" not in json.dumps(message)


def test_best_resources_keep_one_free_and_follow_the_roadmaps_order():
    topic = build(1, resources=6).topics[0]
    paid_first = Topic(
        "p",
        "Paid",
        "s0",
        1,
        "",
        (),
        (
            Resource("A", "https://a", "book", 10),
            Resource("B", "https://b", "book", 20),
            Resource("C", "https://c", "book", 30),
            Resource("D", "https://d", "video", 0),
        ),
        (),
    )
    assert [r.title for r in best_resources(paid_first)] == ["A", "B", "D"]
    assert best_resources(topic) == list(topic.resources[:3])


def test_roadmap_page_values_round_trip():
    for page in (RoadmapPage(None, 3), RoadmapPage("math-1", 2)):
        assert RoadmapPage.parse(page.value(page.page or 1)) == page
    assert RoadmapPage.parse(":") == RoadmapPage(None, None)


def test_kind_words():
    assert kind_of("Books") == "book" and kind_of("videos") == "video"
    assert kind_of("docs") == "docs" and kind_of("eigen") is None


def test_standing_lines():
    roadmap = build(4)
    cal = Calendar(roadmap.topics, START)
    week3 = cal.weeks[2]
    text = all_text(progress_overview(roadmap, cal, week3, {"t0", "t3"}))
    assert "Behind the group on *Topic 1*" in text and "1 topic ahead" in text
    text = all_text(progress_overview(roadmap, cal, week3, {"t0", "t1"}))
    assert "In step with the group" in text


@settings(max_examples=15, deadline=None)
@given(
    n_topics=st.integers(1, 300),
    n_stages=st.integers(1, 300),
    title=text,
    stage_filter=st.booleans(),
)
def test_roadmap_pages_show_every_topic_exactly_once(n_topics, n_stages, title, stage_filter):
    roadmap = build(n_topics, min(n_stages, n_topics), title)
    cal = Calendar(roadmap.topics, START)
    stage = roadmap.topics[-1].stage if stage_filter else None
    expected = [t.id for t in roadmap.topics if stage is None or t.stage == stage]
    pages = roadmap_page_topics(roadmap, cal, stage)
    assert [t.id for p in pages for t in p] == expected
    week = cal.weeks[len(cal.weeks) // 2]
    for number in range(1, len(pages) + 1):
        message = roadmap_message(roadmap, cal, week, set(), RoadmapPage(stage, number))
        check(message)
        text = all_text(message)
        assert "not shown here" not in text  # nothing cut by bk.fit
        for topic in pages[number - 1]:
            assert f"`{bk.escape(topic.id)}`" in text


ONE_PLURAL = re.compile(
    r"\b1\*? (topics|weeks|study weeks|questions|answers|tries|pages|results|stages|resources"
    r"|failed posts|more weeks)\b"
)


@pytest.mark.parametrize("n_topics", [1, 2])
def test_a_count_of_one_never_takes_a_plural_noun(n_topics):
    roadmap = build(n_topics, 1, "Tiny", 1, 1)
    for done in (set(), {roadmap.topics[0].id}):
        for message in every_message(roadmap, done, "https://x.slack.com/archives/C1/p1"):
            for shown in [*mrkdwn(message), all_text(message)]:
                assert not ONE_PLURAL.search(shown), shown
    assert plural(1, "try", "tries") == "1 try" and plural(2, "try", "tries") == "2 tries"


def test_the_recap_names_the_first_answerers_and_counts_the_rest():
    from bot.core.post_plan import RecapFacts
    from bot.slack.render.posts import THANKED, recap

    roadmap = build(3)
    cal = Calendar(roadmap.topics, START)
    helpers = [(f"U0HELP{n:04d}", 30 - n) for n in range(THANKED + 5)]
    facts = RecapFacts(cal.weeks[0], roadmap.topics[0], dt.UTC, 40, 10, helpers, None)
    text = all_text(assert_valid_message(recap(facts)))
    assert f"<@U0HELP{THANKED - 1:04d}>" in text and f"<@U0HELP{THANKED:04d}>" not in text
    assert "and 5 others!" in text
