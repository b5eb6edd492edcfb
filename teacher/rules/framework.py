"""The rule "use no deep-learning framework": every import of one, found by reading the code.

Each Source of the hand-in (its .py files and the code cells of its notebooks) is parsed with `ast`
and never run. Found: `import torch`, `import torch.nn as nn`, `from tensorflow import keras`,
`from sklearn.neural_network import MLPClassifier`, `from sklearn import neural_network`,
`__import__('torch')`, `importlib.import_module('jax.numpy')`, and `sklearn.neural_network` reached
as an attribute of `import sklearn`. A name built at run time (`__import__('to' + 'rch')`) is not seen here; the sandbox
has no framework installed to import anyway.
"""
import ast

from teacher.findings import Finding
from teacher.rules.source import code_line, handin_sources, parse, where

FRAMEWORKS = {   # a module (and everything under it) -> the framework it is
    'tensorflow': 'TensorFlow', 'keras': 'Keras', 'tf_keras': 'Keras', 'torch': 'PyTorch',
    'torchvision': 'PyTorch (torchvision)', 'lightning': 'PyTorch Lightning', 'pytorch_lightning': 'PyTorch Lightning',
    'jax': 'JAX', 'flax': 'JAX (Flax)', 'paddle': 'PaddlePaddle', 'mxnet': 'MXNet', 'mindspore': 'MindSpore',
    'oneflow': 'OneFlow', 'megengine': 'MegEngine', 'theano': 'Theano', 'chainer': 'Chainer', 'caffe': 'Caffe',
    'sklearn.neural_network': "scikit-learn's neural networks",
}
IMPORTERS = ('__import__', 'import_module')   # functions that import the module their first argument names


def framework_of(module):
    """The framework the dotted module name belongs to, or ''."""
    for prefix, name in FRAMEWORKS.items():
        if module == prefix or module.startswith(prefix + '.'):
            return name
    return ''


def imported_modules(node):
    """The dotted module names a node imports: `import a.b` gives 'a.b', `from a import b` 'a.b'
    (b may be a module), `__import__('a')` and `importlib.import_module('a')` 'a'; else none."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module] + [f'{node.module}.{alias.name}' for alias in node.names if alias.name != '*']
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        function = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, 'attr', '')
        return [node.args[0].value] if function in IMPORTERS else []
    return []


def sklearn_names(tree):
    """The names scikit-learn is bound to in the tree (`import sklearn`, `import sklearn as sk`)."""
    return {alias.asname or 'sklearn' for node in ast.walk(tree) if isinstance(node, ast.Import)
            for alias in node.names if alias.name == 'sklearn'}


def reaches_neural_network(node, sklearn):
    """True for `sk.neural_network` (and deeper) where `sk` is one of the names scikit-learn is bound to."""
    if not (isinstance(node, ast.Attribute) and node.attr == 'neural_network'):
        return False
    root = node.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in sklearn


def check_framework(intake):
    """[Finding('framework', 'import', ...)] for each statement of the hand-in that imports a framework."""
    findings = []
    for source in handin_sources(intake):
        for tree, offset in parse(source):
            sklearn = sklearn_names(tree)
            for node in ast.walk(tree):
                modules = imported_modules(node) + ['sklearn.neural_network'] * reaches_neural_network(node, sklearn)
                names = [framework_of(module) for module in modules]
                name = next((n for n in names if n), '')
                if name:
                    findings.append(_finding(source, node.lineno + offset, name))
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.detail))


def _finding(source, line, framework):
    file, at, prefix = where(source, line)
    return Finding('framework', 'import', file, at,
                   f'{prefix}`{code_line(source, line)}` imports {framework}: the assignment allows no '
                   'deep-learning framework')
