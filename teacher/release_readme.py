"""The student release's README.md, in English or Chinese from one template: `readme(case, lang, ...)`.

A release is a complete starting point, so its README walks a student through it in order: set up a
virtual environment, the TODOs of the case and what is given, the checks, the notebooks, the report,
exactly what to hand in, and what the feedback says (the tests, the assignment's rules). `TEXT` holds every sentence once per language (the course is taught in
Chinese); the lists (files, TODOs, commands, tables) are built once, from the release's facts that
teacher/handout.py gathers, so both languages always name the same things. Commands and code stay as they are.
"""
import ast
import json
import os

LANGS = ('en', 'zh')
REPORT_GIVEN = (3,)   # the cases whose TODOs the report's runs never call (the CNN case)
MAIN_NOTEBOOK = {1: 'runner.ipynb', 2: 'mlp.ipynb', 3: 'convnet.ipynb'}   # the notebook each case starts from
TEXT = {   # key -> {lang: text}; {placeholders} are filled by readme()
    'title': {'en': '# Case {case}: your part', 'zh': '# 案例 {case}：你要完成的部分'},
    'intro': {
        'en': 'This folder is the course framework for MNIST in plain numpy, with the parts of case {case} '
              'left for you to write. Work through the steps below in order.',
        'zh': '这个文件夹是用纯 numpy 实现的 MNIST 课程框架，案例 {case} 中需要你编写的部分已经留空。'
              '请按下面的步骤依次完成。'},
    'case1_files': {
        'en': 'The course says case 1 completes the TODOs of `loss.py` and `optimizer.py`; here `loss.py`\'s '
              'model is built from the softmax cross-entropy layer of `criterion.py` (E and dE/du) and the '
              'linear layer of `layers.py` (whose `FCLayer.gradients`, xᵀδ and Σ_n δ_n, is yours too), so '
              'those two files hold the TODOs instead of `loss.py`. `softmax_classifier.py` is softmax regression '
              '(without a bias) as the course\'s 2018–2022 notebooks write it: one function for their own loop.',
        'zh': '课程中案例 1 要求完成 `loss.py` 和 `optimizer.py` 中的 TODO；这里 `loss.py` 的模型由 '
              '`criterion.py` 中的 softmax 交叉熵层（E 和 dE/du）和 `layers.py` 中的线性层组成'
              '（其中 `FCLayer.gradients`，即 xᵀδ 和 Σ_n δ_n，也由你完成），所以 TODO 在这两个文件中，'
              '而不在 `loss.py` 中。`softmax_classifier.py` 是课程 2018–2022 年笔记本中的 softmax 回归（不含偏置），'
              '一个函数，供笔记本自己的训练循环调用。'},
    'setup': {'en': '## 1. Set up (once)', 'zh': '## 1. 配置环境（只需一次）'},
    'setup_text': {
        'en': 'You need Python 3 (`python3 --version` shows it). In this folder, make a virtual environment '
              'and install the requirements into it:',
        'zh': '需要 Python 3（用 `python3 --version` 查看）。在本文件夹中创建虚拟环境，并把依赖安装进去：'},
    'setup_after': {
        'en': 'In every new terminal, activate the environment again (the second line) before the commands below.',
        'zh': '每打开一个新终端，都要先重新激活环境（第二行命令），再运行下面的命令。'},
    'activate': {'en': 'Windows: .venv\\Scripts\\activate', 'zh': 'Windows：.venv\\Scripts\\activate'},
    'todos': {'en': '## 2. Your TODOs', 'zh': '## 2. 你的 TODO'},
    'todos_text': {
        'en': 'Edit only {files}. Each TODO stands in its function where `raise NotImplementedError(...)` is '
              'now, under a `# TODO:` comment that says what to compute, in the lecture\'s notation, with '
              'the shapes:',
        'zh': '只需修改 {files}。每个 TODO 位于对应函数中现在写着 `raise NotImplementedError(...)` 的地方，'
              '其上方的 `# TODO:` 注释用课程的记号说明要计算什么，并给出数组的形状：'},
    'table_head': {'en': '| file | function | what to compute (the first line of its TODO) |',
                   'zh': '| 文件 | 函数 | 要计算的内容（TODO 注释的第一行） |'},
    'optional': {'en': '(optional: the plain form runs until you write it)',
                 'zh': '（可选：在你写出之前，运行的是普通版本）'},
    'given': {'en': '## What is given', 'zh': '## 已经给出的部分'},
    'given_regions': {'en': 'Working code in the files you edit, used as it is:',
                      'zh': '你要修改的文件中已经写好、可以直接使用的代码：'},
    'given_modules': {'en': 'The rest of the framework, which you use but do not edit:',
                      'zh': '框架的其余部分（使用即可，不要修改）：'},
    'given_rest': {
        'en': '`data/`: MNIST, so nothing is downloaded; `tests/`: the checks of step 3; `requirements.txt`.',
        'zh': '`data/`：MNIST 数据，无需下载；`tests/`：第 3 步的检查；`requirements.txt`：依赖列表。'},
    'check': {'en': '## 3. Check your work', 'zh': '## 3. 检查你的代码'},
    'check_all': {'en': 'every test of this folder', 'zh': '本文件夹中的全部测试'},
    'check_one': {'en': 'only the tests of the TODOs', 'zh': '只运行 TODO 的测试'},
    'check_text': {
        'en': 'Each TODO you have not done yet shows up as a failed test saying "not implemented yet". A '
              'wrong one fails with a diagnosis: where the analytic gradient differs most from the numerical '
              'one and, for the common mistakes (off by the batch size N, wrong sign, transposed, bias '
              'gradient not summed, softmax overflowing, momentum on the wrong term, weight decay on the '
              'bias), which one.',
        'zh': '还没完成的 TODO 会显示为失败的测试，并注明 "not implemented yet"。写错的 TODO 会附带诊断：'
              '解析梯度与数值梯度相差最大的位置；如果是常见错误（差了批大小 N 倍、符号错误、转置、偏置梯度'
              '没有求和、softmax 溢出、动量加在了错误的项上、对偏置做了权重衰减），还会指出是哪一个。'},
    'notebooks': {'en': '## 4. Run the notebooks', 'zh': '## 4. 运行 notebook'},
    'notebooks_text': {
        'en': 'Jupyter opens in your browser; the other notebooks are in its file list. They train with '
              'your code once the tests of step 3 pass:',
        'zh': 'Jupyter 会在浏览器中打开；其他 notebook 在它的文件列表中。第 3 步的测试通过后，'
              'notebook 就会用你的代码进行训练：'},
    'report': {'en': '## 5. Make the report', 'zh': '## 5. 生成报告'},
    'report_quick': {'en': 'under a minute: checks that everything runs (its numbers are not the report\'s)',
                     'zh': '不到一分钟：检查整个流程能否运行（其中的数字不是报告的结果）'},
    'report_full': {'en': 'a few minutes: the experiments, into report_out/ (report.pdf, results.json, results.md)',
                    'zh': '几分钟：完整实验，结果写入 report_out/（report.pdf、results.json、results.md）'},
    'report_text': {
        'en': 'The report trains with your code: a TODO left undone stops it at once with the TODO\'s name, '
              'for example',
        'zh': '报告用你的代码训练：只要还有 TODO 没有完成，它就会立即停止，并给出该 TODO 的名字，例如'},
    'report_text_given': {
        'en': 'The report trains softmax regression and multi-layer perceptrons, which this release gives you '
              'working; it does not use the ConvNet of your TODOs.',
        'zh': '报告训练的是 softmax 回归和多层感知机，本发布中这些代码已经给出；它不使用你的 TODO 中的卷积网络。'},
    'handin': {'en': '## 6. Hand in', 'zh': '## 6. 提交'},
    'handin_text': {
        'en': 'Hand in your code, the notebook {notebook} with its results, and your PDF report; not the data set. '
              'The grader takes these files: {files}. It finds each by its name anywhere in what you hand in (the '
              'shallowest copy: keep one copy of each) and grades it with the tests of step 3 and hidden tests of '
              'the same functions. It also reads {notebook} (run it from top to bottom before you hand it in: '
              'its outputs are your results) and every .pdf, and checks them against the assignment\'s rules '
              '(below). Hand in either',
        'zh': '提交你的代码、带运行结果的 {notebook} 和 PDF 报告；不要提交数据集。评分程序读取这些文件：{files}。'
              '它按文件名在你提交的内容中的任意位置查找（取层级最浅的一份，所以每个文件只保留一份），并用第 3 步的'
              '测试以及针对相同函数的隐藏测试评分。它还会读取 {notebook}（提交前从头到尾运行一遍：它的输出就是你的'
              '结果）和每个 .pdf，并按作业的规则检查（见下文）。可以提交：'},
    'handin_zip': {'en': 'a zip of these files with your report, made in this folder with (your PDF\'s path in '
                         'place of report.pdf):',
                   'zh': '这些文件和你的报告的 zip 压缩包，在本文件夹中用下面的命令生成（把 report.pdf 换成你的 PDF 的路径）：'},
    'and': {'en': ', ', 'zh': '、'},
    'handin_folder': {
        'en': 'or this folder as it is, with your report in it, after deleting data/: the .venv, caches '
              '(__pycache__, .pytest_cache, .ipynb_checkpoints) and .git in it are skipped; MNIST\'s files '
              '(data/, *.gz) are skipped too, but reported, since the data set is not to be handed in.',
        'zh': '或者放入报告并删除 data/ 之后的整个文件夹：其中的 .venv、缓存（__pycache__、.pytest_cache、'
              '.ipynb_checkpoints）和 .git 会被跳过；MNIST 的文件（data/、*.gz）也会被跳过，但会被记录，'
              '因为作业要求不提交数据集。'},
    'handin_after': {
        'en': 'No other file is graded; your feedback lists the other files it saw as ignored. No plagiarism: '
              'write your own code. The submissions are compared with one another (and with solutions found '
              'online) on what each student wrote, renamed, reordered or respelled as it may be; a close match '
              'makes your teacher look at both.',
        'zh': '其他文件都不评分；评分反馈会把看到的其他文件列为 "ignored"。禁止抄袭：代码须由你自己编写。所有提交会'
              '相互比较（也会与网上能找到的答案比较），比较的是每位同学自己写的内容，改名、调换顺序或换一种写法都一样；'
              '高度相似的提交会由老师查看双方的代码。'},
    'feedback': {
        'en': 'Your feedback gives the points of each test with its diagnosis and, above them, each place where '
              'your hand-in breaks one of the assignment\'s rules (the notebook with its results, the PDF '
              'report, no deep-learning framework, no for loops over the batch, no data set): the file and line, '
              'what was found, and the rule. Whether a broken rule costs points is your teacher\'s choice, and '
              'the feedback says it. Graded again (an appeal), your hand-in gets the same test inputs, so the '
              'same files get the same points.',
        'zh': '评分反馈给出每个测试的得分和诊断；在它们上方，列出你的提交违反作业规则（带运行结果的 notebook、'
              'PDF 报告、不使用深度学习框架、不对批中的样本写 for 循环、不提交数据集）的每一处：文件和行号、'
              '发现的问题以及违反的规则。违反规则是否扣分由老师决定，反馈中会写明。复查（申诉）时，你的提交'
              '会用相同的测试输入重新评分，同样的文件得到同样的分数。'},
}


def readme(case, lang, files, todos, given, release_files, tests, source_dir):
    """The README.md text of the release of `case` in `lang`.

    files: the case files; todos: [(file, function, TODO text, optional)]; given: [(file, function,
    TODO text)] of the regions given as working code; release_files: the release's top-level
    files; tests: the test files of the TODOs; source_dir: where the modules and notebooks are read.
    """
    if lang not in LANGS:
        raise ValueError(f'language {lang!r}: expected one of {LANGS}')

    def say(key, **values):
        return TEXT[key][lang].format(case=case, **values)
    names = say('and').join(f'`{name}`' for name in files)
    return '\n\n'.join(part for part in [
        say('title'), say('intro'), say('case1_files') if case == 1 else '',
        say('setup'), say('setup_text'),
        _commands([('python3 -m venv .venv', ''), ('source .venv/bin/activate', say('activate')),
                   ('pip install -r requirements.txt', 'numpy, matplotlib, jupyter, pytest')]),
        say('setup_after'),
        say('todos'), say('todos_text', files=names), _todo_table(todos, say),
        say('given'), say('given_regions') if given else '',
        _bullets(f'`{file}`: `{function}` — {_first_line(text)}' for file, function, text in given),
        say('given_modules'), _bullets(_module_lines(release_files, files, source_dir)), say('given_rest'),
        say('check'),
        _commands([('python -m pytest', say('check_all'))]
                  + [(f'python -m pytest tests/{test}', say('check_one')) for test in tests[-1:]]),
        say('check_text'),
        say('notebooks'), _commands([(f'jupyter notebook {MAIN_NOTEBOOK[case]}', '')]), say('notebooks_text'),
        _bullets(_notebook_lines(release_files, source_dir)),
        say('report'),
        _commands([('python -m report --quick', say('report_quick')), ('python -m report', say('report_full'))]),
        say('report_text_given') if case in REPORT_GIVEN else say('report_text'),
        _commands([(f'python -m report: stopped: {todos[0][0]}: TODO {todos[0][1]} — not implemented yet', '')])
        if todos and case not in REPORT_GIVEN else '',
        say('handin'), say('handin_text', files=names, notebook=f'`{MAIN_NOTEBOOK[case]}`'),
        f'- {say("handin_zip")}\n\n' + _commands([(f'python -m zipfile -c case{case}.zip '
                                                   + ' '.join([*files, MAIN_NOTEBOOK[case], 'report.pdf']), '')],
                                                  indent='      '),
        f'- {say("handin_folder")}', say('handin_after'), say('feedback'),
    ] if part) + '\n'


def _commands(lines, indent='    '):
    """An indented code block of (command, comment) lines, the comments aligned."""
    width = max(len(command) for command, _ in lines)
    return '\n'.join(indent + (f'{command:<{width}}   # {comment}' if comment else command) for command, comment in lines)


def _bullets(lines):
    return '\n'.join(f'- {line}' for line in lines)


def _todo_table(todos, say):
    rows = [f'| `{file}` | `{function}` | ' + _first_line(text).replace('|', r'\|')
            + (f' {say("optional")}' if optional else '') + ' |' for file, function, text, optional in todos]
    return '\n'.join([say('table_head'), '|---|---|---|', *rows])


def _first_line(text):
    """The TODO's first line, with ' …' when the TODO goes on (the rest is in its comment)."""
    first, _, rest = text.partition('\n')
    return first.rstrip(' ,:;') + (' …' if rest.strip() else '')


def _module_lines(release_files, case_files, source_dir):
    """'`name.py`: the first sentence of its docstring' for every module of the release but the case files,
    and '`name/`: …' of its package's __init__ for every package ('name/' in release_files)."""
    lines = []
    for name in release_files:
        if name.endswith('/'):
            path = os.path.join(source_dir, name, '__init__.py')   # a package: its opening docstring
        elif name.endswith('.py') and name not in case_files:
            path = os.path.join(source_dir, name)
        else:
            continue
        with open(path, encoding='utf-8') as file:
            doc = ast.get_docstring(ast.parse(file.read())) or ''
        lines.append(f'`{name}`: {_first_sentence(doc)}'.rstrip(': '))
    return lines


def _first_sentence(doc):
    paragraph = ' '.join(doc.split('\n\n')[0].split())
    end = paragraph.find('. ')
    return paragraph if end < 0 else paragraph[:end + 1]


def _notebook_lines(release_files, source_dir):
    """'`name.ipynb`: its title (the first heading)' for every notebook of the release."""
    lines = []
    for name in release_files:
        if name.endswith('.ipynb'):
            with open(os.path.join(source_dir, name), encoding='utf-8') as file:
                cells = json.load(file).get('cells', [])
            headings = [''.join(c.get('source', [])).strip() for c in cells if c.get('cell_type') == 'markdown']
            title = next((h.splitlines()[0].lstrip('#').strip() for h in headings if h.startswith('#')), '')
            lines.append(f'`{name}`: {title}'.rstrip(': '))
    return lines
