"""Bolt listeners: thin adapters that parse a payload, call the core and render blocks; each
module's register(routes) names what it takes (bot/slack/routes.py), and they never import
each other (what two share lives in a bot/slack module named for its job)."""
