"""Moved: releases are made by the package teacher/, run as `python -m teacher.handout`. This shim keeps
`python handout.py ...` working for one release: it says so on stderr, then runs the module.

A script only: the course's code imports nothing from here.
"""
import runpy
import shlex
import sys

if __name__ == '__main__':
    print('moved: ' + shlex.join(['python', '-m', 'teacher.handout', *sys.argv[1:]]), file=sys.stderr)
    runpy.run_module('teacher.handout', run_name='__main__', alter_sys=True)
