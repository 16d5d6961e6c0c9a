"""``python -m ui [--corpus DIR] [--host H] [--port N]`` starts the chat."""

from qa.cli import main

raise SystemExit(main(["chat", *__import__("sys").argv[1:]]))
