"""``python -m boostobj``: the ``boostobj`` command (see :mod:`boostobj.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
