"""Bolt listeners: each module's register(routes) names what it takes; none imports another."""
