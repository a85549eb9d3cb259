"""The house rules a newcomer relies on, checked: documented core, public APIs, no test hooks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.paths import ROOT

BOT = ROOT / "bot"


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_every_module_says_what_it_is_for_in_its_first_line():
    for path in modules(BOT):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and doc.strip(), f"{path.relative_to(ROOT)} has no module docstring"


def test_every_public_function_and_class_of_the_core_has_a_docstring():
    missing = []
    for path in modules(BOT / "core"):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.FunctionDef | ast.ClassDef) or node.name.startswith("_"):
                continue
            members = node.body if isinstance(node, ast.ClassDef) else []
            for item in [node, *members]:
                public = isinstance(item, ast.FunctionDef | ast.ClassDef) and item.name[0] != "_"
                if public and not ast.get_docstring(item):
                    missing.append(f"{path.relative_to(ROOT)}:{item.lineno} {item.name}")
    assert missing == []


def test_no_private_api_of_bolt_slack_sdk_or_apscheduler():
    """Internals break on upgrade: `_name` attributes of their objects, or private modules."""
    private_use = re.compile(
        r"\.(_lookup_jobstore|_lookup_executor|_get_run_times|_modify|_process_jobs)\b"
        r"|slack_bolt\.(util|kwargs_injection)\b|get_arg_names_of_callable"
    )
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in modules(BOT)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if private_use.search(line)
    ]
    assert found == []


def test_no_test_hooks_in_the_package():
    hooks = re.compile(r"os\._exit|STUDYBOT_TEST|PYTEST_CURRENT_TEST")
    found = [
        f"{p.relative_to(ROOT)}: {line.strip()}"
        for p in modules(BOT)
        for line in p.read_text().splitlines()
        if hooks.search(line)
    ]
    # One hard exit is the process's own: `studybot run` stopping while replies are stuck on
    # a slow Slack, once the shutdown's wait is over (tests/test_http_mode.py covers it).
    assert found == ["bot/cli/main.py: os._exit(0)"]


def test_only_the_command_line_reads_the_environment():
    readers = [
        str(p.relative_to(ROOT))
        for p in modules(BOT)
        if re.search(r"os\.environ|os\.getenv", p.read_text()) and not p.is_relative_to(BOT / "cli")
    ]
    assert readers == []
