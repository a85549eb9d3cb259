"""How to use each member command: the help card, also shown with what went wrong."""

from __future__ import annotations

from bot.slack.render import blocks as bk
from bot.slack.render.phrases import Message
from bot.slack.render.resources import KIND_ORDER

# What a member types to see a command's card (`/buddy help`, `/review ?`, ...).
HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})

USAGE: dict[str, list[tuple[str, str]]] = {
    "/nexttopic": [
        ("", "this week's topic, its best resources, what comes next, and where you stand"),
        ("help", "this card"),
    ],
    "/resources": [
        ("", "what to read for this week's topic"),
        (
            "&lt;keyword | topic id&gt;",
            "resources for another topic, e.g. `/resources eigenvectors`",
        ),
        ("free", "only the free ones (combine: `/resources svd free`)"),
        ("&lt;kind&gt;", "only one kind: " + ", ".join(KIND_ORDER)),
    ],
    "/roadmap": [
        ("", "every stage and topic, this week and your ticks marked"),
        ("page &lt;N&gt;", "another page of a long roadmap"),
        ("&lt;stage&gt;", "one stage only (its id or a word of its title)"),
    ],
    "/progress": [
        ("", "your progress bar, and what the group has covered that you have not"),
        ("done [topic]", "tick a topic (this week's when none is named)"),
        ("undo [topic]", "untick it again"),
    ],
    "/ask": [
        ("&lt;your question&gt;", "posts it to the study channel for you"),
        ("", "opens a form: pick the topic, or ask anonymously"),
    ],
    "/review": [
        ("", "your next due recall card (from the topics you ticked), privately"),
        ("all", "also review every topic the group has covered (`mine`: only your ticks)"),
        ("on [HH:MM]", "a DM at that time (your time zone) on days cards are due"),
        ("off", "no more review DMs"),
        ("export", "your review data as a CSV file, in a DM"),
        ("forget", "delete all your review data (asks first)"),
    ],
    "/buddy": [
        ("", "whether you're signed up, and this week's study buddies"),
        ("on", "pair me each week with another member for the week's code exercise"),
        ("off", "stop pairing me"),
    ],
    "/lead": [
        ("", "whether you volunteer, who leads this week's discussion and who is next"),
        ("on", "volunteer to lead the discussion when it's your turn"),
        ("off", "leave the rotation"),
    ],
}


def usage(command: str, problem: str | None = None) -> Message:
    """The short help card for one of the member commands."""
    return bk.usage_card(command, USAGE[command], problem)
