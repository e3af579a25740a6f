"""One description per estimator parameter, composed into each estimator's docstring.

The estimators share most parameters (the backend's hyper-parameters, the masks, the
hooks) but scikit-learn wants each concrete class to list them in its own ``__init__``.
Their descriptions are written once, in a ``_PARAMETERS`` string on the class that owns
them (a backend mixin, a family's base class), and :func:`document` writes the numpydoc
``Parameters`` section of a concrete class from its constructor's signature: every
parameter, in order, with its default read from the signature. A parameter without a
description is an error at import, so a new parameter cannot go undocumented.
"""

from __future__ import annotations

import inspect
import re
from typing import TypeVar

T = TypeVar("T", bound=type)

__all__ = ["document"]


def _entries(text: str) -> dict[str, tuple[str, list[str]]]:
    """``{name: (type, description lines)}`` of a numpydoc parameter list."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in inspect.cleandoc(text).splitlines():
        if line and not line.startswith(" "):
            name, _, kind = line.partition(" : ")
            current = name.strip()
            entries[current] = (kind.strip(), [])
        elif current is not None:
            entries[current][1].append(line[4:] if line.startswith("    ") else line.strip())
    return entries


def document(cls: T) -> T:
    """Class decorator: insert a ``Parameters`` section built from the ``_PARAMETERS`` of
    the class's bases (later bases in the MRO are overridden by earlier ones)."""
    entries: dict[str, tuple[str, list[str]]] = {}
    for klass in reversed(cls.__mro__):
        text = klass.__dict__.get("_PARAMETERS")
        if text:
            entries.update(_entries(text))
    lines = ["Parameters", "----------"]
    for parameter in inspect.signature(cls.__init__).parameters.values():
        if parameter.name == "self":
            continue
        if parameter.name not in entries:
            raise TypeError(f"{cls.__name__}: parameter {parameter.name!r} has no description in _PARAMETERS")
        kind, body = entries[parameter.name]
        if parameter.default is not parameter.empty and "default=" not in kind and "optional" not in kind:
            kind = f"{kind}, default={parameter.default!r}"
        lines.append(f"{parameter.name} : {kind}")
        lines.extend(f"    {line}" if line else "" for line in body)
    doc = inspect.cleandoc(cls.__doc__ or "")
    match = re.search(r"^(Attributes|Examples|Notes)\n-+$", doc, re.M)
    at = match.start() if match else len(doc)
    cls.__doc__ = doc[:at].rstrip() + "\n\n" + "\n".join(lines) + "\n\n" + doc[at:]
    return cls
