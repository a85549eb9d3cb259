"""bot.core.format: one way to write a link, a message link, a resource, a date, a price."""

from __future__ import annotations

import datetime as dt

from bot.core import format as fmt
from bot.core.roadmap import Resource


def test_resource_line_shows_kind_cost_section_and_hours():
    line = fmt.resource_line(Resource("Strang & co", "https://x.org/a b", "book", 45.5, "Ch 2", 3))
    assert line == "• <https://x.org/a%20b|Strang &amp; co> — book · $45.50 · Ch 2 · ~3 h"


def test_a_free_resource_says_so_in_bold_and_can_leave_out_its_kind():
    line = fmt.resource_line(Resource("3b1b", "https://y.org/v", "video", 0, None, 2), False)
    assert line == "• <https://y.org/v|3b1b> — *free* · ~2 h"


def test_a_link_cannot_be_broken_by_its_url_or_label():
    assert fmt.link("https://x.org/a|b<c>", "A | B <!channel>") == (
        "<https://x.org/a%7Cb%3Cc%3E|A / B &lt;!channel&gt;>"
    )
    assert fmt.link("", "no <url>") == "no &lt;url&gt;"


def test_message_links_open_the_message_and_its_thread():
    assert fmt.message_link("C1", "1.000200") == "https://slack.com/archives/C1/p1000200"
    assert fmt.message_link("C1", "1.000200", team="https://t.slack.com/") == (
        "https://t.slack.com/archives/C1/p1000200"
    )
    assert fmt.message_link("C1", "2.000001", "1.000200", "https://t.slack.com") == (
        "https://t.slack.com/archives/C1/p2000001?thread_ts=1.000200&cid=C1"
    )
    assert fmt.message_link("C1", "1.000200", team=fmt.team_url("acme")) == (
        "https://acme.slack.com/archives/C1/p1000200"
    )
    assert fmt.team_url(None) == fmt.SLACK_URL


def test_money_hours_and_dates():
    assert (fmt.money(45), fmt.money(39.5), fmt.money(1200)) == ("$45", "$39.50", "$1,200")
    assert fmt.hours(2.5) == "~2.5 h"
    assert fmt.date_range(dt.date(2026, 11, 23), dt.date(2026, 11, 29)) == "Nov 23 – Nov 29"
    assert fmt.day(dt.date(2026, 11, 23)) == "Mon Nov 23"
    assert fmt.day(dt.date(2026, 11, 23), year=True) == "Mon Nov 23, 2026"


def test_roadmap_text_is_shown_as_written_on_one_line_never_as_a_mention():
    assert fmt.safe("a\n  <!here> & b") == "a @here &amp; b"
    assert fmt.title("x" * 150).endswith("…") and len(fmt.title("x" * 150)) == fmt.TITLE_CHARS
