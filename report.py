"""Moved: the report is the package report/, run as `python -m report`. This shim keeps
`python report.py ...` working for one release: it says so on stderr, then runs the package.

A script only: `import report` finds the package report/, which takes precedence over this file.
"""
import runpy
import shlex
import sys

if __name__ == '__main__':
    print('moved: ' + shlex.join(['python', '-m', 'report', *sys.argv[1:]]), file=sys.stderr)
    runpy.run_module('report', run_name='__main__', alter_sys=True)
