"""A PDF's pages, text and images, read with pypdf in a child process of its own.

pypdf (pure Python, on PyPI, maintained, a dependency of the teacher's wing only: teacher/requirements.txt)
reads the PDF. A hand-in's PDF is untrusted input: a crafted file can make a parser loop or swell, so
the reading happens in a child Python (`python -I pdf_text.py`, the bytes on stdin, JSON on stdout)
under CPU-time and memory limits and a wall-clock timeout; whatever goes wrong becomes `problem`, a
sentence, and the grading run goes on. An encrypted PDF that opens without a password (only its
permissions are locked) is read; one that needs a password is not.

Images: the image objects the pages draw (through their resources, form objects included), counted
once each; a form object holding at least FORM_PATHS path operators (an included vector figure, as
LaTeX embeds a PDF plot) counts as one too. A chart drawn as vector lines straight onto the page is
not told apart from a table's rules and is not counted.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import namedtuple

PdfText = namedtuple('PdfText', 'pages text images problem')   # int, str, int, '' or why it could not be read
TIMEOUT = 120            # seconds of wall clock for one PDF
CPU_SECONDS = 90
MEMORY_BYTES = 2 << 30
MAX_TEXT_CHARS = 5_000_000
FORM_PATHS = 20
PATH_OPERATORS = re.compile(rb'(?<![\w/])(?:l|c|v|y|re)(?![\w])')


class MissingReader(RuntimeError):
    """pypdf is not installed where the grader runs: the teacher's set-up, not the student's PDF."""


def read_pdf(data):
    """PdfText of the PDF in `data` (bytes), read in a child process (see above); MissingReader when
    pypdf is not installed (every PDF would otherwise look unreadable)."""
    if importlib.util.find_spec('pypdf') is None:
        raise MissingReader('the PDF report check needs pypdf, the teacher\'s wing\'s own dependency: '
                            'pip install -r teacher/requirements.txt')
    try:
        done = subprocess.run([sys.executable, '-I', os.path.abspath(__file__)], input=data, capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return PdfText(0, '', 0, f'reading it took longer than {TIMEOUT} s')
    try:
        return PdfText(**json.loads(done.stdout))
    except (ValueError, TypeError):
        last = done.stderr.decode(errors='replace').strip().splitlines()[-1:] or [f'exit status {done.returncode}']
        return PdfText(0, '', 0, f'the reader stopped: {last[0][:200]}')


def _read(data):
    """PdfText of `data`, in this process (the child's side)."""
    import io
    import pypdf
    from pypdf.errors import DependencyError, PyPdfError
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(''):
            return PdfText(0, '', 0, 'encrypted: it needs a password to open')
        pages = list(reader.pages)
        text = '\n'.join(page.extract_text() or '' for page in pages)[:MAX_TEXT_CHARS]
        return PdfText(len(pages), text, _images(pages), '' if pages else 'a PDF without pages')
    except DependencyError as error:
        return PdfText(0, '', 0, f'encrypted in a way the reader cannot open ({error})')
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as error:
        return PdfText(0, '', 0, f'damaged: {type(error).__name__}: {str(error)[:200]}')


def _images(pages):
    """The count of image objects (and vector forms) the pages draw, each once."""
    seen, figures = set(), set()
    for page in pages:
        _walk(page.get('/Resources'), seen, figures)
    return len(figures)


def _walk(resources, seen, figures):
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get('/XObject') if hasattr(resources, 'get') else None
    for reference in (xobjects.get_object().values() if xobjects is not None else []):
        key = getattr(reference, 'idnum', id(reference))
        if key in seen:
            continue
        seen.add(key)
        xobject = reference.get_object()
        if xobject.get('/Subtype') == '/Image':
            figures.add(key)
        elif xobject.get('/Subtype') == '/Form':
            if len(PATH_OPERATORS.findall(xobject.get_data())) >= FORM_PATHS:
                figures.add(key)
            _walk(xobject.get('/Resources'), seen, figures)


def _child():
    import resource
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    sys.setrecursionlimit(5000)
    import logging
    logging.disable(logging.CRITICAL)   # pypdf's warnings about a sloppy file are not findings
    json.dump(_read(sys.stdin.buffer.read())._asdict(), sys.stdout, ensure_ascii=False)


if __name__ == '__main__':
    _child()
