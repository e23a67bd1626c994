"""One registry type for every family of components (activations, inits, optimizers, ...).

Everywhere a name is accepted, the object itself is too: ``get("relu")`` and ``get(nn.ReLU)`` both
return a class, ``create("leaky_relu(0.2)")`` and ``create(nn.LeakyReLU, 0.2)`` both build one.
An unknown name fails with the valid choices and the closest match.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Iterator

from gradlab.components.arguments import argument_error
from gradlab.components.spec import Spec, check_finite, format_spec, parse_spec, shown
from gradlab.components.suggest import did_you_mean
from gradlab.errors import ConfigError, UnknownComponentError


@dataclass
class Entry:
    """One registered component: its canonical name, the object, and what to show about it."""

    name: str
    obj: Any
    aliases: tuple[str, ...] = ()
    help: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        if self.help:
            return self.help
        doc = inspect.getdoc(self.obj) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


class Registry:
    """A named family of components.

    Args:
        kind: what the family holds, in the singular ("activation"); used in error messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}

    # -- registration -------------------------------------------------------------------------
    def register(
        self,
        name: str,
        obj: Any = None,
        *,
        aliases: tuple[str, ...] | list[str] = (),
        help: str = "",
        **meta: Any,
    ):
        """Register ``obj`` under ``name``; usable as a decorator when ``obj`` is omitted."""

        def add(target: Any) -> Any:
            key = name.lower()
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._entries[key] = Entry(key, target, tuple(aliases), help, dict(meta))
            for alias in aliases:
                self._aliases[alias.lower()] = key
            return target

        return add if obj is None else add(obj)

    # -- lookup -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Canonical names, in registration order."""
        return list(self._entries)

    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._resolve(name) is not None

    def _resolve(self, name: str) -> str | None:
        key = name.strip().lower()
        if key in self._entries:
            return key
        return self._aliases.get(key)

    def unknown(self, name: str) -> UnknownComponentError:
        """The error for an unknown name: valid choices and a did-you-mean."""
        choices = self.names()
        hint = did_you_mean(name, choices, self._aliases)
        return UnknownComponentError(
            f"unknown {self.kind} {name!r}{hint} (choices: {', '.join(choices)})"
        )

    def entry(self, name: str) -> Entry:
        """The :class:`Entry` for a name or alias."""
        key = self._resolve(name)
        if key is None:
            raise self.unknown(name)
        return self._entries[key]

    def canonical_name(self, name: str) -> str:
        return self.entry(name).name

    def get(self, spec: Any) -> Any:
        """Return the registered class/function for a name or spec; objects pass through."""
        if isinstance(spec, str):
            return self.entry(parse_spec(spec).name).obj
        if isinstance(spec, Spec):
            return self.entry(spec.name).obj
        if callable(spec):
            return spec
        raise ConfigError(f"expected a {self.kind} name, spec or callable, got {spec!r}")

    def create(self, spec: Any, *args: Any, **kwargs: Any) -> Any:
        """Build an instance from a spec string, a name, a class or a factory.

        Positional and keyword arguments of the spec come first; ``args``/``kwargs`` given here
        are appended (keywords in the spec win over nothing: a clash is an error).
        """
        if isinstance(spec, (str, Spec)):
            parsed = parse_spec(spec) if isinstance(spec, str) else spec
            target = self.entry(parsed.name).obj
            check_finite(parsed, self.kind)
            clash = set(parsed.kwargs) & set(kwargs)
            if clash:
                raise ConfigError(
                    f"{self.kind} {format_spec(parsed.name, parsed.args, parsed.kwargs)!r}: "
                    f"argument(s) {sorted(clash)} given twice"
                )
            call_args, call_kwargs = (*parsed.args, *args), {**parsed.kwargs, **kwargs}
            label = format_spec(parsed.name, parsed.args, parsed.kwargs)
        elif callable(spec):
            target, call_args, call_kwargs = spec, args, kwargs
            label = getattr(spec, "__name__", repr(spec))
        else:
            raise ConfigError(f"expected a {self.kind} name, spec or callable, got {spec!r}")
        try:
            return target(*call_args, **call_kwargs)
        except TypeError as exc:
            raise argument_error(self.kind, label, target, call_args, call_kwargs, exc) from None
        except (IndexError, RuntimeError, OverflowError) as exc:
            # torch's own complaint (a tuple index, an overflow) about the user's values; a
            # ValueError goes to the caller, which knows the context (the optimizer's lr)
            raise ConfigError(f"bad arguments for {self.kind} {shown(label)}: {exc}") from None

    def describe(self) -> list[dict]:
        """One dict per entry (name, aliases, summary, meta) for listings and ``--json``."""
        return [
            {"name": e.name, "aliases": list(e.aliases), "summary": e.summary, **e.meta}
            for e in self._entries.values()
        ]


def spec_name(spec: Any) -> str:
    """A short readable name for a spec, a class or a function (for labels and layer names)."""
    if isinstance(spec, str):
        return parse_spec(spec).name
    if isinstance(spec, Spec):
        return spec.name
    return getattr(spec, "__name__", type(spec).__name__)


__all__ = ["Entry", "Registry", "spec_name"]
