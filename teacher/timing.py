"""The vectorized rule, measured: a TODO much slower than the teacher's at the course's shapes.

After the tests, the grading process asks the submission's worker to time each TODO of the case
(plugin.py's Recorder, tests/probe_timing.py: inputs drawn from the run's seed, the median of a few
repeats of one call) and records the times on the run (`Run.timings`). The teacher's own files are
graded alongside as the reference through the same path, so their times come from the same machine
in the same grading run. A TODO more than SLOW_RATIO times slower than the reference's is reported as
Finding('vectorized', 'slow', file, line of its def, detail with the ratio): a loop over the samples
of a batch or over the features costs 30-100× at these shapes, while a different but vectorized way
of writing it stays within a few times, and so does the noise of a machine shared by other work.

The times are what the worker says about itself, a hint like the worker's notes: the student's code
could make itself look fast; nothing here gives or takes a point unless the teacher asks for it
(--rule-points).
"""
import ast

from teacher.findings import Finding

SLOW_RATIO = 10.0
SHAPES = {1: 'batch 100, 784 -> 10', 2: 'batch 100, 784 -> 256 -> 10', 3: 'the course\'s ConvNet, batch 64'}


def slow_findings(case, todos, timings, reference, submitted, paths=None):
    """[Finding] for each TODO of `todos` ([(file, function)]) whose time in `timings` is more than
    SLOW_RATIO times the reference's; timings and reference: Run.timings ({function: [seconds, lower
    bound]}); submitted: {case file: bytes}, where the function's line is looked up (never run);
    paths: {case file: its path in the hand-in} (intake.found_at), for the finding's file."""
    findings = []
    for file, function in todos:
        mine, theirs = _seconds(timings.get(function)), _seconds(reference.get(function))
        if mine is None or not theirs or mine[0] <= SLOW_RATIO * theirs[0] or theirs[1]:
            continue
        ratio = f'{"at least " if mine[1] else ""}{mine[0] / theirs[0]:.0f}×'
        findings.append(Finding(
            'vectorized', 'slow', (paths or {}).get(file, file), def_line(submitted.get(file, b''), function),
            f'{function} takes {"over " if mine[1] else ""}{_duration(mine[0])} a call at the course\'s shapes '
            f'({SHAPES.get(case, "")}), {ratio} the teacher\'s {_duration(theirs[0])} (reported above '
            f'{SLOW_RATIO:.0f}×): a loop over the samples of the batch or over the features?'))
    return findings


def _seconds(entry):
    """(seconds, lower bound) of a Run.timings entry, or None when it is not one."""
    if not isinstance(entry, (list, tuple)) or len(entry) != 2 or not isinstance(entry[0], (int, float)):
        return None
    return float(entry[0]), bool(entry[1])


def def_line(source, function):
    """The line of `def` of `function` ('name' or 'Class.name') in the Python source (bytes), or 0."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    *owner, name = function.split('.')
    scope = tree.body
    for part in owner:
        scope = next((node.body for node in scope if isinstance(node, ast.ClassDef) and node.name == part), [])
    return next((node.lineno for node in scope
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name), 0)


def _duration(seconds):
    if seconds >= 1:
        return f'{seconds:.1f} s'
    return f'{seconds * 1e3:.1f} ms' if seconds >= 1e-3 else f'{seconds * 1e6:.0f} µs'
