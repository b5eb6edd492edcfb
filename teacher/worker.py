"""The submission's side of grading: a worker that imports the student's files and answers probe requests.

The grader's trusted side (remote.py) never imports a submission. It starts this script per
submission inside the sandbox (sandbox.py), in a read-only copy of the release holding the submitted
case files, and sends requests on the worker's stdin: a probe of tests/probes.py and its inputs. The
worker runs the probe on the student's code and sends back the outputs; the trusted side compares them
with what the reference solution gives on the same inputs, drawn from a seed chosen at grading time.

The wire format, both ways, is plain data: one JSON line {"body": tree, "sizes": [bytes, ...]} and then
that many bytes for each array, each one `.npy` file, read with np.load(allow_pickle=False) under size
caps; in the tree an array is {"npy": its index}. Never pickle.

Requests: {"id": n, "probe": name, "inputs": [{...}, ...]}. Replies: {"ok": [outputs, ...]} or {"error": [type name,
message, where]}, with the request's id and the notes; {"ready": notes, "errors": ...} after the imports.
The worker keeps the protocol's stdout to itself and points fd 1 (print) at stderr, so what the student
prints cannot pass for a reply. The notes it sends (the submission imported the test framework, changed
numpy, ...) are hints for the teacher; no point depends on anything the worker says about itself.
"""
import io
import json
import os
import sys
import traceback

import numpy as np

MAX_HEADER_BYTES = 1_000_000
KINDS = 'biufU'    # bool, integers, floats, strings: the dtypes an array may have on the wire
WATCHED = ('_pytest', 'pytest', 'pluggy', 'teacher', 'grade', 'handout', 'ctypes')   # modules a submission has no need of


class ProtocolError(ValueError):
    """A message that is not the wire format, or larger than its cap."""


def _encode(value, blobs):
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {'npy': len(blobs) - 1}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key): _encode(item, blobs) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item, blobs) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ProtocolError(f'{type(value).__name__} cannot be sent: only arrays, numbers, strings, lists and dicts')


def _decode(tree, arrays):
    if isinstance(tree, dict):
        if set(tree) == {'npy'}:
            index = tree['npy']
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise ProtocolError(f'array reference {index!r}: no such array in the message')
            return arrays[index]
        return {key: _decode(item, arrays) for key, item in tree.items()}
    if isinstance(tree, list):
        return [_decode(item, arrays) for item in tree]
    return tree


def write_message(stream, value):
    """Send `value` (arrays, numbers, strings, None, lists and dicts of them) on the binary stream."""
    blobs = []
    header = json.dumps({'body': _encode(value, blobs), 'sizes': [len(blob) for blob in blobs]})
    stream.write(header.encode() + b'\n' + b''.join(blobs))
    stream.flush()


def read_message(stream, max_bytes):
    """The next value on the binary stream; EOFError at its end, ProtocolError for anything malformed
    or holding more than max_bytes of arrays."""
    line = stream.readline(MAX_HEADER_BYTES + 1)
    if not line:
        raise EOFError('the stream ended')
    if not line.endswith(b'\n'):
        raise ProtocolError(f'a message header longer than {MAX_HEADER_BYTES} bytes, or cut short')
    try:
        header = json.loads(line)
        body, sizes = header['body'], header['sizes']
    except (ValueError, KeyError, TypeError) as error:
        raise ProtocolError(f'a message header that is not the wire format: {error}') from None
    if not isinstance(sizes, list) or not all(isinstance(s, int) and s >= 0 for s in sizes) or sum(sizes) > max_bytes:
        raise ProtocolError(f'array sizes {str(sizes)[:80]}: expected byte counts of at most {max_bytes} in all')
    arrays = []
    for size in sizes:
        data = stream.read(size)
        if len(data) != size:
            raise ProtocolError(f'an array cut short: {len(data)} of {size} bytes')
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise ProtocolError(f'an array that is not a .npy file without objects: {error}') from None
        if array.dtype.kind not in KINDS:
            raise ProtocolError(f'an array of dtype {array.dtype}: expected numbers, booleans or strings')
        arrays.append(array)
    return _decode(body, arrays)


def _where(error):
    """'file.py:line' of the innermost frame of the traceback in the submission's folder, or ''."""
    here = os.getcwd() + os.sep
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.startswith(here)]
    return f'{os.path.relpath(frames[-1].filename, here)}:{frames[-1].lineno}' if frames else ''


class _Watch:
    """A finder first on sys.meta_path that finds nothing and keeps the names of grader modules asked for."""

    def __init__(self):
        self.asked = set()

    def find_spec(self, name, path=None, target=None):
        root = name.split('.')[0]
        if root in WATCHED or root.startswith('grade'):
            self.asked.add(root)
        return None


def _numpy_names():
    return {name: id(value) for name, value in vars(np).items()}


def _notes(numpy_before, modules_before, watch):
    """Sentences about what the submission did that a submission has no need to do."""
    found = {name.split('.')[0] for name in set(sys.modules) - modules_before
             if name.split('.')[0] in WATCHED or name.startswith('grade')}
    notes = [f'the submission imported {name}, which the grading of its code does not use' for name in sorted(found)]
    notes += [f'the submission tried to import {name}, which it cannot reach' for name in sorted(watch.asked - found)]
    now = _numpy_names()
    changed = sorted(name for name, ident in numpy_before.items() if now.get(name) != ident)
    if changed:
        notes.append('the submission replaced numpy\'s ' + ', '.join(changed[:8]))
    return notes


def _answer(request, probes):
    try:
        return {'ok': [probes.PROBES[request['probe']](**inputs) for inputs in request['inputs']]}
    except BaseException as error:   # the student's code may raise anything, SystemExit included
        return {'error': [type(error).__name__, str(error)[:2000], _where(error)]}


def main(case_files):
    """Import the case files, say ready, then answer requests until stdin ends."""
    replies = os.fdopen(os.dup(1), 'wb')
    requests = os.fdopen(os.dup(0), 'rb')
    os.dup2(2, 1)                           # print() now writes where the grader keeps the output
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    sys.stdout = os.fdopen(1, 'w', buffering=1)
    sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), 'tests')]
    import probes
    before, modules, watch = _numpy_names(), set(sys.modules), _Watch()
    sys.meta_path.insert(0, watch)
    errors = {}
    for name in case_files:
        try:
            __import__(name[:-3])
        except BaseException as error:
            errors[name] = [type(error).__name__, str(error)[:2000], _where(error)]
    write_message(replies, {'ready': _notes(before, modules, watch), 'errors': errors})
    while True:
        try:
            request = read_message(requests, 1 << 30)
        except EOFError:
            break
        answer = _answer(request, probes)
        answer['id'], answer['notes'] = request.get('id'), _notes(before, modules, watch)
        try:
            write_message(replies, answer)
        except ProtocolError as error:
            write_message(replies, {'error': ['ProtocolError', str(error), ''], 'notes': answer['notes']})


if __name__ == '__main__':
    main(sys.argv[1:])
