"""The sandbox a submission's worker runs in: the command line that builds it and the cgroup that ends it.

Built from three Debian tools, none of them Python's:
- bubblewrap (`bwrap`) gives the worker its own mount, PID, network, IPC and UTS namespaces: a root
  file system of a tmpfs holding, read-only, only what Python needs (/usr, the Python installation,
  the virtual environment), the submission's folder (read-only, as the working folder), the worker
  script, and a small writable tmpfs at /tmp; no network device but its own loopback, no view of the
  host's processes or unix socket files. `--die-with-parent` and the PID namespace end every process
  of the worker, `setsid` double forks included, when its first process ends.
- `prlimit` caps processes, address space, CPU seconds and the size of any file written (never above
  the grading process's own limits, which nothing inside bubblewrap may raise).
- `setpriv` drops to an unprivileged uid of the worker's own (one per parallel slot, so the process
  limit counts only that slot), with no capabilities and no-new-privs.
As root the worker also joins a cgroup v2 of its own (cgroup.kill ends everything in it at once).
Without root, bubblewrap's unprivileged form (a user namespace) is used where the kernel allows it;
`support()` says which pieces are missing and what that means.
"""
import glob
import os
import resource
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

CGROUP_ROOT = '/sys/fs/cgroup/unified'   # cgroup v2 on a hybrid host; /sys/fs/cgroup on a pure v2 one
FIRST_UID = 61000                         # slot k runs as uid FIRST_UID + k
PROCESSES = 64
SCRATCH_BYTES = 64 * 1024 * 1024
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'worker.py')   # bound as /grader/grade_worker.py


@dataclass
class Support:
    """What this machine offers: the pieces found, and a sentence for each one missing."""
    bwrap: str = ''
    root: bool = False
    cgroup: str = ''
    missing: list = field(default_factory=list)

    @property
    def usable(self):
        return bool(self.bwrap)


def _cgroup_root():
    for root in (CGROUP_ROOT, '/sys/fs/cgroup'):
        if os.path.exists(os.path.join(root, 'cgroup.procs')) and os.access(root, os.W_OK):
            probe = os.path.join(root, f'grade-probe-{secrets.token_hex(4)}')
            try:
                os.mkdir(probe)
            except OSError:
                continue
            has_kill = os.path.exists(os.path.join(probe, 'cgroup.kill'))
            os.rmdir(probe)
            if has_kill:
                return root
    return ''


def support():
    """The Support of this machine, found by trying: bwrap must start a process as this code builds it."""
    found = Support(root=os.geteuid() == 0)
    tools = {name: shutil.which(name) for name in ('bwrap', 'setpriv', 'prlimit')}
    if not tools['bwrap']:
        found.missing.append('bubblewrap (bwrap) is not installed (apt-get install -y bubblewrap): no sandbox '
                             'can be built, so the submissions\' code would see and reach all the teacher can')
        return found
    if found.root and not (tools['setpriv'] and tools['prlimit']):
        found.missing.append('setpriv or prlimit (util-linux) is missing: the worker cannot drop to its own uid')
        return found
    trying = Support(bwrap=tools['bwrap'], root=found.root)
    trial = subprocess.run(command(0, os.path.dirname(WORKER), ['/bin/true'], Limits(), trying),
                           capture_output=True, text=True, timeout=30)
    if trial.returncode != 0:
        found.missing.append(f'bubblewrap cannot build the sandbox here ({trial.stderr.strip()[:200]}); '
                             'an unprivileged teacher needs user namespaces enabled')
        return found
    found.bwrap = tools['bwrap']
    if not found.root:
        found.missing.append('not root: the workers share the teacher\'s uid in a user namespace, so the '
                             'process limit counts all of them together, and no cgroup ends them')
    else:
        found.cgroup = _cgroup_root()
        if not found.cgroup:
            found.missing.append('no writable cgroup v2 with cgroup.kill: the PID namespace alone ends a '
                                 'worker\'s processes')
    return found


@dataclass
class Limits:
    """Per worker: address space (MB), CPU seconds, any written file (MB), processes."""
    memory_mb: int = 1024
    cpu_seconds: int = 120
    output_mb: int = 8
    processes: int = PROCESSES


def _read_only(paths, made=('/',)):
    """bwrap arguments binding each path read-only at the same place, parents made 0755 first
    (but those in `made`, already there)."""
    args, made, bound = [], set(made), []
    for path in sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)}):
        if any(path.startswith(outer + '/') for outer in bound):
            continue
        parts = path.split('/')[1:-1]
        for depth in range(1, len(parts) + 1):
            parent = '/' + '/'.join(parts[:depth])
            if parent not in made and not parent.startswith('/usr'):
                args += ['--perms', '0755', '--dir', parent]
                made.add(parent)
        args += ['--ro-bind', path, path]
        made.add(path)
        bound.append(path)
    return args


def _python_paths():
    return [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]


def command(slot, folder, argv, limits, found, binds=(), scratch_bytes=SCRATCH_BYTES):
    """The argv that runs `argv` in the sandbox of `slot`, with `folder` read-only as /sub (its cwd);
    binds: more (host path, path inside) pairs, read-only; scratch_bytes: the size of /tmp."""
    base = [found.bwrap, '--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup',
            '--die-with-parent', '--new-session', '--clearenv']
    if not found.root:
        base += ['--unshare-user', '--uid', '65534', '--gid', '65534']
    system = ['--ro-bind', '/usr', '/usr'] + [arg for link in ('bin', 'lib', 'lib64', 'sbin')
                                              for arg in _link_or_dir('/' + link)]
    # the scratch tmpfs first, so that a Python installation under /tmp (a venv there) is bound on top of it
    places = (['--perms', '1777', '--size', str(scratch_bytes), '--tmpfs', '/tmp']
              + _read_only((p for p in _python_paths() if not p.startswith('/usr/')), made=('/', '/tmp'))
              + ['--perms', '0755', '--dir', '/grader', '--ro-bind', WORKER, '/grader/grade_worker.py',
                 '--ro-bind', folder, '/sub', *[arg for pair in binds for arg in ('--ro-bind', *pair)],
                 '--proc', '/proc', '--dev', '/dev', '--chdir', '/sub'])
    environment = [arg for name, value in (('PATH', '/usr/bin:/bin'), ('HOME', '/tmp'), ('TMPDIR', '/tmp'),
                                           ('MPLCONFIGDIR', '/tmp'), ('MPLBACKEND', 'Agg'), ('LANG', 'C.UTF-8'),
                                           ('OPENBLAS_NUM_THREADS', '1'), ('OMP_NUM_THREADS', '1'))
                   for arg in ('--setenv', name, value)]
    uid = str(FIRST_UID + slot)
    drop = (['setpriv', '--reuid', uid, '--regid', uid, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
             '--no-new-privs'] if found.root else [])
    megabyte = 1024 * 1024
    limit = ['prlimit', f'--nproc={within("NPROC", limits.processes)}',
             f'--as={within("AS", limits.memory_mb * megabyte)}', f'--cpu={within("CPU", limits.cpu_seconds)}',
             f'--fsize={within("FSIZE", limits.output_mb * megabyte)}', '--core=0', '--']
    return base + system + places + environment + limit + drop + argv


def set_limits(limits):
    """Set `limits` on this process (without the sandbox: from a child's preexec_fn, before exec)."""
    megabyte = 1024 * 1024
    for name, value in (('AS', limits.memory_mb * megabyte), ('CPU', limits.cpu_seconds),
                        ('FSIZE', limits.output_mb * megabyte), ('CORE', 0)):
        value = within(name, value)
        resource.setrlimit(getattr(resource, 'RLIMIT_' + name), (value, value))


def plain_environment():
    """The environment of a process running a submission's code without the sandbox."""
    return {'PATH': '/usr/bin:/bin', 'LANG': 'C.UTF-8', 'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1',
            'MPLBACKEND': 'Agg'}


def within(name, value):
    """value, or this process's hard limit when lower: inside bubblewrap no limit can be raised."""
    hard = resource.getrlimit(getattr(resource, 'RLIMIT_' + name))[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _link_or_dir(path):
    if os.path.islink(path):
        return ['--symlink', os.readlink(path), path]
    return ['--ro-bind', path, path] if os.path.isdir(path) else []


class Cgroup:
    """A cgroup v2 of one worker under `root` ('' : none, and every method does nothing)."""

    def __init__(self, root):
        self.path = os.path.join(root, f'grade-{os.getpid()}-{secrets.token_hex(6)}') if root else ''
        if self.path:
            os.mkdir(self.path)

    def join(self):
        """Move the calling process in (from Popen's preexec_fn: before exec, so every descendant is in)."""
        if self.path:
            with open(os.path.join(self.path, 'cgroup.procs'), 'w') as handle:
                handle.write(str(os.getpid()))

    def processes(self):
        if not self.path:
            return []
        with open(os.path.join(self.path, 'cgroup.procs')) as handle:
            return [int(line) for line in handle if line.strip()]

    def kill(self):
        """Kill everything in the cgroup and remove it (tries for up to 5 s while it empties)."""
        if not self.path:
            return
        with open(os.path.join(self.path, 'cgroup.kill'), 'w') as handle:
            handle.write('1')
        for _ in range(500):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.01)


def sweep(pid):
    """End and remove the cgroups the process `pid` made and did not remove (it was killed first)."""
    for path in glob.glob(os.path.join(CGROUP_ROOT, f'grade-{pid}-*')) + glob.glob(f'/sys/fs/cgroup/grade-{pid}-*'):
        cgroup = Cgroup('')
        cgroup.path = path
        try:
            cgroup.kill()
        except OSError:
            pass
