"""The studybot command line, the console and the local Slack stand-in."""
