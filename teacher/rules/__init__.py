"""The assignment's rules, checked on what a hand-in holds; nothing of the submission runs here.

`check_handin(intake, case)` is the one entry point: the grade run calls it once per hand-in, on the
intake (teacher/intake.py, read with `notebook=case_notebook(case)`), and gets a list of
`teacher.findings.Finding`s, the empty list for a hand-in that keeps every rule. The checks, one
room each:
  data.py        the data sets the intake met (MNIST files, data/, files over the limit)
  framework.py   imports of a deep-learning framework in any .py file or notebook cell (ast)
source.py reads the code (files and notebook cells, IPython lines set aside) for them.
"""
from teacher.release_readme import MAIN_NOTEBOOK
from teacher.rules.data import check_data
from teacher.rules.framework import check_framework


def case_notebook(case):
    """The notebook the case's release starts from, which the hand-in must hold with its results."""
    return MAIN_NOTEBOOK[case]


def check_handin(intake, case):
    """Every Finding of the hand-in against the assignment's rules, in RULES order."""
    if case not in MAIN_NOTEBOOK:
        raise ValueError(f'case {case!r}: expected one of {tuple(MAIN_NOTEBOOK)}')
    return check_framework(intake) + check_data(intake)
