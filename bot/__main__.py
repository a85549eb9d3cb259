"""`python -m bot` is the `studybot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
