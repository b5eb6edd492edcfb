"""Reading back what a grading process recorded: the plugin's records (plugin.py writes them), checked and
folded into the submission's `Run` (run.py).

Each record is one line, `json([seq, kind, name, outcome, message]) TAB hmac-sha256(key, json)`. `verified`
keeps the records whose signature checks and whose sequence numbers run 0, 1, 2, ... (anything else marks the
run `suspect`: another's doing, maybe); `take` folds one attempt's records into the run and, when the attempt
ended inside a test or a test file's import, notes it as the cause so the next attempt goes on without it.
"""
import hmac
import json


def verified(data, key, run):
    """The records whose signature checks and whose sequence numbers run 0, 1, 2, ... in order."""
    records = []
    for line in data.decode('utf-8', 'replace').split('\n')[:-1]:   # a last line cut short by a kill is dropped
        text, _, signature = line.rpartition('\t')
        good = hmac.new(bytes.fromhex(key), text.encode(), 'sha256').hexdigest()
        if not hmac.compare_digest(signature, good):
            run.suspect = True
            continue
        record = json.loads(text)
        if record[0] != len(records):
            run.suspect = True
            break
        records.append(record[1:])
    return records


def take(records, ending, skip, ignore, run):
    """Fold one attempt's records into `run`; True when the session finished."""
    current = None
    for kind, name, outcome, message in records:
        if kind in ('collect', 'start'):
            current = (kind, name)
        elif kind == 'collected':
            current = None
            if outcome == 'failed':
                run.broken_files[name] = message
        elif kind == 'item' and name not in run.collected:
            run.collected.append(name)
        elif kind == 'result':
            current = None
            run.outcomes.setdefault(name, (outcome, message))
            skip.add(name)
        elif kind == 'timing':
            run.timings[name] = _timing(outcome, message)
        elif kind == 'digest':
            run.digests.append((name, outcome, message))
        elif kind == 'note':
            if message not in run.notes:
                run.notes.append(message)
        elif kind == 'finished':
            if current is None:
                return True
            ending = 'stopped the test session (sys.exit()? see the output below)'
            break
    if current is None:
        run.events.append(f'pytest {ending} outside any test')
        return True
    kind, name = current
    if kind == 'collect':
        ignore.add(name)
        run.broken_files[name] = f'importing this test file {ending}'
    else:
        skip.add(name)
        run.outcomes.setdefault(name, ('failed', f'this test {ending}'))
    run.events.append(f'{name}: {"importing it" if kind == "collect" else "the test"} {ending}')
    return False


def _timing(outcome, message):
    """[seconds, lower bound] of a 'timing' record ('timed' or 'over' with the seconds), else None."""
    try:
        seconds = float(message)
    except ValueError:
        return None
    return [seconds, outcome == 'over'] if outcome in ('timed', 'over') and seconds >= 0 else None
