"""Behaviour as evidence: two submissions that give the same wrong numbers for the same input.

On the grader's trusted side (the grading process, plugin.py), `recording(runner, write)` wraps the
runner that sends each probe to the submission's worker: for every call it writes one line of digests,
{'in': the inputs', 'out': {output: its values'}}, the values rounded to ROUND_BITS bits of mantissa
(float tolerance: two ways of computing the same number agree). Nothing here runs in the sandbox.

After grading, `wrong_outputs(reference, runs, failed)` keeps, per submission, the outputs of the tests
it failed whose digest differs from what the teacher's own files gave for the same test, probe and
inputs: correct answers count for nothing; a wrong answer shared by two students is a rare mistake in common.
"""
import hashlib
import json

import numpy as np

ROUND_BITS = 20    # relative 1e-6


def digest(value):
    """16 hex digits of a probe's output: arrays by shape and rounded values, others by their repr."""
    hasher = hashlib.blake2b(digest_size=8)
    if isinstance(value, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(value, bool):
        array = np.asarray(value, np.float64)
        mantissa, exponent = np.frexp(array)
        hasher.update(repr(array.shape).encode())
        hasher.update(np.round(mantissa * 2 ** ROUND_BITS).tobytes() + exponent.astype(np.int64).tobytes())
    else:
        hasher.update(repr(value).encode())
    return hasher.hexdigest()


def _combined(values):
    return hashlib.blake2b(''.join(values).encode(), digest_size=8).hexdigest()


def recording(runner, write):
    """A runner like `runner` that also calls write(probe name, digests as JSON text) for each call."""
    def run(name, inputs):
        outputs = runner(name, inputs)
        keys = sorted({key for out in outputs for key in out})
        seen = {'in': _combined(sorted(f'{k}={digest(v)}' for each in inputs for k, v in each.items())),
                'out': {key: _combined(digest(out.get(key)) for out in outputs) for key in keys}}
        write(name, json.dumps(seen, sort_keys=True))
        return outputs
    return run


def wrong_outputs(reference, runs, failed):
    """{submission: {fingerprint: words}} of the outputs that differ from the reference's on the same
    test, probe and inputs, in the tests the submission failed; reference and each run: [(test id,
    probe, digests as JSON)]; failed: {submission: the ids of the tests it failed}."""
    expected = {}
    for test, probe, text in reference:
        seen = json.loads(text)
        expected[(test, probe, seen['in'])] = seen['out']
    found = {}
    for name, records in runs.items():
        wrong = found.setdefault(name, {})
        for test, probe, text in records:
            if test not in failed.get(name, ()):
                continue    # a passing test's outputs are right, to the test's tolerance
            seen = json.loads(text)
            right = expected.get((test, probe, seen['in']))
            if right is None:
                continue    # inputs no one else was given (they came from the submission's own outputs)
            for key, value in seen['out'].items():
                if right.get(key) != value:
                    fingerprint = int(hashlib.blake2b(f'{test}|{probe}|{seen["in"]}|{key}|{value}'.encode(),
                                                      digest_size=8).hexdigest(), 16) >> 1
                    function = test.split('::')[-1].split('[')[0]
                    wrong[fingerprint] = f'return the same wrong {key} from {probe} for the same input ({function})'
    return found
