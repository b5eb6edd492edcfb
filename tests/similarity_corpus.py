"""The similarity corpus: case-2 submissions assembled from honest answers written in different styles.

The answers live in tests/fixtures/similarity/<case file>.txt, one section per answer:

    @@ SoftmaxCrossEntropyLossLayer.backward eye            (function, style)
    t = np.eye(self.y.shape[1])[self.gt] if self.gt.ndim == 1 else self.gt
    return (self.y - t) / self.y.shape[0]
    @@@ module                                              (optional: the student's helper, put at the top)
    def _helper(...): ...

A style marked `WRONG: why` is a plausible mistake, there so that two submissions sharing the same
wrong result can be made. A student is one choice per TODO (a style, or None: the TODO left as the
release has it), and whether the release's TODO comments were kept; `honest_students` draws them from
a seed, so honest students differ the way a class does (an easy TODO has few ways to write it, and
two students often share one). `submission_texts` puts a student's answers into the release's case
files; tests/similarity_disguise.py makes disguised copies. `probe` runs a submission's TODOs on fixed
inputs through tests/probes.py, so a copy can be checked to compute what its original computes.
"""
import importlib.util
import os
import re
import sys
import warnings
from collections import namedtuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures', 'similarity')
CASE = 2
FILES = ('criterion.py', 'layers.py', 'optimizer.py')
OPTIONAL_DONE = 0.3      # the share of students who write the optional fast path
KEEP_TODO_COMMENTS = 0.5  # the share who leave the release's TODO comments above their answer

Answer = namedtuple('Answer', 'file function style body module wrong')


def load_answers(folder=FIXTURES):
    """{(file, function): [Answer]} of every answer in the fixtures, in their order."""
    found = {}
    for file in FILES:
        with open(os.path.join(folder, file[:-3] + '.txt'), encoding='utf-8') as handle:
            text = handle.read()
        for section in re.split(r'^@@ ', text, flags=re.M)[1:]:
            header, _, rest = section.partition('\n')
            function, style, *why = header.split(None, 2)
            body, _, module = rest.partition('@@@ module\n')
            wrong = why[0].split(':', 1)[1].strip() if why else ''
            found.setdefault((file, function), []).append(
                Answer(file, function, style, body.strip('\n'), module.strip('\n'), wrong))
    return found


def todo_keys():
    """[(file, function)] of the case's TODOs, in the release's order, and the optional ones."""
    from teacher import handout
    todos, _ = handout.case_regions(CASE)
    return [(file, function) for file, function, _, _ in todos], {
        (file, function) for file, function, _, optional in todos if optional}


def make_release(folder):
    """The case-2 release (teacher.handout) written into the new folder."""
    from teacher import handout
    handout.make_release(folder, CASE)
    return folder


def honest_students(count, seed, wrong_rate=0.0, skew=0.0):
    """[student] of `count` students: {'picks': {(file, function): style or None}, 'keep_todo': bool},
    each TODO's style drawn among the honest ones (a wrong one with probability wrong_rate): uniformly, or
    with skew > 0 the i-th style of the fixture (the textbook ones come first) with weight 1 / (i + 1)^skew,
    as in a class where most write the same few answers."""
    rng = np.random.default_rng(seed)
    answers, (keys, optional) = load_answers(), todo_keys()
    students = []
    for _ in range(count):
        picks = {}
        for key in keys:
            honest = [a.style for a in answers[key] if not a.wrong]
            wrong = [a.style for a in answers[key] if a.wrong]
            if key in optional and rng.random() >= OPTIONAL_DONE:
                picks[key] = None
            elif wrong and rng.random() < wrong_rate:
                picks[key] = wrong[rng.integers(len(wrong))]
            elif skew:
                weights = 1 / np.arange(1, len(honest) + 1) ** skew
                picks[key] = honest[rng.choice(len(honest), p=weights / weights.sum())]
            else:
                picks[key] = honest[rng.integers(len(honest))]
        students.append({'picks': picks, 'keep_todo': bool(rng.random() < KEEP_TODO_COMMENTS)})
    return students


def _todo_block(file, function, text):
    """(start, end, indent, comment lines) of the TODO that stands for `function` in the release text."""
    from teacher import handout
    for indent in ('    ', '        '):
        lines = handout._todo(file, function, indent)
        block = '\n'.join(lines)
        at = text.find('\n' + block + '\n')
        if at >= 0:
            return at + 1, at + 1 + len(block), indent, lines[:-1]
    raise ValueError(f'{file}: the TODO of {function} is not in the release')


def answer_text(file, text, answers, keep_todo=False):
    """The release's `text` of `file` with each TODO of `answers` ({function: Answer}) replaced by its
    body, and the answers' helpers put after `import numpy as np`."""
    helpers = []
    for function, answer in answers.items():
        start, end, indent, comment = _todo_block(file, function, text)
        body = [indent + line if line.strip() else '' for line in answer.body.split('\n')]
        text = text[:start] + '\n'.join((comment if keep_todo else []) + body) + text[end:]
        if answer.module:
            helpers.append(answer.module)
    if helpers:
        anchor = 'import numpy as np\n'
        at = text.index(anchor) + len(anchor)
        text = text[:at] + '\n\n' + '\n\n\n'.join(helpers) + '\n\n' + text[at:]
    return text


def submission_texts(release, student, answers=None, transform=None, files=FILES):
    """{case file: text} of the student's submission: the release's files with their answers.

    transform(answer) -> answer, when given, is applied to every answer first (a disguise)."""
    answers = answers or load_answers()
    texts = {}
    for file in files:
        with open(os.path.join(release, file), encoding='utf-8') as handle:
            text = handle.read()
        chosen = {}
        for (where, function), style in student['picks'].items():
            if where == file and style is not None:
                answer = next(a for a in answers[(where, function)] if a.style == style)
                chosen[function] = transform(answer) if transform else answer
        texts[file] = answer_text(file, text, chosen, student['keep_todo'])
    return texts


def write_submission(folder, texts):
    os.makedirs(folder)
    for name, text in texts.items():
        with open(os.path.join(folder, name), 'w', encoding='utf-8') as handle:
            handle.write(text)
    return folder


# ---- the numbers a submission computes ----

def _inputs(seed=7):
    """[(probe name, inputs)]: every case-2 TODO on small float64 inputs, labels and one-hot targets."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4)[labels]
    e = np.exp(u - u.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    x, W, b = rng.standard_normal((6, 5)), rng.standard_normal((5, 3)), rng.standard_normal((1, 3))
    delta = rng.standard_normal((6, 3))
    act = rng.standard_normal((6, 5)) * 2
    act[0, :2] = (800.0, -800.0)
    d_act = rng.standard_normal((6, 5))
    W2, b2 = rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    grads_W, grads_b = rng.standard_normal((3, 4, 3)), rng.standard_normal((3, 1, 3))
    calls = [('softmax_parts', {'u': u})]
    for kind in ('softmax', 'euclidean'):
        for gt in (labels, onehot):
            calls += [('loss_forward', {'kind': kind, 'u': u, 'gt': gt}),
                      ('loss_gradient', {'kind': kind, 'u': u, 'gt': gt}),
                      ('loss_backward', {'kind': kind, 'gt': gt, **({'y': y} if kind == 'softmax' else
                                                                      {'diff': u - onehot})})]
    calls += [('fc_forward', {'x': x, 'W': W, 'b': b}), ('fc_gradients', {'x': x, 'W': W, 'b': b, 'delta': delta}),
              ('fc_backward', {'x': x, 'W': W, 'b': b, 'delta': delta}),
              ('fc_backward', {'x': x, 'W': W, 'b': b, 'delta': delta, 'forward': False})]
    for kind in ('ReLU', 'Sigmoid'):
        calls += [('activation', {'kind': kind, 'u': act}),
                  ('activation_backward', {'kind': kind, 'delta': d_act, 'u': act}),
                  ('activation_backward', {'kind': kind, 'delta': d_act, 'output': np.abs(act) % 1})]
    for momentum, decay, nesterov in ((0.9, 0.01, False), (0.9, 0.01, True), (0.0, 0.0, False), (0.5, 0.1, True)):
        for fast in (False, True):
            calls.append(('sgd_trajectory', {'W': W2, 'b': b2, 'grads_W': grads_W, 'grads_b': grads_b,
                                             'learning_rate': 0.1, 'momentum': momentum, 'weight_decay': decay,
                                             'nesterov': nesterov, 'fast': fast}))
    return calls


def _load_probes():
    spec = importlib.util.spec_from_file_location('_similarity_probes', os.path.join(ROOT, 'tests', 'probes.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASE_MODULES = ('criterion', 'layers', 'optimizer', 'loss', 'network')


def probe(folder):
    """[(probe name, {output: value or the error's type name})] of the case files in `folder`, run in
    this process with the project's other modules (each probe's error is an output too)."""
    probes = _load_probes()
    saved = {name: sys.modules.pop(name) for name in CASE_MODULES if name in sys.modules}
    sys.path.insert(0, folder)
    results = []
    try:
        for name, inputs in _inputs():
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                try:
                    out = probes.PROBES[name](**{k: v.copy() if isinstance(v, np.ndarray) else v
                                                 for k, v in inputs.items()})
                except Exception as error:   # a wrong answer may fail: its failure is what it computes
                    out = {'error': type(error).__name__}
            if name == 'softmax_parts' and 'error' not in out:   # s and log Σ may shift together
                out = {'y': out['y'], 'log_y': out['s'] - out['log_total']}
            results.append((name, out))
    finally:
        sys.path.remove(folder)
        for name in CASE_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    return results


def differences(first, second, rtol=1e-7, atol=1e-9):
    """['probe: output'] where the two probe results differ (shape, value beyond the tolerance, error)."""
    found = []
    for (name, a), (_, b) in zip(first, second):
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key), b.get(key)
            if isinstance(x, str) or isinstance(y, str) or x is None or y is None:
                same = x == y if not (x is None) ^ (y is None) else False
            else:
                x, y = np.asarray(x, float), np.asarray(y, float)
                same = x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
            if not same:
                found.append(f'{name}: {key}')
    return found


def project_with(answer, folder):
    """Write into `folder` the project's case files with the solution of the answer's function replaced
    by the answer (its helper at the top): one TODO answered this way, everything else the project's."""
    from teacher import handout
    os.makedirs(folder, exist_ok=True)
    for file in FILES:
        with open(os.path.join(ROOT, file), encoding='utf-8') as handle:
            lines = handle.read().split('\n')
        if file == answer.file:
            begin, end, _, _ = next(r for r in handout.regions(os.path.join(ROOT, file), file)
                                    if r[3] == answer.function)
            indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
            lines[begin:end + 1] = [indent + line if line.strip() else '' for line in answer.body.split('\n')]
            if answer.module:
                at = lines.index('import numpy as np') + 1
                lines[at:at] = ['', ''] + answer.module.split('\n') + ['']
        with open(os.path.join(folder, file), 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(lines))
    return folder
