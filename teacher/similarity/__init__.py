"""Who copied whom: `python -m teacher.similarity SUBMISSION... --case N --out DIR [--reference DIR...]`.

Compares only what each student wrote (the case's TODOs and any code changed or added outside them,
never the release's own code nor a TODO left unfinished), in a normalized form that renaming,
reordering, comments, dead lines, split temporaries and numpy's other spellings do not change, weighs
each match by how rare it is in the class, and writes DIR/similarity.csv and DIR/similarity.html.
A score is a reason to look, never a verdict.

How data flows:
  intake (teacher.intake: nothing of a submission runs)
    → extract.py: each function that differs from the release (teacher.handout) → execute.py,
      expressions.py: its outputs as canonical expressions over its inputs (canon.py, spellings.py)
    → fingerprint.py: the expressions' steps, whole and cut at depths; tokens for a file that cannot be parsed
    → score.py: weights by rarity, every pair's cosine per file in one matrix product, the threshold
    → cohort.py (the whole class) → evidence.py (words) → report.py (CSV), report_html.py (HTML)
  behaviour.py: digests of wrong probe outputs, recorded on the grader's trusted side (teacher.grade).
Importing the package loads nothing.
"""


def main(argv=None):
    """`python -m teacher.similarity` (its __main__.py), callable as teacher.similarity.main(argv)."""
    from teacher.similarity.__main__ import main as run
    return run(argv)
