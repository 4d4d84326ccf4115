"""`python -m craft_tui` behaves exactly like the `craft-tui` command."""

from craft_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
