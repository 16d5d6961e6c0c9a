"""``python -m ui`` is the ``corpus-qa`` command (``python -m ui chat`` starts the chat)."""

from .cli import main

raise SystemExit(main())
