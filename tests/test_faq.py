"""`studybot faq export`: answered Q&A as Markdown, by stage and topic, accepted answer first."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli import faq
from bot.core import marks, questions
from bot.core.roadmap_load import load
from tests.processes import studybot
from tests.qa_kit import (
    ADMIN,
    ASKER,
    HELPER,
    OTHER,
    QA_ROADMAP,
    deleted,
    reaction,
    reply,
    say,
    send,
)

ROADMAP = load(QA_ROADMAP)


def ask_in_week(box, week: int, user: str, text: str) -> dict:
    """Ask while week N of the test roadmap is on (its topic N)."""
    start = dt.datetime.combine(
        ROADMAP.schedule.start + dt.timedelta(weeks=week - 1), dt.time(12), ROADMAP.schedule.tz
    )
    box.clock.set(start)
    return say(box, user, text)


def answered(box, question: dict, *answers: tuple[str, str], accept: int = 0) -> list[dict]:
    events = [reply(box, question, user, text) for user, text in answers]
    send(box, reaction(box, question["user"], events[accept]))
    return events


def export(box, **kwargs) -> str:
    return faq.export(box.deps.db, ROADMAP, team_url="https://team.slack.com/", **kwargs)


def build(box) -> dict:
    topics = ROADMAP.topics  # vectors, eigen (stage 1), chain-rule, gradients (stage 2)
    late = ask_in_week(box, 4, ASKER, "Q: gradient of a &lt;b&gt;norm&lt;/b&gt; &amp; friends")
    answered(box, late, (HELPER, "2x / ||x||"))
    early = ask_in_week(box, 1, OTHER, "What is a vector <!channel>?")
    first, accepted = answered(
        box, early, (HELPER, "An arrow"), (ASKER, "An *element* of a vector space"), accept=1
    )
    unanswered = ask_in_week(box, 2, ASKER, "What is an eigenvector?")
    gone = ask_in_week(box, 2, OTHER, "Deleted question?")
    answered(box, gone, (HELPER, "soon gone"))
    send(box, deleted(box, gone))
    anon = questions.add_question(
        box.deps.db,
        channel=box.channel,
        ts=box.slack.next_ts(),
        user=ASKER,
        text="Anonymous: what's the SVD for?",
        asked_at=box.clock.now(),
        topic_id=topics[1].id,
        source="ask",
        anonymous=True,
    )
    marks.add_mark(
        box.deps.db,
        channel=box.channel,
        item_ts=anon.ts,
        user=ADMIN,
        kind=marks.BUTTON,
        at=box.clock.now(),
        organizer=True,
    )
    reply_event = box.slack.add_message(box.channel, HELPER, "Compression", thread_ts=anon.ts)
    send(box, reply_event)
    return {"early": early, "first": first, "accepted": accepted, "unanswered": unanswered}


def test_grouped_by_stage_and_topic_in_roadmap_order(qa_box):
    build(qa_box)
    text = export(qa_box)
    stages = [s.title for s in ROADMAP.stages]
    topics = [t.title for t in ROADMAP.topics]
    order = [
        text.index(f"## {stages[0]}"),
        text.index(f"### {topics[0]}"),  # week 1
        text.index(f"### {topics[1]}"),  # the anonymous SVD question
        text.index(f"## {stages[1]}"),
        text.index(f"### {topics[3]}"),  # week 4
    ]
    assert order == sorted(order)
    assert f"### {topics[2]}" not in text  # no answered questions there


def test_answered_only_accepted_first_deleted_left_out(qa_box):
    events = build(qa_box)
    text = export(qa_box)
    assert "What is an eigenvector?" not in text
    assert "Deleted question" not in text and "soon gone" not in text
    section = text[text.index("What is a vector") :]
    assert section.index("An *element* of a vector space") < section.index("An arrow")
    assert "**Accepted answer**" in section.split("An arrow")[0]
    ts = events["accepted"]["ts"].replace(".", "")
    assert f"https://team.slack.com/archives/{qa_box.channel}/p{ts}?thread_ts=" in text


def test_text_is_plain_and_anonymous_askers_are_unnamed(qa_box):
    build(qa_box)
    text = export(qa_box, name=lambda user: f"@name-of-{user}")
    assert "What is a vector @channel?" in text
    assert "<!channel>" not in text
    # Plain, as members wrote it; a tag they typed stays text in any Markdown viewer.
    assert "gradient of a \\<b>norm\\</b> & friends" in text
    assert "&amp;" not in text
    svd = text[text.index("what's the SVD for") :].split("####")[0]
    assert "Asked by anonymous" in svd
    assert ASKER not in svd
    assert f"@name-of-{OTHER}" in text


def test_topic_filter(qa_box):
    build(qa_box)
    only = export(qa_box, topic_id=ROADMAP.topics[0].id)
    assert "What is a vector" in only
    assert "gradient" not in only and "SVD" not in only


def test_export_command_writes_the_file_and_refuses_unknown_topics(qa_box, tmp_path, capsys):
    build(qa_box)
    out = tmp_path / "faq.md"
    settings = qa_box.settings
    assert faq.export_command(settings, topic=None, out=str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# {ROADMAP.title}")
    assert "What is a vector" in text
    assert "standin.slack.com/archives" in text  # the workspace URL from auth.test
    assert f"@{HELPER.lower()}" in text  # names from users.info
    assert faq.export_command(settings, topic="nope", out=str(out)) == 2
    assert "no topic 'nope'" in capsys.readouterr().err
    # Named as in /qa topic: a word of a title, or an id misspelt a little.
    assert faq.export_command(settings, topic="svd", out=str(out)) == 0
    assert "Only the topic *Eigenvectors & SVD*" in out.read_text(encoding="utf-8")
    assert faq.export_command(settings, topic="vectr", out=str(out)) == 0
    assert "Only the topic *Vectors*" in out.read_text(encoding="utf-8")
    assert faq.export_command(settings, out=str(tmp_path / "missing" / "faq.md")) == 1
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.slow
def test_studybot_faq_export_without_slack(qa_box, tmp_path):
    build(qa_box)
    settings = qa_box.settings
    env = {"STUDYBOT_DB": settings.db_path, "STUDYBOT_ROADMAP": settings.roadmap_path}
    topic = ROADMAP.topics[0].id
    result = studybot("faq", "export", "--topic", topic, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "What is a vector" in result.stdout
    assert "gradient" not in result.stdout
    assert "https://slack.com/archives/" in result.stdout  # no token: links via slack.com


def test_empty_archive(qa_box):
    assert "No answered questions yet" in export(qa_box)
