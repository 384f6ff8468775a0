"""The `amends` command: `amends <name> [options]` runs the Django management command of that name.

`amends run` starts everything (web + worker), `amends worker` the background loop, `amends tick --now …`
one watchdog tick; `amends help` lists every command.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    try:
        execute_from_command_line(["amends", *args[1:]])
    except KeyboardInterrupt:  # Ctrl-C before a command installed its own handler: no traceback
        sys.exit(130)


if __name__ == "__main__":
    main()
