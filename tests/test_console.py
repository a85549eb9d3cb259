"""`studybot console` with piped stdin."""

from __future__ import annotations

import pytest

from bot.core.roadmap_load import load
from tests.conftest import ROADMAP
from tests.processes import studybot

pytestmark = pytest.mark.slow  # `studybot console` as a subprocess


def test_piped_nexttopic_prints_the_current_topic_and_exits_0():
    result = studybot("console", env={"PYTHONIOENCODING": "utf-8"}, stdin="/nexttopic\n")
    assert result.returncode == 0, result.stderr
    titles = [t.title for t in load(ROADMAP).topics]
    assert any(t.upper() in result.stdout or t in result.stdout for t in titles), result.stdout
    assert "Traceback" not in result.stderr


def test_piped_question_answer_and_tick_show_up_in_qa():
    script = "Is SVD just PCA?\nreply PCA is the SVD of centered data.\nreact white_check_mark\n/qa svd\n"
    result = studybot("console", env={"PYTHONIOENCODING": "utf-8"}, stdin=script)
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("> /qa svd", 1)[1]
    assert "Is SVD just PCA?" in after and "Answered" in after, result.stdout
