"""The report wing: the assignment's experiments, trained with the course's Solver, written up as
report.pdf, results.json and results.md (`python -m report`, `--quick` for a one-minute check).

How data flows through it:
  experiments.py  which runs to train (settings × seeds), trains them through `Solver.train()` one
                  epoch at a time, and summarizes each configuration over its seeds → results dict
  text.py         results → findings (the facts the text quotes) → the sentences of the report
  writer.py       results + findings → the report's sections → results.json, results.md, figures/
  pdf.py          the sections laid out on numbered A4 pages → report.pdf
The wing reads the course's rooms (solver, criterion, dataloader, visualize, formatting, files) and
none of them reads it. `python -m report` runs __main__.py, which sets OPENBLAS_NUM_THREADS before
numpy loads; importing the package loads nothing, so it leaves the process as it found it:
`from report import QUICK, run_experiments` (as runner.ipynb does) loads experiments.py on first use.
"""

_FROM_EXPERIMENTS = ('EXPERIMENTS', 'FULL', 'QUICK', 'main', 'run_experiments')


def __getattr__(name):
    """report.QUICK, report.run_experiments, report.main, ...: experiments.py's, loaded on first use
    so that `python -m report` can set the BLAS threads before numpy loads."""
    if name in _FROM_EXPERIMENTS:
        from report import experiments
        return getattr(experiments, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
