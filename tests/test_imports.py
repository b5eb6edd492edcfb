"""The house plan's promise (DESIGN.md): the project's modules import one another without a loop.

Every `import` of every module counts, at the top or inside a function (a lazy import is still an
arrow), except the lines under `if __name__ == '__main__':`: they run only when the file is the
program, the module `__main__`, which no module imports.
"""
import ast
import os

from conftest import ROOT

PACKAGES = ('teacher', 'report')   # the project's packages; every other module lives at the root


def project_modules():
    """{module name: path} of the root's modules and the packages' modules (tests/ and bench/ are programs
    beside the project, not rooms of it)."""
    modules = {name[:-3]: os.path.join(ROOT, name) for name in os.listdir(ROOT) if name.endswith('.py')}
    for package in PACKAGES:
        for name in os.listdir(os.path.join(ROOT, package)):
            if name.endswith('.py'):
                module = package if name == '__init__.py' else f'{package}.{name[:-3]}'
                modules[module] = os.path.join(ROOT, package, name)
    return modules


def _is_main_block(node):
    test = getattr(node, 'test', None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == '__name__')


def imported(path, modules, package=''):
    """The project modules the file at `path` imports. `from package import room` is an arrow to the room
    only (the package is its parent, loaded before it anyway); `from module import name`, to the module."""
    with open(path, encoding='utf-8') as file:
        tree = ast.parse(file.read())
    found, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if _is_main_block(node):
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:   # relative: from the module's own package
                base = '.'.join(filter(None, [package, base]))
            rooms = {f'{base}.{alias.name}' for alias in node.names}   # `from package import room`: the room
            found |= {room if room in modules else base for room in rooms}
        todo.extend(ast.iter_child_nodes(node))
    return {name for name in found if name in modules}


def import_graph():
    modules = project_modules()
    return {name: imported(path, modules, name if path.endswith('__init__.py') else name.rpartition('.')[0])
            - {name} for name, path in modules.items()}


def find_cycle(graph):
    """One loop of the graph {node: set of nodes} as a list [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for after in sorted(graph.get(node, ())):
            if state.get(after) == 'open':
                return stack[stack.index(after):] + [after]
            if after not in state:
                loop = visit(after)
                if loop:
                    return loop
        state[node] = 'done'
        stack.pop()
        return None
    for node in sorted(graph):
        if node not in state:
            loop = visit(node)
            if loop:
                return loop
    return None


def test_the_finder_sees_a_loop_and_a_lazy_import(tmp_path):
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': set()}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) is None
    (tmp_path / 'one.py').write_text('def main():\n    import two\n    from teacher import grade\n'
                                     "if __name__ == '__main__':\n    import three\n")
    modules = {'two': '', 'three': '', 'teacher': '', 'teacher.grade': ''}
    assert imported(str(tmp_path / 'one.py'), modules) == {'two', 'teacher.grade'}


def test_the_project_imports_hold_no_loop():
    graph = import_graph()
    assert 'cli' in graph['solver'] or 'solver' in graph['cli']   # the walk sees the program's rooms
    assert 'teacher.sandbox' in graph['teacher.run']
    loop = find_cycle(graph)
    assert loop is None, 'import loop: ' + ' -> '.join(loop)
