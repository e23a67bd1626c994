"""What :class:`~gradlab.watch.engine.WatchEngine` holds, declared once for the halves it is made of.

The engine is split by topic into mixins (:class:`~gradlab.watch.forward.ForwardHooks`,
:class:`~gradlab.watch.readout.Reporting`) that read and write the state the engine's
``__init__`` sets up. Declaring that state here makes the contract visible to a reader and to
the type checker; the values are still created by ``WatchEngine.__init__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor, nn

    from gradlab.watch.finiteness import StepFlags
    from gradlab.watch.hooks import HookSet
    from gradlab.watch.host_sums import HostAcc
    from gradlab.watch.layers import LayerInfo
    from gradlab.watch.params import ParamLayers
    from gradlab.watch.probes import ActivationSite

# One window's published values: (layer, stat) pairs and their host values.
Block = tuple[list[tuple[str, str]], list[float]]


class EngineState:
    """The attributes a watch engine has; see the module docstring."""

    root: nn.Module
    bins: int
    params: ParamLayers
    params_modules: list[nn.Module]
    _layers: dict[tuple[str, str], LayerInfo]
    _sites: dict[str, ActivationSite]
    _act_modules: dict[int, tuple[str, Any, list[ActivationSite]]]
    _losses: list[tuple[int, Any, str]]  # (step, value, stat) logged, not pulled yet
    _pending: list[Block]
    _fwd_acc: dict[int, HostAcc]
    _failed: set[tuple[str, str]]
    _calls: dict[int, int]
    _pending_inplace: dict[int, list[ActivationSite | None]]
    _active: bool
    _sampled: bool
    _busy: bool
    _order: int
    _last_report: int
    _grad_armed: set[int]
    _fwd_seen: set[int]
    _proofs: dict[int, tuple[Tensor, Tensor]]
    _checks: list[tuple[HostAcc, int, Tensor, Tensor | None]]
    _stack_hooks: HookSet
    _flags: StepFlags

    def _guarded(self, layer: str, stat: str, fn: Any) -> Any:
        """Run ``fn``, reporting a failure as a failed statistic of ``layer``."""
        raise NotImplementedError

    def _fail(self, layer: str, stat: str, exc: BaseException) -> None:
        """Report a failed statistic (the engine warns once or raises when strict)."""
        raise NotImplementedError
