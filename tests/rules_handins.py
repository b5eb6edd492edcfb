"""Planted hand-ins for the rules' tests (tests/test_rules.py, tests/test_rules_report.py): the fixtures
`report_pdf` and `complete`, and `findings_of`. Teacher-only (it imports the teacher's wing), so it lives
here rather than in tests/conftest.py, which every student release takes; a test file imports both fixtures
by name (`complete` asks for `report_pdf`)."""
import os
import shutil

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from teacher.handout import ROOT, case_files
from teacher.intake import read_submission
from teacher.rules import case_notebook, check_handin


REPORT_PARTS = {   # part of the assignment's report -> its text in a planted PDF (teacher/rules/report.py checks them)
    'accuracy': 'Softmax regression reached a test accuracy of 0.9217 after 10 epochs (training accuracy 0.9249).',
    'momentum': 'Momentum: with γ = 0.9 training converged in 3 epochs against 9 without momentum (γ = 0), '
                'at the same time per epoch.',
    'learning_rate': 'Learning rate: α = 0.1 trained fastest; α = 1 diverged and α = 0.001 learned slowly.',
    'batch_size': 'Batch size: batches of 16 reached the best accuracy, batches of 4096 the fastest epochs.',
}


@pytest.fixture
def report_pdf():
    """A function writing a student's PDF report at `path` with matplotlib's PdfPages: a page of text
    (the REPORT_PARTS named in `parts`, then `code` lines set as code) and a page with a figure (the
    loss curve, drawn as an image) unless figure=False."""
    def make(path, parts=tuple(REPORT_PARTS), code=(), figure=True):
        lines = ['MNIST with softmax regression: my report'] + [REPORT_PARTS[p] for p in parts] + list(code)
        with matplotlib.rc_context({'pdf.fonttype': 42}), PdfPages(path) as pdf:
            for start in range(0, len(lines), 40):
                page = Figure(figsize=(8.27, 11.69))
                for i, line in enumerate(lines[start:start + 40]):
                    page.text(0.05, 0.95 - 0.022 * i, line, fontsize=7, family='monospace' if line in code else None)
                pdf.savefig(page)
            if figure:
                page = Figure(figsize=(8.27, 5))
                axes = page.add_subplot()
                axes.plot(np.arange(1, 11), 2.0 / np.arange(1, 11), rasterized=True, label='training loss')
                axes.set_xlabel('epoch')
                axes.legend()
                page.text(0.1, 0.01, 'Figure 1. The training loss per epoch.')
                pdf.savefig(page)
        return path
    return make


@pytest.fixture
def complete(tmp_path, report_pdf):
    """A function giving a complete hand-in of a case in tmp_path/<name>: the teacher's case files, the
    committed notebook (run in order, its results in it) and a PDF report with every part."""
    def make(name='alice', case=1):
        folder = tmp_path / name
        folder.mkdir()
        for file in case_files(case):
            shutil.copyfile(os.path.join(ROOT, file), folder / file)
        shutil.copyfile(os.path.join(ROOT, case_notebook(case)), folder / case_notebook(case))
        report_pdf(folder / 'report.pdf')
        return folder
    return make


def findings_of(folder, case=1):
    intake = read_submission(str(folder), case_files(case), notebook=case_notebook(case))
    return check_handin(intake, case)
