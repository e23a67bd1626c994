"""Hand-built vitals for unit-testing rules without training anything.

``FakeVitals`` implements exactly the accessors the rules may use (``rows``, ``series``,
``layers``, ``stats``, ``last``) over a dict; ``L`` builds a LayerInfo-like record.
"""

from dataclasses import dataclass

@dataclass
class L:
    path: str
    kind: str
    module_type: str = "Linear"
    act: str | None = None
    order: int = 0
    depth: int | None = None


class FakeVitals:
    def __init__(self, data: dict):
        # data: {(layer, stat): {step: value}} or {(layer, stat): [values]} (steps 0, 10, 20, ...)
        self.data = {}
        for key, values in data.items():
            if isinstance(values, dict):
                self.data[key] = dict(values)
            else:
                self.data[key] = {10 * i: v for i, v in enumerate(values)}

    def rows(self):
        return [{"step": s, "layer": l, "stat": st, "value": v}
                for (l, st), d in self.data.items() for s, v in sorted(d.items())]

    def series(self, layer, stat):
        d = self.data[(layer, stat)]
        steps = sorted(d)
        return steps, [d[s] for s in steps]

    def layers(self):
        return sorted({l for l, _ in self.data})

    def stats(self, layer):
        return sorted({st for l, st in self.data if l == layer})

    def last(self, layer, stat):
        d = self.data[(layer, stat)]
        return d[max(d)]


def mlp_layers(n_hidden=2, act="relu"):
    """fc1, act1, fc2, act2, ..., fc{n+1} in forward order."""
    out, order = [], 0
    for i in range(1, n_hidden + 1):
        out.append(L(f"fc{i}", "param", "Linear", None, order, i - 1)); order += 1
        out.append(L(f"act{i}", "activation", type(act).__name__ if not isinstance(act, str) else act, act, order)); order += 1
    out.append(L(f"fc{n_hidden + 1}", "param", "Linear", None, order, n_hidden))
    return out

