"""The assignment's rules, checked on what a hand-in holds; nothing of the submission runs here.

`check_handin(intake, case)` is the one entry point: the grade run calls it once per hand-in, on the
intake (teacher/intake.py, read with `notebook=case_notebook(case)`), and gets a list of
`teacher.findings.Finding`s, the empty list for a hand-in that keeps every rule. The checks, one
room each:
  notebook.py    the case's notebook: there, readable, run in order, no error; notebook_accuracies
  report.py      the PDF report: there, readable, each part the assignment asks for, not mostly code
                 (pdf_text.py reads a PDF with pypdf in a child process)
  framework.py   imports of a deep-learning framework in any .py file or notebook cell (ast)
  vectorized.py  loops in the case's TODOs over the batch or the features (kernel offsets spared)
  data.py        the data sets the intake met (MNIST files, data/, files over the limit)
source.py reads the code (files and notebook cells, IPython lines set aside) for them.
"""
from teacher.release_readme import MAIN_NOTEBOOK
from teacher.rules.data import check_data
from teacher.rules.framework import check_framework
from teacher.rules.notebook import check_notebook, notebook_accuracies
from teacher.rules.report import check_report
from teacher.rules.source import NotebookError, read_notebook
from teacher.rules.vectorized import check_loops

__all__ = ['case_notebook', 'check_handin', 'notebook_accuracies', 'read_notebook', 'NotebookError']


def case_notebook(case):
    """The notebook the case's release starts from, which the hand-in must hold with its results."""
    return MAIN_NOTEBOOK[case]


def check_handin(intake, case):
    """Every Finding of the hand-in against the assignment's rules, in RULES order."""
    if case not in MAIN_NOTEBOOK:
        raise ValueError(f'case {case!r}: expected one of {tuple(MAIN_NOTEBOOK)}')
    if intake.notebook_wanted != case_notebook(case):
        raise ValueError(f'the intake of {intake.name} looked for {intake.notebook_wanted or "no notebook"!r}: '
                         f'read it with read_submission(..., notebook={case_notebook(case)!r}) for case {case}')
    return (check_notebook(intake) + check_report(intake) + check_framework(intake) + check_loops(intake, case)
            + check_data(intake))
