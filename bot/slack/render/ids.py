"""Action ids and view callback ids: the listeners' routes and the renderers agree on these."""

from __future__ import annotations

# Action ids (routed by bot/slack/listeners/actions.py). Buttons of one message need distinct
# ids, so a family that repeats in a message (did-you-mean, page arrows) gets a ":suffix" the
# pattern allows.
DONE = "member_done"
UNDO = "member_undo"
RESOURCES = "member_resources"
SHARE = "member_share"
ROADMAP = "member_roadmap"
ASK_VIEW = "member_ask"  # callback_id of the /ask modal (listeners/actions.py)
ASK_QUESTION, ASK_TOPIC, ASK_ANON = "question", "topic", "anonymous"  # its input blocks

# The Home tab's buttons (routed by bot/slack/listeners/home.py); the organizer controls are
# HOME_ADMIN + skip | extend | pause | resume (bot.slack.organizer_controls.CONTROLS).
HOME_DONE = "home_done"
HOME_RESOURCES = "home_resources"
HOME_ASK = "home_ask"
HOME_ADMIN = "home_admin_"

# /review's buttons (routed by bot/slack/listeners/review.py); the grade buttons are
# REVIEW_GRADE + again | hard | good | easy, each with the card's `topic_id:index` as value.
REVIEW_START = "review_start"
REVIEW_SHOW = "review_show"
REVIEW_GRADE = "review_grade_"
REVIEW_FORGET = "review_forget"
REVIEW_KEEP = "review_keep"

# The pace vote's buttons (routed by bot/slack/listeners/vote.py): PACE_VOTE + yes | no on the
# mid-week nudge and PACE_VETO in the organizers' notice, each with the week's key as value.
PACE_VOTE = "pace_vote_"
PACE_VETO = "pace_veto"
