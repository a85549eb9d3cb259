"""Where the tests find the project's roadmap, their fixture files and the shared Slack payloads."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROADMAP = ROOT / "roadmap.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAYLOADS = ROOT.parent / "shared" / "slack-payloads"
