"""Student releases from the solution regions: `python -m teacher.handout OUT --case 1|2|3 [--lang en|zh]`.

A solution region is a run of lines inside one function body, between two comment lines indented
like the code they wrap:

    ### BEGIN SOLUTION case 2                 a TODO of case 2 (`case 1 2`: of both; `case 3`: the CNN case)
    ### BEGIN SOLUTION case 2 (given in 1)    a TODO of case 2 whose solution case 1's code needs to run
    ...the solution...
    ### END SOLUTION

In the release of case c a region is
- a TODO when c is one of its cases: its TODO comment (`TODOS`: what to compute, in the lecture's
  notation, with the shapes) and a `raise NotImplementedError` naming the file and the TODO;
- given (the solution, without the markers) when c comes after its first case (that TODO is behind
  the students) or is named in `(given in ...)`;
- withheld otherwise, a case still ahead: a `raise NotImplementedError` saying which case brings it,
  and not one line of the solution.
`make_release` checks what it wrote and refuses a release holding a line of a withheld region or of a
TODO. For the grader: `make_release(out_dir, case)` and `case_files(case)`; for the student README:
`case_regions(case)`, the TODOs and the given regions.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile

from teacher import markers as handout_markers, release_readme
from teacher.markers import MARKER, Cases, LeakError, MarkerError  # noqa: F401  (handout's names for them)

CASES = (1, 2, 3)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the course's checkout
NOT_COPIED = ('handout', 'grade', 'fastconv')   # top-level files so named stay with the teacher: the old commands'
# shims, and fastconv.py (ConvLayer's FFT path: a whole convolution with its gradients, case 3's TODOs by another road)
WING = 'teacher'   # this package: never in a release
FILES = ('requirements.txt', 'pytest.ini')        # copied as they are
FOLDERS = ('data', 'report')   # copied whole: the MNIST files, the report's package
# the tests that teach each case; case 3's release keeps cases 1 and 2 solved, so their tests would not fail by name
TEACHING = {1: ('test_case1.py',), 2: ('test_case1.py', 'test_case2.py'), 3: ('test_case3.py',)}
TESTS = {   # the release's tests: the helpers, the tests that teach, and the tests no TODO touches
    case: ('conftest.py', 'gradcheck.py', 'diagnose.py', 'probes.py', 'probe_timing.py', 'test_dataloader.py',
           'test_visualize.py')
    + TEACHING[case] for case in CASES}
FALLBACK = {   # regions whose release body is working code rather than a raise (an optional fast path)
    ('optimizer.py', 'SGD._update_fast'): 'self._update_plain(param, grad, state, decay)',
    ('conv.py', 'ConvLayer._fast_path'): 'return False'}
TODOS = {   # (file, function): the TODO comment that replaces the region
    ('criterion.py', 'softmax_parts'): """\
Softmax of the logits u (N, K), without overflow: subtract the largest logit of each row,
    s = u - max_j u_j (N, K), so every e^{s_j} <= 1 (softmax(u - c) = softmax(u)).
Return (s, y, log_total): y = e^s / Σ_j e^{s_j} (N, K) and log_total = log Σ_j e^{s_j} (N, 1).""",
    ('criterion.py', 'SoftmaxCrossEntropyLossLayer.forward'): """\
Softmax cross-entropy, forward. With y = softmax(u) (use softmax_parts) and t the one-hot targets:
    E = -(1/N) Σ_n Σ_k t_nk log y_nk   (log y = s - log_total, never log of a 0).
gt holds labels (N,) or targets (N, K). Keep y (N, K) in self.y and gt in self.gt for backward;
set self.loss = E (a float) and self.acc = accuracy(logit, gt).""",
    ('criterion.py', 'SoftmaxCrossEntropyLossLayer.backward'): """\
Softmax cross-entropy, gradient: return dE/du = (y - t) / N (N, K), a new array
(subtract_targets(y, gt) computes y - t in place; copy self.y first).""",
    ('criterion.py', 'EuclideanLossLayer.forward'): """\
Euclidean loss, forward: E = (1/N) Σ_n ½ Σ_k (y_nk - t_nk)², y the logits (N, K).
Keep the difference y - t (N, K) in self.diff for backward (subtract_targets works on a copy of logit);
set self.loss = E (a float) and self.acc = accuracy(logit, gt).""",
    ('criterion.py', 'EuclideanLossLayer.backward'): """\
Euclidean loss, gradient: return dE/dy = (y - t) / N (N, K).""",
    ('layers.py', 'FCLayer.forward'): """\
FC layer, forward: u = x W + b, x = Input (N, num_input), W (num_input, num_output),
b (1, num_output) -> u (N, num_output), a new array. Keep x in self.Input for backward.""",
    ('layers.py', 'FCLayer.backward'): """\
FC layer, backward, for δ = delta (N, num_output): store grad_W and grad_b (call
self.gradients(delta)), then return dE/dx = δ Wᵀ (N, num_input), a new array.""",
    ('layers.py', 'FCLayer.gradients'): """\
FC layer, gradients of the parameters for δ = delta (N, num_output) and x = self.Input:
    self.grad_W = xᵀ δ (num_input, num_output);  self.grad_b = Σ_n δ_n (1, num_output).
δ is already divided by N (the loss layer did it): do not divide again.""",
    ('layers.py', 'ReLULayer.forward'): """\
ReLU, forward: f(u) = max(0, u) (N, D), a new array; keep it in self.output for backward.""",
    ('layers.py', 'ReLULayer.backward'): """\
ReLU, backward: return δ ⊙ f'(u) (N, D), with f'(u) = 1 where u > 0, else 0.""",
    ('layers.py', 'SigmoidLayer.forward'): """\
Sigmoid, forward: f(u) = 1 / (1 + e^{-u}) (N, D), without overflow for large |u|;
keep it in self.output for backward.""",
    ('layers.py', 'SigmoidLayer.backward'): """\
Sigmoid, backward: return δ ⊙ f(u)(1 - f(u)) (N, D).""",
    ('conv.py', 'ConvLayer.correlate'): """\
Convolution (cross-correlation), forward, as one GEMM: P = self.cols (N·Ho·Wo, kh·kw·C) holds
    in row (n, y, x) the window of xp under output pixel (y, x), columns in (i, j, c) order, and
    W₂ = self.weight_matrix() (F, kh·kw·C) holds each filter in the same order. Compute
    u = P W₂ᵀ + b (N·Ho·Wo, F), b (F,) added to every row; return it as (N, F, Ho, Wo)
    (reshape to (N, Ho, Wo, F), then transpose the axes; a view is fine).""",
    ('conv.py', 'ConvLayer.gradients'): """\
Convolution, gradients of the parameters for δ = delta (N, F, Ho, Wo) and P = self.cols:
    with δ as rows (N·Ho·Wo, F) (transpose δ to (N, Ho, Wo, F), then reshape),
    grad_W₂ = δᵀ P (F, kh·kw·C), stored in self.grad_W as (F, C, kh, kw): reshape to (F, kh, kw, C)
    and move C to axis 1 (the inverse of weight_matrix()); self.grad_b = Σ_{n,y,x} δ (F,).""",
    ('conv.py', 'ConvLayer.backward'): """\
Convolution, input gradient for δ = delta (N, F, Ho, Wo): dE/dP = δ W₂ (N·Ho·Wo, kh·kw·C), δ as
    rows as in gradients; its columns of kernel offset (i, j) are δ W[:, :, i, j] (N·Ho·Wo, C).
    Every column (i, j, c) came from xp[n, c, s·y + i, s·x + j]: start from a zero gradient of the
    padded input, channels-last (N, H + 2p, W + 2p, C), and add the (N, Ho, Wo, C) block of each
    offset (i, j) at rows i, i + s, ... and columns j, j + s, ... (a strided slice per offset, no
    np.add.at). Return it without the padding, as (N, C, H, W).""",
    ('conv.py', 'ConvLayer._fast_path'): """\
(optional, nothing to write) The teacher's version returns True here for the deep float32 layers, which
    then take an FFT path (fastconv.py, not in this release); False keeps every input on your correlate,
    gradients and backward above, the convolution this case is about.""",
    ('pooling.py', 'MaxPoolingLayer.backward'): """\
Max pooling, backward: for each window offset o (self.offsets(grad) gives (o, the strided slice
    of grad (N, C, Ho, Wo) at that offset)), add δ = delta where self.winner == o, the offset of
    the window's maximum that the forward pass kept (on ties the first in row-major order); the
    other cells of each window get nothing.""",
    ('softmax_classifier.py', 'softmax_classifier'): """\
Softmax regression on one minibatch (no bias): u = x W (N, C), x = input (N, D), W (D, C), y = softmax(u)
(use softmax_parts: log y = s - log_total, never a log of 0), t = label (one-hot (N, C) or labels (N,)):
    loss = -(1/N) Σ_n Σ_c t_nc log y_nc + (λ/2) Σ W²   (a float; λ = lamda)
    gradient = xᵀ(y - t)/N + λW   (D, C)   (subtract_targets(y, label) gives y - t)
    prediction = argmax_c u_nc   (N,)""",
    ('optimizer.py', 'SGD._update_plain'): """\
SGD with momentum and weight decay, for one parameter w = param (any shape), in place:
    ∇J = ∇E + λ·w   (∇E = grad, λ = decay: 0 for biases, so use decay, not self.weight_decay)
    v ← γ·v − α·∇J;  w ← w + v      (v = state['v'], γ = self.momentum, α = self.learning_rate)
    Nesterov (self.nesterov): v as above, then w ← w + γ·v − α·∇J.
Write into param and v (param += ..., v[...] = ...): the caller keeps these arrays.""",
    ('optimizer.py', 'SGD._update_fast'): """\
(optional) The same update as _update_plain, in place with no new arrays: scratch holds two
arrays shaped like param for intermediate results. Until then, the plain form runs.""",
}


def regions(path, name=None):
    """[(begin, end, cases, function)] of the file's regions (handout_markers.regions, for CASES)."""
    return handout_markers.regions(path, name, CASES)


def modules(source_dir=ROOT):
    """The top-level .py files a release holds, sorted."""
    return sorted(f for f in os.listdir(source_dir) if f.endswith('.py') and not f.startswith(NOT_COPIED))


def case_files(case, source_dir=None):
    """The files (relative paths) a student of `case` edits: those holding a region of that case."""
    case, source_dir = _check_case(case), source_dir or ROOT
    return [f for f in modules(source_dir) if any(case in r[2] for r in regions(os.path.join(source_dir, f)))]


def strip(path, case, name=None):
    """The text of the file for the release of `case`: each region a TODO, given, or withheld (see above)."""
    name = name or os.path.basename(path)
    found = regions(path, name)
    with open(path, encoding='utf-8') as file:
        lines = file.read().split('\n')
    out, at = [], 0
    for begin, end, cases, function in found:
        out += lines[at:begin]
        indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
        role = cases.role(case)
        out += (_todo(name, function, indent) if role == 'todo' else lines[begin + 1:end] if role == 'given'
                else [indent + f'raise NotImplementedError({name + ": " + function + " comes with case " + str(min(cases))!r})'])
        at = end + 1
    return '\n'.join(out + lines[at:])


def _todo(name, function, indent):
    """The lines that stand in for a region: the TODO comment, then the raise (or the fallback)."""
    text = TODOS.get((name, function))
    if text is None:
        raise MarkerError(f'{name}: the region in {function} has no TODO text in handout.TODOS')
    comment = [f'{indent}# TODO: {text.splitlines()[0]}']
    comment += [f'{indent}#   {line.strip()}' for line in text.splitlines()[1:]]
    body = FALLBACK.get((name, function))
    if body is None:
        body = f'raise NotImplementedError({name + ": TODO " + function + " — not implemented yet"!r})'
    return comment + [indent + body]


def student_notebook(path, source_dir=ROOT):
    """The notebook's JSON text for students: every code cell's outputs and execution count cleared, and
    each section (a heading and the cells up to the next heading of its level or above) that imports a
    module the release leaves out (the teacher's) dropped."""
    with open(path, encoding='utf-8') as file:
        notebook = json.load(file)
    teacher = '|'.join(sorted({WING} | {re.escape(f[:-3]) for f in os.listdir(source_dir)
                                        if f.endswith('.py') and f.startswith(NOT_COPIED)}))
    imports = re.compile(rf'^\s*(from|import)\s+({teacher})\b', re.M)
    sections, cells = [], notebook.get('cells', [])
    for cell in cells:
        text = ''.join(cell.get('source', []))
        level = len(text) - len(text.lstrip('#')) if cell.get('cell_type') == 'markdown' else 0
        if level or not sections:
            sections.append((level, []))
        sections[-1][1].append(cell)
    kept, dropping = [], None
    for level, section in sections:
        if dropping is None or (level and level <= dropping):
            dropping = level if imports and any(c.get('cell_type') == 'code' and imports.search(
                ''.join(c.get('source', []))) for c in section) else None
            kept += section if dropping is None else []
    for cell in (c for c in kept if c.get('cell_type') == 'code'):
        cell['outputs'], cell['execution_count'] = [], None
    notebook['cells'] = kept
    return json.dumps(notebook, indent=1, ensure_ascii=False) + '\n'


def student_readme(case, source_dir=ROOT, lang='en'):
    """The release's README.md in `lang` ('en' or 'zh'; release_readme.py writes it)."""
    todos, given = case_regions(case, source_dir)
    packages = [f for f in FOLDERS if os.path.isfile(os.path.join(source_dir, f, '__init__.py'))]
    release = ([m for m in modules(source_dir) if m[:-3] not in packages]   # not a package's moved-notice shim
               + [f'{p}/' for p in packages] + sorted(f for f in os.listdir(source_dir) if f.endswith('.ipynb')))
    return release_readme.readme(case, lang, case_files(case, source_dir), todos, given, release,
                                 [t for t in TESTS[case] if t.startswith('test_case')], source_dir)


def case_regions(case, source_dir=ROOT):
    """([(file, function, TODO text, optional)], [(file, function, TODO text)]): the regions the
    release of `case` leaves to the student, and those it gives as working code (a region of a later
    case, withheld, is in neither)."""
    todos, given = [], []
    for name in modules(source_dir):
        for _, _, cases, function in regions(os.path.join(source_dir, name)):
            text, role = TODOS.get((name, function), ''), cases.role(case)
            if role == 'todo':
                todos.append((name, function, text, (name, function) in FALLBACK))
            elif role == 'given':
                given.append((name, function, text))
    return todos, given


def _check_case(case):
    if isinstance(case, bool) or case not in CASES:
        raise ValueError(f'case {case!r}: expected one of {CASES}')
    return case


def make_release(out_dir, case, source_dir=None, lang='en'):
    """Write the student release of `case` (README in `lang`) into out_dir, which must not exist or be empty.

    Built in a temporary folder beside out_dir and renamed into place, so a failure leaves nothing.
    """
    case, source_dir = _check_case(case), os.path.abspath(source_dir or ROOT)
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)):
        raise FileExistsError(f'release folder {out_dir} exists and is not empty: give a new or empty folder')
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.' + os.path.basename(out_dir) + '.', dir=os.path.dirname(out_dir))
    try:
        _fill(tmp, case, source_dir, lang)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fill(out, case, source, lang):
    """Write every file of the release into the folder `out`."""
    texts = {name: strip(os.path.join(source, name), case) for name in modules(source)}
    leaked = [f'{name}: {function}: {line}' for name, text in texts.items()
              for function, line in handout_markers.leaks(os.path.join(source, name), case, text, known=CASES)]
    if leaked:
        raise LeakError(f'the case-{case} release would hold solution lines it must not: ' + '; '.join(leaked[:5]))
    texts.update({name: student_notebook(os.path.join(source, name), source)
                  for name in sorted(os.listdir(source)) if name.endswith('.ipynb')})
    texts['README.md'] = student_readme(case, source, lang)
    for name, text in texts.items():
        with open(os.path.join(out, name), 'w', encoding='utf-8', newline='\n') as file:
            file.write(text)
    for name in FILES:
        shutil.copyfile(os.path.join(source, name), os.path.join(out, name))
    os.mkdir(os.path.join(out, 'tests'))
    for name in TESTS[case]:
        shutil.copyfile(os.path.join(source, 'tests', name), os.path.join(out, 'tests', name))
    for name in FOLDERS:
        shutil.copytree(os.path.join(source, name), os.path.join(out, name), copy_function=shutil.copyfile,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '*.part'))


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m teacher.handout',
                                     description='Write the student release of a case into OUT.')
    parser.add_argument('out', metavar='OUT', help='a new or empty folder')
    parser.add_argument('--case', type=int, choices=CASES, required=True)
    parser.add_argument('--lang', choices=release_readme.LANGS, default='en', help="the README's language (default: en)")
    args = parser.parse_args(argv)
    try:
        make_release(args.out, args.case, lang=args.lang)
    except (MarkerError, LeakError, FileExistsError) as error:
        sys.exit(f'teacher.handout: {error}')
    print(f'case {args.case} release written to {args.out}: students edit {", ".join(case_files(args.case))}')


if __name__ == '__main__':
    main()
