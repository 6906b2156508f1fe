"""Fast positional constructors for the frozen, slotted dataclasses a decision is made of.

A frozen dataclass's ``__init__`` assigns each field through ``object.__setattr__`` (frozen
classes forbid plain assignment), which costs about 0.15 µs a field: 1.3 µs for a ``Week`` of
eight fields. A decision builds a ``Week`` per ISO week (twice for maternity refusion, once
priced and once with its supplement), a ``TraceStep`` per rule and the ``Decision`` itself, so
at the 20,000 decisions a second the benchmark asks for, those constructors were a fifth of
the time.

:func:`positional` compiles, once per class, a function taking *every* field positionally in
declaration order that creates the instance with ``object.__new__`` and fills each slot through
the slot's own descriptor (what ``object.__setattr__`` ends up calling, minus the look-ups).
The instance is exactly what the dataclass constructor would make: same class, same values,
still frozen (assignment afterwards raises ``FrozenInstanceError`` as before), equal to one made
the ordinary way. It is only for classes without ``__post_init__`` or field converters — the
function refuses others — and callers pass every field, defaults included.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True, slots=True)
... class Point:
...     x: int
...     y: int = 0
>>> make = positional(Point)
>>> make(1, 2) == Point(1, 2)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

__all__ = ["positional"]


def positional(cls: type) -> Callable[..., Any]:
    """A constructor of ``cls`` taking all its fields positionally, in declaration order."""
    if not is_dataclass(cls) or not getattr(cls, "__slots__", None):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__: use its own constructor")
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def make_{cls.__name__}({', '.join(names)}):", "    self = _new(_cls)"]
    for i, name in enumerate(names):
        namespace[f"_set{i}"] = cls.__dict__[name].__set__
        lines.append(f"    _set{i}(self, {name})")
    lines.append("    return self")
    exec("\n".join(lines), namespace)  # noqa: S102 - the source is built from field names only
    return namespace[f"make_{cls.__name__}"]
