"""``python -m qa`` is the ``corpus-qa`` command."""

from .cli import main

raise SystemExit(main())
