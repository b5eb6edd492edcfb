"""A hand-in's findings against the assignment's rules: one record each, as rules.csv lists them.

The assignment (its §4) asks for the notebook with its results, a PDF report without much pasted code,
no deep-learning framework, no `for` loops over the batch, and no data set in the hand-in. Each check
of the grader returns `Finding`s; the grade run stores them, writes one row of `rules.csv` each, counts
them per rule in `grades.csv` and says each in the student's feedback with the rule it breaks.
"""
from dataclasses import dataclass

RULES = ('notebook', 'report', 'framework', 'vectorized', 'data')
FINDINGS = {   # rule -> the findings it can give (more may be added; docs/teachers.md lists them)
    'notebook': ('missing', 'not-executed', 'out-of-order', 'error', 'results-differ', 'unreadable'),
    'report': ('missing', 'unreadable', 'part-missing', 'code-pasted'),
    'framework': ('import',),
    'vectorized': ('loop', 'slow'),
    'data': ('data-set',),
}


@dataclass(frozen=True)
class Finding:
    """What was found, where, and under which rule: one row of rules.csv.

    rule: one of RULES; finding: one of FINDINGS[rule]; file: the path inside the hand-in ('' when the
    finding is about something absent); line: 1-based (0: the whole file); detail: one plain sentence.
    """
    rule: str
    finding: str
    file: str = ''
    line: int = 0
    detail: str = ''

    def __post_init__(self):
        if self.rule not in FINDINGS:
            raise ValueError(f'unknown rule {self.rule!r}: expected one of {", ".join(RULES)}')
        if self.finding not in FINDINGS[self.rule]:
            raise ValueError(f'unknown finding {self.finding!r} for rule {self.rule!r}: '
                             f'expected one of {", ".join(FINDINGS[self.rule])}')

    def where(self):
        """'criterion.py line 12', 'runner.ipynb', or '' when nothing was found to point at."""
        return f'{self.file} line {self.line}' if self.file and self.line else self.file
