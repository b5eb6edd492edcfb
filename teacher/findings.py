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
    In a notebook (file '*.ipynb') line is the cell's number, 1-based among all its cells (markdown
    included, as a reader counts them from the top), and a finding about one line of the cell starts
    its detail with 'cell 4, line 2: '.
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
        """'criterion.py line 12', 'runner.ipynb cell 4', 'runner.ipynb', or '' when nothing was found to point at."""
        if not (self.file and self.line):
            return self.file
        return f'{self.file} {"cell" if self.file.endswith(".ipynb") else "line"} {self.line}'
