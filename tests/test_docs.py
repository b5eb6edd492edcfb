"""The documents a newcomer follows: every relative link leads somewhere, and every command they show
parses its flags (each program stops right after argparse, so nothing trains)."""
import argparse
import importlib
import os
import re
import shlex

import pytest

from conftest import ROOT

DOCUMENTS = ['README.md', 'DESIGN.md', 'bench/README.md', 'data/README.md'] + sorted(
    os.path.join('docs', f) for f in os.listdir(os.path.join(ROOT, 'docs')) if f.endswith('.md'))
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
FENCE = re.compile(r'^```[^\n]*\n(.*?)^```', re.M | re.S)
COMMAND = re.compile(r'^(?:[A-Z_]+=\S+\s+)*(?:\.venv/bin/)?python3?\s+(?:-m\s+(?P<module>[\w.]+)|(?P<script>[\w/]+)\.py)'
                     r'(?P<args>.*)$')


def _read(document):
    with open(os.path.join(ROOT, document), encoding='utf-8') as file:
        return file.read()


def _anchors(text):
    """GitHub's anchors of a Markdown text's headings."""
    return {re.sub(r'[^\w\- ]', '', h.strip().lower()).replace(' ', '-')
            for h in re.findall(r'^#+ (.*)$', text, re.M)}


@pytest.mark.parametrize('document', DOCUMENTS)
def test_relative_links_lead_to_a_file_and_heading(document):
    broken = []
    for target in LINK.findall(_read(document)):
        if re.match(r'[a-z]+:', target):
            continue
        path, _, anchor = target.partition('#')
        full = os.path.normpath(os.path.join(ROOT, os.path.dirname(document), path)) if path else \
            os.path.join(ROOT, document)
        if not os.path.exists(full):
            broken.append(f'{target}: no such file')
        elif anchor and full.endswith('.md') and anchor not in _anchors(open(full, encoding='utf-8').read()):
            broken.append(f'{target}: no heading #{anchor}')
    assert not broken, f'{document}: broken links: {broken}'


PROGRAMS = {'solver': 'cli'}   # `python solver.py` runs cli.main (solver.py's __main__ block)


def _commands():
    """(document, module, argv) of every `python X.py …` / `python -m X …` line in a fenced block."""
    found = []
    for document in DOCUMENTS:
        for block in FENCE.findall(_read(document)):
            for line in block.replace('\\\n', ' ').splitlines():
                match = COMMAND.match(line.strip())
                if not match:
                    continue
                module = match['module'] or match['script'].replace('/', '.')
                module = PROGRAMS.get(module, module)
                if module.split('.')[0] in ('pytest', 'bench', 'pip', 'venv'):
                    continue  # not the project's programs (bench needs PyTorch)
                argv = shlex.split(match['args'].split(' #')[0])
                found.append(pytest.param(module, argv, id=f'{document}: {line.strip()[:60]}'))
    return found


class _Parsed(Exception):
    """Raised right after a program's argparse accepted its command line."""


@pytest.mark.parametrize('module, argv', _commands())
def test_documented_commands_parse_their_flags(module, argv, monkeypatch):
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        original(self, args, namespace)
        raise _Parsed()
    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', parse_then_stop)
    program = importlib.import_module(module)
    with pytest.raises(_Parsed):
        program.main(argv)


def test_the_documents_show_commands():
    assert len(_commands()) >= 3
