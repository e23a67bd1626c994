"""What a study varies. Every family is a :class:`~gradlab.components.registry.Registry`."""

from gradlab.components.registry import Registry
from gradlab.components.spec import Spec, canonical, format_spec, parse_spec

__all__ = ["Registry", "Spec", "canonical", "format_spec", "parse_spec"]
