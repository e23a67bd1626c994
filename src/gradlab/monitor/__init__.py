"""gradlab.monitor: watching and diagnosing together — the layer above both.

``gradlab.watch`` (:mod:`gradlab.watch`) measures and knows no rules; ``gradlab.diagnose`` turns
vitals into findings and knows no hooks. This package joins them, and is the only place that
imports both:

- :mod:`gradlab.monitor.watch`: the public ``gradlab.watch(...)`` / ``gradlab.Watch``, with
  ``rules=``, ``on_finding=``, ``stop_on=`` and ``w.findings()``;
- :mod:`gradlab.monitor.live`: :class:`LiveDiagnoser`, the watch listener that diagnoses after
  each report and raises :class:`gradlab.TrainingStopped` on request;
- :mod:`gradlab.monitor.checkup`: ``gradlab.checkup(...)``, a diagnosis from one batch.
"""
