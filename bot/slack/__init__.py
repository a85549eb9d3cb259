"""The Slack edge: the Bolt app and its wiring, listeners, Block Kit rendering, delivery, the HTTP server."""
