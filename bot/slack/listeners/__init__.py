"""Bolt listeners: thin adapters that parse a payload, call the core and render blocks."""
