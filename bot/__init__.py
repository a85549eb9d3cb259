"""Study Companion: a Slack app that runs a team's reading group through a curriculum."""

__version__ = "0.1.0"
