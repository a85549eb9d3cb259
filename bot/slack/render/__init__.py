"""Rendering to Block Kit: pure functions from plain values to message and view dicts.

One module per thing drawn: `blocks` (the builders, within Slack's limits), `ids` (action and
callback ids the listeners match), `phrases` (small shared phrases), `usage` (help cards),
`topic` (/nexttopic), `resources`, `choose` (no match / which topic), `roadmap`, `progress`,
`ask`, `notices` (one-line answers) and `home` (the App Home tab and the welcome).
"""
