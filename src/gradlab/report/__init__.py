"""gradlab.report: figures, a self-contained HTML report and TensorBoard files for a study.

- :mod:`gradlab.report.figures`: one function per figure, plain data in, a matplotlib Figure out.
- :func:`write_report`: ``DIR/report.html`` from a study folder (``gradlab report DIR``).
- :func:`export_tensorboard`: ``DIR/tb/<group>/seed<N>/`` event files with hparams (the ``tensorboard`` extra).
"""

from gradlab.report.html import write_report
from gradlab.report.tensorboard import export_tensorboard

__all__ = ["write_report", "export_tensorboard"]
