"""/nexttopic, /resources, /roadmap, /progress over signed HTTP into the real app and the stand-in."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.sandbox import Sandbox
from bot.core import calendar, progress
from bot.core.clock import ManualClock
from bot.core.ledger import Claim, claim, mark_sent
from bot.core.roadmap import Roadmap
from bot.core.roadmap_load import load
from bot.slack.delivery import SlackPoster, deliver
from bot.slack.render.roadmap import roadmap_page_topics, roadmap_pages
from tests.blockkit import all_text
from tests.commands_kit import MEMBER, SMALL, answer, buttons, monday, responses, valid
from tests.conftest import ROADMAP


def shown(payload: dict[str, Any]) -> str:
    return all_text(payload)


def real() -> tuple[Roadmap, calendar.Calendar]:
    roadmap = load(ROADMAP)
    return roadmap, calendar.Calendar(roadmap.followed(), roadmap.schedule.start)


# --- /nexttopic -------------------------------------------------------------------------


def test_nexttopic_on_the_real_roadmap_shows_this_weeks_topic(box: Sandbox):
    roadmap, cal = real()
    week = cal.week_of(box.clock.now().astimezone(roadmap.schedule.tz).date())
    assert week.kind == "topic" and week.topic
    body = answer(box.client.command("/nexttopic"))
    text = shown(body)
    assert f"Week {week.study_week} of {cal.total_study_weeks}" in body["text"]
    assert week.topic.title in text
    for point in week.topic.key_points[:2]:
        assert point.split()[0] in text
    first = week.topic.resources[0]
    assert first.url in text
    nxt = cal.next_topic_week(week)
    if nxt and nxt.topic:
        assert nxt.topic.title in text and f"{nxt.start:%b %-d}" in text
    assert set(buttons(body)) == {"member_done", "member_resources", "member_share"}
    assert box.slack.posts() == []  # ephemeral: nothing went to the channel


def test_nexttopic_card_has_dates_key_points_best_resources_next_and_standing(small: Sandbox):
    body = answer(small.client.command("/nexttopic"))
    text = shown(body)
    assert body["text"].startswith("Week 2 of 5: Eigenvectors and eigenvalues")
    assert "Sep 14 – Sep 20" in text and "part 1 of 2" in text
    assert "Eigenvectors keep their direction" in text
    assert "Strang's lectures" in text and "$60" in text and "~2 h" in text
    assert "continues for 1 more week" in text
    assert "Gradient descent" in text and "Mon Sep 28" in text
    # The member has ticked nothing: behind on vectors, which eigen also builds on.
    assert "0/4" in text and "Behind the group on *Vectors and spaces*" in text
    assert "Builds on *Vectors and spaces*" in text
    assert buttons(body) == {
        "member_done": "eigen",
        "member_resources": "eigen",
        "member_share": "eigen",
    }


def test_nexttopic_best_resources_keep_a_free_one_and_point_to_the_rest(small: Sandbox):
    small.clock.set(monday(SMALL, 1))
    text = shown(answer(small.client.command("/nexttopic")))
    roadmap = load(SMALL)
    vectors = roadmap.topics[0]
    assert vectors.resources[0].title in text and vectors.resources[2].title in text
    assert vectors.resources[3].title not in text  # only the best three
    assert "…and 2 more: `/resources vectors`" in text


def test_nexttopic_standing_in_step_and_ahead(small: Sandbox):
    db = small.deps.db
    now = small.clock.now()
    progress.mark_done(db, MEMBER, "vectors", now)
    text = shown(answer(small.client.command("/nexttopic")))
    assert "In step with the group" in text and "Builds on" not in text
    progress.mark_done(db, MEMBER, "eigen", now)
    progress.mark_done(db, MEMBER, "pca", now)
    body = answer(small.client.command("/nexttopic"))
    assert "1 topic ahead of the group" in shown(body) and "3/4" in shown(body)
    assert "member_undo" in buttons(body) and "member_done" not in buttons(body)


def test_nexttopic_links_this_weeks_discussion_thread_once_the_post_went_out(small: Sandbox):
    week_key = monday(SMALL, 2).date().isoformat()  # Week.key: the week's start date
    body = answer(small.client.command("/nexttopic"))
    assert "discussion thread" not in shown(body)
    # The posts ledger as the posts module keeps it: claimed while sending, then sent.
    db, now = small.deps.db, small.clock.now()
    sending = claim(db, "weekly", small.channel, week_key, now=now)
    assert isinstance(sending, Claim)
    assert "discussion thread" not in shown(answer(small.client.command("/nexttopic")))
    mark_sent(db, sending, "1789000000.000200", now)
    text = shown(answer(small.client.command("/nexttopic")))
    link = f"https://standin.slack.com/archives/{small.channel}/p1789000000000200"
    assert f"<{link}|This week's discussion thread>" in text


def test_nexttopic_links_the_thread_through_the_workspace_url_not_the_payloads_domain(
    small: Sandbox,
):
    """One link host: once the weekly post went out (which learns auth.test's workspace URL),
    /nexttopic links its thread there as /qa does, whatever team_domain the payload carries
    (blank in Slack's published samples)."""
    outcome = deliver(small.deps, SlackPoster(small.app.client), "weekly")
    assert outcome.status == "sent" and outcome.ts
    team = small.app.client.auth_test()["url"]
    text = shown(answer(small.client.command("/nexttopic", team_domain="")))
    link = f"{team}archives/{small.channel}/p{outcome.ts.replace('.', '')}"
    assert f"<{link}|This week's discussion thread>" in text


def test_nexttopic_before_the_start_shows_the_first_topic_and_the_date(small: Sandbox):
    small.clock.set(monday(SMALL, 0) - dt.timedelta(days=10))
    body = answer(small.client.command("/nexttopic"))
    text = shown(body)
    assert "starts on Mon Sep 7, 2026 with Vectors and spaces" in body["text"]
    assert "Week 1 of 5" in text and "A basis is a minimal spanning set" in text
    assert "Eigenvectors and eigenvalues" in text  # what comes after it
    assert "not started yet" in text
    assert "member_done" in buttons(body)


def test_nexttopic_before_the_start_of_the_real_roadmap(box: Sandbox):
    roadmap, cal = real()
    box.clock.set(monday(ROADMAP, 0) - dt.timedelta(days=3))
    body = answer(box.client.command("/nexttopic"))
    assert f"{roadmap.schedule.start:%b %-d, %Y}" in body["text"]
    assert cal.weeks[0].topic and cal.weeks[0].topic.title in shown(body)


def test_nexttopic_after_the_end_says_complete_and_what_to_do(small: Sandbox):
    small.clock.set(monday(SMALL, 9))
    progress.mark_done(small.deps.db, MEMBER, "vectors", small.clock.now())
    body = answer(small.client.command("/nexttopic"))
    text = shown(body)
    assert "The roadmap is complete" in body["text"]
    assert "Sep 7, 2026 – Sun Oct 11, 2026" in text and "5 study weeks" in text
    assert "1/4" in text and "Behind the group on" in text
    assert "/qa" in text and "/roadmap" in text and "/progress" in text
    assert "member_done" not in buttons(body)


def test_nexttopic_after_the_end_of_the_real_roadmap(box: Sandbox):
    _, cal = real()
    box.clock.set(dt.datetime.combine(cal.end + dt.timedelta(days=30), dt.time(12), dt.UTC))
    assert "The roadmap is complete" in answer(box.client.command("/nexttopic"))["text"]


def test_nexttopic_in_a_skipped_week_shows_the_break_and_what_is_next(small: Sandbox):
    skip = monday(SMALL, 2).date()
    calendar.record_change(small.deps.db, calendar.Change("skip", skip), "U0ADMIN", None)
    body = answer(small.client.command("/nexttopic"))
    text = shown(body)
    assert body["text"].startswith("No session this week")
    assert "is a break" in text and "Eigenvectors and eigenvalues" in text
    assert "Mon Sep 21" in text


def test_nexttopic_while_paused(small: Sandbox):
    calendar.record_change(
        small.deps.db, calendar.Change("pause", monday(SMALL, 2).date()), "U0ADMIN", None
    )
    body = answer(small.client.command("/nexttopic"))
    assert "paused" in body["text"] and "/studygroup resume" in shown(body)


def test_nexttopic_help_and_bad_arguments_give_the_usage_card(small: Sandbox):
    help_card = answer(small.client.command("/nexttopic", "help"))
    assert "How to use `/nexttopic`" in shown(help_card) and ":warning:" not in shown(help_card)
    bad = answer(small.client.command("/nexttopic", "<!channel> tomorrow"))
    assert ":warning:" in shown(bad) and "<!channel>" not in json.dumps(bad)


def test_nexttopic_for_an_unknown_user_on_an_empty_database(small: Sandbox):
    body = answer(small.client.command("/nexttopic", user="U0NEVERSEEN"))
    assert "0/4" in shown(body)
    assert small.deps.db.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == 0


# --- its buttons ------------------------------------------------------------------------


def test_mark_done_button_ticks_and_undo_unticks(small: Sandbox):
    small.client.action("member_done", "eigen")
    (first,) = responses(small, 1)
    assert "Ticked *Eigenvectors and eigenvalues*" in shown(first)
    assert "1/4" in shown(first) and "builds on *Vectors and spaces*" in shown(first)
    assert first["response_type"] == "ephemeral" and first["replace_original"] is False
    assert progress.done_topics(small.deps.db, MEMBER) == {"eigen"}

    small.client.action("member_done", "eigen")
    assert "already ticked" in shown(responses(small, 2)[-1])

    small.client.action("member_undo", "eigen")
    assert "Unticked" in shown(responses(small, 3)[-1])
    assert progress.done_topics(small.deps.db, MEMBER) == set()


def test_buttons_for_a_topic_gone_from_the_roadmap_say_so(small: Sandbox):
    small.client.action("member_done", "no-such-topic")
    assert "no longer on the roadmap" in shown(responses(small, 1)[0])
    assert progress.done_topics(small.deps.db, MEMBER) == set()


def test_more_resources_button_lists_them_all(small: Sandbox):
    small.client.action("member_resources", "vectors")
    text = shown(responses(small, 1)[0])
    for resource in load(SMALL).topics[0].resources:
        assert resource.title in text


def test_share_posts_the_card_without_anything_personal(small: Sandbox):
    progress.mark_done(small.deps.db, MEMBER, "pca", small.clock.now())
    small.client.action("member_share", "eigen", channel="C0OTHER01")
    (post,) = small.slack.wait_for("chat.postMessage", 1)
    valid(post.params)
    assert post["channel"] == "C0OTHER01"
    assert "response_type" not in post.params
    text = shown(post.params)
    assert "Week 2 of 5: Eigenvectors and eigenvalues" in text
    assert f"Shared by <@{MEMBER}>" in text
    assert "ahead" not in text and "Behind" not in text and "/4" not in text
    blocks = json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]
    assert set(buttons({"blocks": blocks})) == {"member_resources"}
    assert "Shared" in shown(responses(small, 1)[0])


def test_share_failure_is_told_to_the_member_only(small: Sandbox):
    small.slack.fail("chat.postMessage", status=200, error="not_in_channel")
    small.client.action("member_share", "eigen")
    assert "could not post" in shown(responses(small, 1)[0])
    assert not small.slack.messages.get(small.channel)


# --- /resources -------------------------------------------------------------------------


def test_resources_without_argument_is_this_weeks_topic_grouped_by_kind(small: Sandbox):
    small.clock.set(monday(SMALL, 1))
    body = answer(small.client.command("/resources"))
    text = shown(body)
    assert body["text"].startswith("Resources: Vectors and spaces")
    assert text.index("*Courses*") < text.index("*Books*") < text.index("*Videos*")
    assert "*Articles*" in text
    assert "Linear Algebra Done Right" in text and "$45 · Ch. 2 · ~12 h" in text
    assert "5 resources, 4 free" in text and "$45 for the paid ones" in text


def test_resources_free_keeps_only_free_ones(small: Sandbox):
    small.clock.set(monday(SMALL, 1))
    text = shown(answer(small.client.command("/resources", "free")))
    assert "Linear Algebra Done Right" not in text
    assert "Mathematics for Machine Learning" in text and "Showing free resources only" in text


def test_resources_by_keyword_topic_id_and_kind(small: Sandbox):
    text = shown(answer(small.client.command("/resources", "gradient-descent")))
    assert "Gradient descent explained" in text and "$12.50" in text
    text = shown(answer(small.client.command("/resources", "Vectors books")))
    assert "Linear Algebra Done Right" in text and "Essence of linear algebra" not in text
    assert "Showing books only" in text
    text = shown(answer(small.client.command("/resources", "free book vectors")))
    assert "Mathematics for Machine Learning" in text and "Done Right" not in text
    text = shown(answer(small.client.command("/resources", "svd")))  # an alias
    assert "Strang's lectures" in text


def test_resources_filter_that_leaves_nothing_says_what_there_is(small: Sandbox):
    body = answer(small.client.command("/resources", "gradient-descent free"))
    assert "No free resources for" in shown(body) and "1 video" in shown(body)
    assert buttons(body) == {"member_resources": "gradient-descent"}


def test_resources_no_match_gives_did_you_mean_with_buttons(small: Sandbox):
    body = answer(small.client.command("/resources", "eigenvetors"))
    assert "Did you mean" in shown(body) and "Eigenvectors and eigenvalues" in shown(body)
    assert "eigen" in buttons(body).values()
    small.client.action(next(iter(buttons(body))), "eigen")
    assert "Strang's lectures" in shown(responses(small, 1)[0])


def test_resources_nothing_close_points_to_the_roadmap(small: Sandbox):
    body = answer(small.client.command("/resources", "<@U0OTHER> qqqzzz"))
    assert "No topic matches" in shown(body) and "/roadmap" in shown(body)
    assert "<@U0OTHER>" not in json.dumps(body)


def test_resources_help_and_two_kinds(small: Sandbox):
    assert "How to use `/resources`" in shown(answer(small.client.command("/resources", "help")))
    bad = answer(small.client.command("/resources", "books videos"))
    assert "one kind" in shown(bad)


def test_resources_before_the_start_and_after_the_end(small: Sandbox):
    small.clock.set(monday(SMALL, -1))
    assert "Vectors and spaces" in answer(small.client.command("/resources"))["text"]
    small.clock.set(monday(SMALL, 12))
    body = answer(small.client.command("/resources"))
    assert "ended on" in shown(body) and "How to use `/resources`" in shown(body)
    assert "Strang" in shown(answer(small.client.command("/resources", "eigen")))


def test_resources_on_the_real_roadmap_for_every_topic(box: Sandbox):
    roadmap, _ = real()
    for topic in roadmap.topics:
        text = shown(answer(box.client.command("/resources", topic.id)))
        assert topic.title in text
        for resource in topic.resources:
            assert resource.url in text


# --- /roadmap ---------------------------------------------------------------------------


def test_roadmap_lists_stages_and_topics_marks_this_week_and_ticks(small: Sandbox):
    progress.mark_done(small.deps.db, MEMBER, "vectors", small.clock.now())
    body = answer(small.client.command("/roadmap"))
    text = shown(body)
    for topic in load(SMALL).topics:
        assert topic.title in text
    assert "*Mathematics*" in text and "*Machine learning*" in text
    assert ":white_check_mark: *Vectors and spaces*" in text
    assert ":point_right: *Eigenvectors and eigenvalues*" in text and "this week" in text
    assert "1/4" in text
    assert buttons(body) == {}


def test_roadmap_on_the_real_roadmap_lists_every_followed_topic(box: Sandbox):
    roadmap, cal = real()
    pages = roadmap_pages(roadmap, cal)
    seen = ""
    for page in range(1, pages + 1):
        seen += shown(answer(box.client.command("/roadmap", f"page {page}")))
    for topic in cal.topics:
        assert topic.title in seen


def test_roadmap_one_stage(small: Sandbox):
    body = answer(small.client.command("/roadmap", "machine"))
    text = shown(body)
    assert "Gradient descent" in text and "Vectors and spaces" not in text
    assert buttons(body) == {"member_roadmap:all": ":"}
    assert "Gradient descent" in shown(answer(small.client.command("/roadmap", "ML")))


def test_roadmap_bad_arguments_and_help(small: Sandbox):
    assert "How to use `/roadmap`" in shown(answer(small.client.command("/roadmap", "help")))
    assert "only 1 page" in shown(answer(small.client.command("/roadmap", "page 2")))
    assert "needs a number" in shown(answer(small.client.command("/roadmap", "page two")))
    unknown = answer(small.client.command("/roadmap", "<!here> astrology"))
    assert "No stage" in shown(unknown) and "math (Mathematics)" in shown(unknown)
    assert "<!here>" not in json.dumps(unknown)


def write_long_roadmap(path: Path, topics: int, stages: int = 4, title_len: int = 140) -> Path:
    """A roadmap far longer than one message, with very long titles."""
    lines = [
        "title: A very long roadmap",
        "schedule:",
        "  timezone: UTC",
        "  start: 2026-09-07",
        '  weekly: {weekday: monday, time: "09:00"}',
        "stages:",
    ]
    per_stage = -(-topics // stages)
    n = 0
    for s in range(stages):
        lines += [f"  - id: stage{s}", f"    title: Stage {s} {'x' * 60}", "    topics:"]
        for _ in range(per_stage):
            if n >= topics:
                break
            name = f"Topic {n} " + "word " * (title_len // 5)
            lines += [
                f"      - id: t{n}",
                f"        title: {name.strip()}",
                "        weeks: 1",
                f"        summary: {'Long summary. ' * 40}",
                f"        key_points: [{', '.join(['A point ' * 20] * 8)}]",
                "        resources:",
                *(
                    f"          - {{title: Resource {r} {'r' * 120}, url: "
                    f'"https://example.com/{n}/{r}", kind: book, cost: {r}, hours: 2}}'
                    for r in range(4)
                ),
                '        prompts: ["Why?"]',
            ]
            if n:
                lines.append(f"        prerequisites: [t{n - 1}]")
            n += 1
    path.write_text("\n".join(lines) + "\n")
    load(path)
    return path


@pytest.fixture
def long_box(tmp_path: Path) -> Iterator[Sandbox]:
    path = write_long_roadmap(tmp_path / "long.yaml", 130)
    clock = ManualClock(monday(path, 60))
    with Sandbox(roadmap_path=path, db_path=tmp_path / "l.db", clock=clock) as sandbox:
        yield sandbox


def test_a_long_roadmap_is_paginated_within_slacks_limits(long_box: Sandbox):
    box = long_box
    for n in range(0, 130, 7):
        progress.mark_done(box.deps.db, MEMBER, f"t{n}", box.clock.now())
    roadmap = box.deps.roadmap
    cal = calendar.Calendar(roadmap.topics, roadmap.schedule.start)
    paged = roadmap_page_topics(roadmap, cal)
    n = len(paged)
    assert n >= 3 and sum(len(p) for p in paged) == 130
    here = next(i + 1 for i, p in enumerate(paged) if any(t.id == "t59" for t in p))
    assert 1 < here < n
    body = answer(box.client.command("/roadmap"))  # week 60: t59, on page `here`
    assert f"(page {here} of {n})" in body["text"]
    assert "t59" in shown(body) and "this week" in shown(body)
    nav = buttons(body)
    assert nav == {"member_roadmap:prev": f":{here - 1}", "member_roadmap:next": f":{here + 1}"}
    box.client.action("member_roadmap:next", nav["member_roadmap:next"])
    (after,) = responses(box, 1)
    assert f"(page {here + 1} of {n})" in after["text"] and after["replace_original"] is True
    last = answer(box.client.command("/roadmap", str(n)))
    assert "t129" in shown(last) and "member_roadmap:next" not in buttons(last)
    seen = "".join(
        shown(answer(box.client.command("/roadmap", f"page {i}"))) for i in range(1, n + 1)
    )
    assert all(f"`t{i}`" in seen for i in range(130))
    stage = answer(box.client.command("/roadmap", "stage1"))  # t33..t65
    assert "Stage 1" in stage["text"] and "t59" in shown(stage) and "t32`" not in shown(stage)


def test_long_topics_still_fit_every_command(long_box: Sandbox):
    box = long_box
    for command, text in [
        ("/nexttopic", ""),
        ("/resources", ""),
        ("/resources", "t5 free"),
        ("/progress", ""),
        ("/progress", "done t70"),
        ("/roadmap", "stage3"),
    ]:
        answer(box.client.command(command, text))
    box.client.action("member_resources", "t3")
    box.client.action("member_done", "t100")
    responses(box, 2)


# --- /progress --------------------------------------------------------------------------


def test_progress_overview_on_an_empty_database(small: Sandbox):
    body = answer(small.client.command("/progress", user="U0NEWBIE1"))
    text = shown(body)
    assert "0/4 (0%)" in text and "*Mathematics* 0/2" in text
    assert "Up next for you:* *Eigenvectors and eigenvalues*" in text
    assert "builds on *Vectors and spaces*" in text
    assert buttons(body)["member_done"] == "eigen"


def test_progress_done_and_undo_this_weeks_topic_or_a_named_one(small: Sandbox):
    body = answer(small.client.command("/progress", "done"))
    assert "Ticked *Eigenvectors and eigenvalues*" in shown(body)
    assert "builds on *Vectors and spaces*" in shown(body)
    body = answer(small.client.command("/progress", "done Vectors and spaces"))
    assert "Ticked *Vectors and spaces*" in shown(body) and "2/4" in shown(body)
    assert "builds on" not in shown(body)
    assert progress.done_topics(small.deps.db, MEMBER) == {"eigen", "vectors"}
    assert "already ticked" in shown(answer(small.client.command("/progress", "done eigen")))
    assert "Unticked" in shown(answer(small.client.command("/progress", "undo vectors")))
    assert "was not ticked" in shown(answer(small.client.command("/progress", "undo vectors")))
    text = shown(answer(small.client.command("/progress")))
    assert "1/4" in text and "Behind the group on *Vectors and spaces*" in text


def test_progress_done_points_out_missing_prerequisites_transitively(small: Sandbox):
    text = shown(answer(small.client.command("/progress", "done pca")))
    for title in ("Vectors and spaces", "Eigenvectors and eigenvalues", "Gradient descent"):
        assert title in text


def test_progress_done_ambiguous_asks_which(small: Sandbox):
    body = answer(small.client.command("/progress", "done eigenvectors"))
    # "eigenvectors" names eigen's title and is a key point of pca
    if "Several topics match" in shown(body):
        assert "eigen" in buttons(body).values()
    else:
        assert "Ticked *Eigenvectors and eigenvalues*" in shown(body)


def test_progress_done_of_a_word_several_topics_carry_asks_with_a_button_each(box: Sandbox):
    # "regression": an alias of Supervised learning, and in two other topics' titles.
    body = answer(box.client.command("/progress", "done regression"))
    assert "Several topics match" in shown(body)
    picks = buttons(body)
    assert sorted(picks.values()) == [
        "linear-regression",
        "logistic-regression",
        "supervised-learning",
    ]
    assert progress.done_topics(box.deps.db, MEMBER) == set()
    [action] = [a for a, v in picks.items() if v == "logistic-regression"]
    box.client.action(action, "logistic-regression")
    assert "Ticked *Logistic regression*" in shown(responses(box, 1)[0])
    assert progress.done_topics(box.deps.db, MEMBER) == {"logistic-regression"}
    # Named outright (its title, or the only topic carrying the words): no question asked.
    assert "Ticked *Linear regression*" in shown(
        answer(box.client.command("/progress", "done linear regression"))
    )
    # Undo among several: the only one of them ticked is meant.
    answer(box.client.command("/progress", "undo linear regression"))
    body = answer(box.client.command("/progress", "undo regression"))
    assert "Unticked *Logistic regression*" in shown(body)


@pytest.mark.parametrize("word", ["here", "week", "learn", "math"])
def test_progress_done_of_a_word_only_a_summary_carries_ticks_nothing(box: Sandbox, word: str):
    # "here": Matrices' summary ends "...starts here."; no topic is named so.
    body = answer(box.client.command("/progress", f"done {word}"))
    assert "Ticked" not in shown(body)
    assert "No topic matches" in shown(body) or "Several topics match" in shown(body)
    assert progress.done_topics(box.deps.db, MEMBER) == set()


def test_qa_topic_filter_of_a_word_only_a_summary_carries_names_no_topic(box: Sandbox):
    body = answer(box.client.command("/qa", "topic:here"))
    assert "There is no topic `here`" in shown(body)


def test_progress_undo_of_a_topic_never_ticked_offers_no_tick_again(small: Sandbox):
    body = answer(small.client.command("/progress", "undo vectors"))
    assert "was not ticked" in shown(body)
    assert "Tick it again" not in json.dumps(body) and "member_done" not in buttons(body)
    small.client.command("/progress", "done vectors")
    body = answer(small.client.command("/progress", "undo vectors"))
    assert "Unticked" in shown(body) and buttons(body) == {"member_done": "vectors"}


def test_progress_done_unknown_topic_did_you_mean(small: Sandbox):
    body = answer(small.client.command("/progress", "done gradiant descnt"))
    assert "Did you mean" in shown(body) and "gradient-descent" in buttons(body).values()
    assert progress.done_topics(small.deps.db, MEMBER) == set()
    small.client.action(next(iter(buttons(body))), "gradient-descent")
    assert "Ticked *Gradient descent*" in shown(responses(small, 1)[0])


def test_progress_help_and_bad_subcommand(small: Sandbox):
    assert "How to use `/progress`" in shown(answer(small.client.command("/progress", "help")))
    bad = answer(small.client.command("/progress", "<!everyone> finish"))
    assert "I don't know" in shown(bad) and "<!everyone>" not in json.dumps(bad)


def test_progress_done_with_no_topic_this_week(small: Sandbox):
    small.clock.set(monday(SMALL, -2))
    assert "starts on" in shown(answer(small.client.command("/progress", "done")))
    small.clock.set(monday(SMALL, 20))
    body = answer(small.client.command("/progress", "done"))
    assert "ended on" in shown(body)
    assert "Ticked" in shown(answer(small.client.command("/progress", "done pca")))
    text = shown(answer(small.client.command("/progress")))
    assert "1/4" in text and "Behind the group" in text


def test_progress_on_the_real_roadmap(box: Sandbox):
    roadmap, cal = real()
    week = cal.week_of(box.clock.now().astimezone(roadmap.schedule.tz).date())
    assert week.topic is not None
    body = answer(box.client.command("/progress", "done"))
    assert week.topic.title in shown(body) and f"1/{len(cal.topics)}" in shown(body)
    assert progress.done_topics(box.deps.db, MEMBER) == {week.topic.id}


# --- all of them ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/nexttopic", "/resources", "/roadmap", "/progress", "/ask"])
def test_every_member_command_has_help(small: Sandbox, command: str):
    body = answer(small.client.command(command, "help"))
    assert f"How to use `{command}`" in shown(body)
    assert small.slack.posts() == []


@pytest.mark.slow
def test_nexttopic_follows_writes_from_another_process(small: Sandbox):
    """The card is remembered between requests; a write by any process still shows at once."""
    first = answer(small.client.command("/nexttopic"))
    assert answer(small.client.command("/nexttopic")) == first
    assert "0/4" in shown(first)
    week = monday(SMALL, 2).date().isoformat()
    script = (
        "import datetime as dt, sys\n"
        "from bot.core import calendar, db, progress\n"
        "conn = db.connect(sys.argv[1])\n"
        "progress.mark_done(conn, sys.argv[2], 'vectors', dt.datetime.now(dt.UTC))\n"
        "if len(sys.argv) > 3:\n"
        "    change = calendar.Change('skip', dt.date.fromisoformat(sys.argv[3]))\n"
        "    calendar.record_change(conn, change)\n"
    )
    other = [sys.executable, "-c", script, str(small.deps.settings.db_path), MEMBER]
    subprocess.run(other, check=True, cwd=Path(__file__).parent.parent)
    ticked = shown(answer(small.client.command("/nexttopic")))
    assert "1/4" in ticked and "In step with the group" in ticked
    subprocess.run([*other, week], check=True, cwd=Path(__file__).parent.parent)
    assert "No session this week" in shown(answer(small.client.command("/nexttopic")))


def test_roadmap_page_of_a_digit_that_is_no_number_gets_the_usage_card(small: Sandbox):
    body = answer(small.client.command("/roadmap", "page ²"))
    assert "`page` needs a number" in shown(body)


def test_roadmap_header_names_both_years_when_the_span_crosses_one(box: Sandbox):
    cal = box.deps.calendar()
    assert cal.start.year != cal.end.year
    text = shown(answer(box.client.command("/roadmap")))
    assert f"{cal.start:%a %b %-d, %Y} – {cal.end:%a %b %-d, %Y}" in text


def test_qa_topic_without_a_name_gets_the_usage_card(box: Sandbox):
    body = answer(box.client.command("/qa", "topic:"))
    assert "Name a topic after `topic:`" in shown(body)
