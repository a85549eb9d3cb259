"""Block builders stay within Slack's limits; member text is escaped once and never pings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.render import blocks as bk
from tests.blockkit import assert_valid_message


def test_escape_neutralises_every_kind_of_mention():
    raw = "hey <!channel> <!here> <!everyone> <@U123|bob> <!subteam^S1|@devs> see <#C1|general>"
    shown = bk.escape(raw)
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U123", "<!subteam"):
        assert ping not in shown
    assert "@channel" in shown and "@bob" in shown and "@devs" in shown and "#general" in shown


def test_escape_keeps_entities_and_links_without_double_escaping():
    assert bk.escape("a &amp; b &lt;tag&gt;") == "a &amp; b &lt;tag&gt;"
    assert bk.escape("<https://example.com|docs>") == "<https://example.com|docs>"
    assert bk.plain("a &amp; b &lt;!channel&gt;") == "a & b <!channel>"


@given(st.text(max_size=400))
def test_escaped_text_never_holds_a_control_sequence_but_links(raw):
    shown = bk.escape(raw)
    i = shown.find("<")
    while i != -1:
        assert shown.startswith(("<http://", "<https://", "<mailto:"), i), shown
        i = shown.find("<", i + 1)


@given(st.text(min_size=1, max_size=12000))
def test_long_text_is_split_into_valid_sections(text):
    blocks = bk.sections(text)
    assert_valid_message(bk.message("fallback", blocks[:50]))


def test_message_caps_blocks_and_says_so():
    payload = bk.message("many", [bk.section(f"item {i}") for i in range(80)])
    assert len(payload["blocks"]) == 50
    assert "more" in payload["blocks"][-1]["elements"][0]["text"]
    assert_valid_message(payload)


def test_header_and_button_are_truncated():
    assert len(bk.header("x" * 500)["text"]["text"]) <= 150
    assert len(bk.button("y" * 100, "a")["text"]["text"]) <= 75
