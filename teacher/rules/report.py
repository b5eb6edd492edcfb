"""The rule "hand in a PDF report of the experiments, without much pasted code".

Every PDF the intake took is read (pdf_text.py: pages, text, images). Reported: no PDF (missing); a
PDF that cannot be read — damaged, encrypted with a password, too large, or pages without any text
(a scan) — (unreadable); each part of the assignment's report that no readable PDF names, in English
or Chinese (part-missing, one finding per part of PARTS: the checklist); a PDF whose text is mostly
code (code-pasted). A part counts as there when its words appear (the test accuracy: the words and a
number after them; a figure: an image on a page): the check finds a part left out, not a weak one.

Code: a text line is code when it parses as Python and does something (a call, an assignment, an
import, a subscript or attribute, a return), or opens a block (`def f(x):`, `for i in range(n):`).
A PDF is code-pasted when more than CODE_SHARE of its non-blank lines are code and at least
CODE_LINES_MIN lines are: a short excerpt is fine, listings of the case files are not.
"""
import ast
import re

from teacher.findings import Finding
from teacher.rules.pdf_text import read_pdf
from teacher.rules.source import parse_python

CODE_SHARE = 0.3
CODE_LINES_MIN = 20
NUMBER = r'[^0-9]{0,80}?(?:\d*\.\d+|\d+(?:\.\d+)?\s*%)'
PARTS = {   # part -> (what the assignment asks for, the pattern that finds it, its words as the feedback names them)
    'accuracy': ('the test accuracy', re.compile(
        r'(?:test(?:ing)?(?:[ -]set)?[ _-]?acc(?:uracy)?|accuracy on the test(?:ing)? set|'
        r'测试(?:集)?(?:上的?)?(?:准确率|正确率|精度|准确度))' + NUMBER, re.IGNORECASE),
        '"test accuracy" or "测试准确率" followed by its value'),
    'figure': ('at least one figure (the loss and accuracy curves)', None, 'an image on a page'),
    'momentum': ('the momentum comparison', re.compile(r'momentum|动量', re.IGNORECASE), '"momentum" or "动量"'),
    'learning_rate': ('the learning-rate study', re.compile(r'learning[ _-]?rates?|学习率', re.IGNORECASE),
                      '"learning rate" or "学习率"'),
    'batch_size': ('the batch-size study', re.compile(r'batch[ _-]?sizes?|mini-?batch|批(?:量|次)?(?:大小|尺寸)',
                                                     re.IGNORECASE), '"batch size" or "批大小"'),
}
BLOCK = re.compile(r'^(async\s+)?(def|class|for|while|if|elif|else|try|except|finally|with)\b.*:\s*(#.*)?$')
ACTIONS = (ast.Call, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.Return,
           ast.Subscript, ast.Attribute, ast.Raise, ast.Assert, ast.Lambda)


def check_report(intake):
    """[Finding('report', ...)]: missing, unreadable, part-missing (one per part), code-pasted."""
    too_large = [(path, why) for path, why in intake.refused if path.lower().endswith('.pdf')]
    findings = [Finding('report', 'unreadable', path, 0, f'{path}: {why}: it could not be checked')
                for path, why in too_large]
    if not intake.pdfs:
        return findings or [Finding('report', 'missing', '', 0, 'no PDF in the hand-in: the assignment asks for '
                                    'a PDF report of the experiments')]
    readable = {}
    for path, data in sorted(intake.pdfs.items()):
        pdf = read_pdf(data)
        if not pdf.problem and not pdf.text.strip():
            pdf = pdf._replace(problem=f'{pdf.pages} pages without any text to read (a scan?)')
        if pdf.problem:
            findings.append(Finding('report', 'unreadable', path, 0, f'{path}: {pdf.problem}: it could not be checked'))
            continue
        readable[path] = pdf
        findings += _code_pasted(path, pdf.text)
    return findings + (_parts_missing(readable) if readable else [])


def _parts_missing(readable):
    """One part-missing finding per part of PARTS that none of the readable PDFs ({path: PdfText}) has."""
    text = ' '.join(' '.join(pdf.text.split()) for pdf in readable.values())
    names = ', '.join(readable)
    file = next(iter(readable)) if len(readable) == 1 else ''
    findings = []
    for what, pattern, words in PARTS.values():
        there = pattern.search(text) if pattern else any(pdf.images for pdf in readable.values())
        if not there:
            findings.append(Finding('report', 'part-missing', file, 0, f'{what}: not found in {names} '
                                    f'(looked for {words})'))
    return findings


def is_code(line):
    """True when the text line reads as Python code (see the module's docstring)."""
    line = line.strip()
    if len(line) < 3:
        return False
    if BLOCK.match(line):
        return True
    tree = parse_python(line)
    return tree is not None and any(isinstance(node, ACTIONS) for node in ast.walk(tree))


def code_share(text):
    """(code lines, non-blank lines) of the text."""
    lines = [line for line in text.split('\n') if line.strip()]
    return sum(map(is_code, lines)), len(lines)


def _code_pasted(path, text):
    code, lines = code_share(text)
    if code < CODE_LINES_MIN or code <= CODE_SHARE * lines:
        return []
    return [Finding('report', 'code-pasted', path, 0, f'{code} of its {lines} text lines ({code / lines:.0%}) read as '
                    f'code, more than the {CODE_SHARE:.0%} allowed: the report describes the experiments, the '
                    'code is handed in as files')]
