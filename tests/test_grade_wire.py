"""The worker's wire format (teacher/worker.py): plain data both ways, never pickle, every size capped;
and teacher.grade's refusal to grade without a sandbox unless told. Teacher-only (not in a release)."""
import io
import os
import json
import pickle

import numpy as np
import pytest

from teacher import grade
from teacher import sandbox
from teacher.worker import MAX_HEADER_BYTES, ProtocolError, read_message, write_message


def message(value):
    stream = io.BytesIO()
    write_message(stream, value)
    return stream.getvalue()


def test_arrays_numbers_strings_and_nesting_come_back_as_sent():
    value = {'u': np.arange(6.0).reshape(2, 3), 'n': 3, 'kind': 'ReLU', 'flag': True, 'none': None,
             'grads': [np.ones((1, 2), np.float32), np.array([1, 2])]}
    back = read_message(io.BytesIO(message(value)), 10_000)
    assert back.keys() == value.keys() and back['n'] == 3 and back['kind'] == 'ReLU' and back['none'] is None
    assert np.array_equal(back['u'], value['u']) and back['grads'][0].dtype == np.float32


@pytest.mark.parametrize('data, says', [
    (b'{"body": {"npy": 0}, "sizes": [10]}\n' + b'x' * 10, 'not a .npy file'),
    (b'{"body": 1, "sizes": [20000]}\n', 'expected byte counts of at most'),
    (b'{"body": {"npy": 3}, "sizes": []}\n', 'no such array'),
    (b'not json\n', 'not the wire format'),
    (b'x' * (MAX_HEADER_BYTES + 2), 'header longer than'),
    (b'{"body": {"npy": 0}, "sizes": [100]}\nshort', 'cut short')])
def test_what_is_not_the_wire_format_is_refused(data, says):
    with pytest.raises(ProtocolError, match=says):
        read_message(io.BytesIO(data), 10_000)


def test_a_pickled_object_array_is_refused_not_unpickled():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    blob = buffer.getvalue()
    data = json.dumps({'body': {'npy': 0}, 'sizes': [len(blob)]}).encode() + b'\n' + blob
    with pytest.raises(ProtocolError, match='without objects'):
        read_message(io.BytesIO(data), 10_000)
    with pytest.raises(ProtocolError, match='cannot be sent'):
        message({'x': pickle})


def test_grading_without_a_sandbox_is_refused_unless_chosen(monkeypatch, tmp_path, capsys):
    missing = sandbox.Support(missing=['bubblewrap (bwrap) is not installed'])
    monkeypatch.setattr(sandbox, 'support', lambda: missing)
    (tmp_path / 'alice').mkdir()
    assert grade.main([str(tmp_path / 'alice'), '--case', '1', '--out', str(tmp_path / 'out')]) == 2
    err = capsys.readouterr().err
    assert 'bubblewrap (bwrap) is not installed' in err and 'Pass --no-sandbox' in err
    assert not (tmp_path / 'out').exists()
    assert grade.run_notes(None).startswith('no sandbox (--no-sandbox)')


def test_a_python_installation_under_tmp_is_bound_over_the_sandbox_scratch(tmp_path):
    """CI's venv may live in a clone under /tmp, where the sandbox mounts its scratch tmpfs: the scratch
    comes first and the installation is bound on top of it (else the worker's python is not found)."""
    venv = tmp_path / 'clone' / '.venv'
    venv.mkdir(parents=True)
    args = sandbox._read_only([str(venv)], made=('/', os.path.dirname(str(tmp_path))))
    assert ['--ro-bind', str(venv), str(venv)] == args[-3:]
