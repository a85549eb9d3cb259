"""One home for how things read in a message: links, message links, resources, dates, money, hours."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.core.text import escape, from_plain, truncate

if TYPE_CHECKING:
    from bot.core.calendar import Week
    from bot.core.roadmap import Resource

# Slack redirects this host's archive links to the reader's workspace, so a link can be built
# without an API call (the ack must come within 3 s) and still opens the message.
SLACK_URL = "https://slack.com/"
TITLE_CHARS = 100  # a title inside a line; headers and buttons have their own limits


def safe(text: str, limit: int | None = None) -> str:
    """Roadmap text (written by organizers) for mrkdwn: on one line, shown as written, never a
    mention; shortened to `limit` characters when given."""
    one_line = " ".join(text.split())
    return escape(truncate(one_line, limit) if limit else one_line)


def title(text: str) -> str:
    """A title (topic, stage, roadmap) inside a line: `safe()` at TITLE_CHARS."""
    return safe(text, TITLE_CHARS)


def link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>`: the URL percent-encoded where mrkdwn would cut it, the
    label (plain text) escaped, its `|` replaced so it cannot end the label early."""
    if not url:
        return safe(label, TITLE_CHARS)
    encoded = url.replace(" ", "%20").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    text = from_plain(truncate(" ".join(label.split()), TITLE_CHARS)).replace("|", "/")
    return f"<{encoded}|{text}>"


def team_url(team_domain: str | None) -> str:
    """The workspace's address from a payload's `team_domain`, else Slack's redirecting one."""
    return f"https://{team_domain}.slack.com/" if team_domain else SLACK_URL


def message_link(channel: str, ts: str, thread_ts: str | None = None, team: str = SLACK_URL) -> str:
    """Slack's permalink shape: <team>archives/C…/p<ts without the dot>, with the thread of a
    reply so Slack opens it in place."""
    base = team if team.endswith("/") else team + "/"
    url = f"{base}archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        url += f"?thread_ts={thread_ts}&cid={channel}"
    return url


def money(amount: float) -> str:
    """`$45`, `$39.50`."""
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"


def cost(amount: float) -> str:
    """A resource's price: `*free*` (what a member on a budget looks for first), else money."""
    return "*free*" if amount == 0 else money(amount)


def hours(amount: float) -> str:
    """`~12 h`, `~6.3 h`, `~0.25 h` (a sum or a share of a week, rounded as an estimate)."""
    return f"~{round(amount, 1 if amount >= 1 else 2):g} h"


def workload(core: float, optional: float, weeks: int = 1) -> str:
    """`core ~6 h · optional ~12 h`; over several weeks the core also a week:
    `core ~6 h (~3 h a week) · optional ~12 h`. A part without hours is left out."""
    parts = []
    if core:
        a_week = f" ({hours(core / weeks)} a week)" if weeks > 1 else ""
        parts.append(f"core {hours(core)}{a_week}")
    if optional:
        parts.append(f"optional {hours(optional)}")
    return " · ".join(parts)


def day(d: dt.date, year: bool = False) -> str:
    """`Mon Nov 23` (with the year: `Mon Nov 23, 2026`)."""
    return f"{d:%a %b %-d, %Y}" if year else f"{d:%a %b %-d}"


def date_range(start: dt.date, end: dt.date) -> str:
    """`Nov 23 – Nov 29`."""
    return f"{start:%b %-d} – {end:%b %-d}"


def week_dates(week: Week) -> str:
    """A calendar week's dates, Monday to Sunday."""
    return date_range(week.start, week.end)


def resource_line(resource: Resource, with_kind: bool = True) -> str:
    """`• <url|Title> — book · $45 · Ch. 2 · ~12 h`"""
    facts = [
        resource.kind if with_kind else None,
        cost(resource.cost_usd),
        safe(resource.section, 80) if resource.section else None,
        hours(resource.hours) if resource.hours else None,
    ]
    return f"• {link(resource.url, resource.title)} — " + " · ".join(f for f in facts if f)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 topic`, `3 topics` (`many`: the plural when it is not word + s: `2 tries`). The one
    place a count meets its noun: never write `{n} topics` in a message."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"
