"""gradlab.diagnose: rules that turn vitals into findings with evidence and runnable fixes.

    findings = gradlab.diagnose.diagnose(w.vitals, w.layers)     # after a watch

This package reads vitals and knows no hooks: it imports nothing from :mod:`gradlab.watch`.
Live diagnosis while training runs and the one-batch ``gradlab.checkup`` join the two in
:mod:`gradlab.monitor`.
"""

from __future__ import annotations

from gradlab.diagnose.engine import diagnose
from gradlab.diagnose.finding import CODES, SEVERITIES, Finding, severity_rank
from gradlab.diagnose.finding_groups import FindingGroup, group_findings

__all__ = ["CODES", "SEVERITIES", "Finding", "FindingGroup", "diagnose", "group_findings", "severity_rank"]
