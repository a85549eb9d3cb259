"""Rendering to Block Kit: pure functions from plain values to message and view dicts."""
