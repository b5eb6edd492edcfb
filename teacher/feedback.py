"""Points and words: a submission's row from its run, the points of each test, and its tests' feedback.

The row holds the points earned on each test of the table, score and max (the tests' total), flags
(what went wrong, in a word or two) and `feedback`: which files were taken, what happened to the
process, and for each test whether it passed, with the failing test's message (the diagnosis of the
student tests). outputs.py puts the score and the rules' findings above it and writes DIR's files.
"""
from teacher.intake import MAX_ENTRIES, SHOWN_IGNORED

EXPLAIN = [   # (found in a failure's message, flag, what it means for the student, keep the message too)
    ('importing your files failed: took longer', 'timeout', 'importing your files took longer than the per-test '
     'limit of {per_test:g} s (an infinite loop at the top level of a file?)', False),
    ('GradeTimeout', 'timeout', 'took longer than the per-test limit of {per_test:g} s (an infinite loop?)', False),
    ('MemoryError', 'memory', 'ran out of memory (the limit is {memory_mb} MB)', True),
    ('File too large', 'output', 'printed or wrote more than the {output_mb} MB limit', False),
    ('SystemExit', 'exit', 'called sys.exit(), which ends the program', True),
    ('SyntaxError', 'syntax error', 'a syntax error: Python cannot read the file', True),
    ('the process running your code', 'crash', 'the process running your code stopped during this test', True),
]
NOTE_FLAGS = (   # (found in a note of the worker's side, flag)
    ('imported', 'suspicious'), ('tried to import', 'suspicious'), ('replaced numpy', 'suspicious'),
    ('forged', 'suspicious'),
    ('left', 'processes'), ('SyntaxError', 'syntax error'), ('PermissionError', 'writes refused'),
    ('Read-only file system', 'writes refused'), ('importing your files failed', 'crash'))


def _explained(message, limits):
    """(flags, the message with a plain sentence in front when it is one of EXPLAIN's)."""
    for found, flag, sentence, keep in EXPLAIN:
        if found in message:
            sentence = sentence.format(**vars(limits))
            return {flag}, sentence + ': ' + message if keep else sentence
    return set(), message


def score(points, collected, intake, run, limits):
    """The row of one submission (intake None: the teacher's reference): points per test and feedback."""
    flags, lines, row = set(), [], {'name': intake.name if intake else 'reference'}
    by_key = {key: [n for n in collected if n.split('[')[0] == key] for key in points}
    for key, value in points.items():
        outcomes = [_outcome(nodeid, run, limits) for nodeid in by_key[key]]
        passed = sum(outcome == 'passed' for outcome, _ in outcomes)
        row[key] = round(value * passed / len(outcomes), 2) if outcomes else 0.0
        lines.append(f'[{row[key]:g}/{value:g}] {key}')
        for nodeid, (outcome, message) in zip(by_key[key], outcomes):
            if outcome != 'passed':
                more, message = _explained(message, limits)
                flags |= more
                lines.append(f'    {outcome.upper()} {nodeid[len(key):] or ""}: {_short(message)}'.replace(' :', ':'))
    if run.tampered:
        flags.add('tampered')
        row.update({key: 0.0 for key in points})
    if run.suspect:
        flags.add('forged records')
    flags |= {flag for note in run.notes for found, flag in NOTE_FLAGS if found in note}
    if any('ended the process' in e or 'was killed' in e or 'crashed' in e for e in run.events):
        flags.add('crash')
    if any('time limit' in e for e in run.events):
        flags.add('timeout')
    row['score'], row['max'] = round(sum(row[key] for key in points), 2), sum(points.values())
    flags |= _file_flags(intake, run)
    row['flags'] = ' '.join(sorted(flags))
    row['nothing read'] = intake.nothing_read() if intake else ''
    row['feedback'] = _feedback(row, intake, run, lines)
    return row


def _outcome(nodeid, run, limits):
    if nodeid in run.outcomes:
        return run.outcomes[nodeid]
    test_file = nodeid.split('::')[0]
    if test_file in run.broken_files:
        why = _last_lines(run.broken_files[test_file], 1)
        return 'not run', f'its test file could not be imported (see above): {why}'
    return 'not run', 'the process ended or the time limit was reached before this test'


def _file_flags(intake, run):
    flags = set()
    if intake and (intake.missing or intake.error):
        flags.add('missing files')
    if intake and intake.refused:
        flags.add('refused entries')
    if any('SyntaxError' in message for message in run.broken_files.values()):
        flags.add('syntax error')
    return flags


def _feedback(row, intake, run, lines):
    text = []
    if intake:
        text += [f'Files taken: {", ".join(sorted(intake.files)) or "none"}']
        if intake.error:
            text.append(f'Could not read the submission: {intake.error}')
        if intake.missing:
            text.append(f'Missing (the release\'s unfinished version was graded): {", ".join(intake.missing)}')
        if intake.nothing_read():
            text.append(f'Nothing could be read from the submission: {intake.nothing_read()}')
        if intake.ignored:
            shown, more = intake.ignored[:SHOWN_IGNORED], len(intake.ignored) - SHOWN_IGNORED
            text.append(f'Ignored (not files of this case): {", ".join(shown)}'
                        + (f' and {more} more' if more > 0 else ''))
        if intake.skipped:
            text.append(f'Skipped, as no student hands them in: {intake.skipped_summary()}')
        if intake.over_cap:
            text.append(f'Only the first {MAX_ENTRIES} entries (the shallowest) were looked at: '
                        'the submission holds more, besides what was skipped')
        for entry, why in intake.refused:
            text.append(f'Refused: {entry}: {why}')
        text.append('')
    happened = list(run.events) + list(run.notes) + [f'tampering: {change}' for change in run.tampered]
    if run.suspect:
        happened.append('the results held records the grader did not write (forged?): they were ignored')
    if run.tampered:
        happened.append('files of the release were changed during the run: no points are given; see your teacher')
    if happened:
        text += ['What happened:'] + [f'  - {event}' for event in happened] + ['']
    for test_file, message in run.broken_files.items():
        text += [f'{test_file} could not be imported; the end of the error:', _last_lines(message, 8), '']
    text += [f'Tests (points earned / points), run in {run.seconds:.1f} s:'] + lines
    if any(event.startswith(('tests', 'pytest')) for event in run.events) and run.output_tail.strip():
        text += ['', 'The last output of the process:', run.output_tail.strip()[-1000:]]
    return '\n'.join(text) + '\n'


def _short(message, chars=900):
    """The message on one line; a longer one ends after its last whole sentence within `chars`."""
    message = ' '.join(message.split())
    if len(message) <= chars:
        return message
    end = message.rfind('. ', 0, chars)
    return (message[:end + 1] if end > 0 else message[:message.rfind(' ', 0, chars)]) + ' [the rest is cut]'


def _last_lines(text, count=3):
    return '\n'.join(line for line in text.strip().splitlines()[-count:])
