"""The launcher: parent of one execution environment's runtime, and subreaper of everything the
runtime starts (Linux). Standard library only; runs in the child, before the runtime.

    python -I -S launcher.py FD PARENT exec PROGRAM [ARG...]    fork, exec PROGRAM (`provided`)
    python -I -S -u launcher.py FD PARENT python SCRIPT [ARG...]  fork, run SCRIPT (.py or .pyc)

PARENT is the pid of the lambdactl process that started the launcher (0: none to die with).

An orphan is re-parented to its nearest ancestor that is a subreaper: with
`PR_SET_CHILD_SUBREAPER` set here, a process the handler starts in a new session or
double-forks is adopted by this launcher, never by init. The runtime runs in its own session
and process group (lambdactl's killpg on timeout, reset and OOM, and the CPU governor's
SIGSTOP/SIGCONT, reach the runtime's group, never the launcher) and dies with the launcher
(`PR_SET_PDEATHSIG`). When the runtime ends, however it ends, the launcher kills (SIGKILL, each
with its group) and reaps every process it adopted, and those they leave behind in turn, then
ends as the runtime did: the same exit code, or the same signal. SIGTERM (lambdactl died, or its
guardian) kills the runtime's group first; the rest follows.

The launcher itself gets that SIGTERM when the thread of PARENT that started it ends
(`PR_SET_PDEATHSIG` again), set here rather than between fork and exec: so lambdactl starts it
with `vfork`, where a `fork` of a large lambdactl process with hundreds of threads (a server
holding many invocations) costs ~20 ms, one launch at a time.

`python` mode runs SCRIPT as `__main__` in the forked child, in this interpreter: one
interpreter start for both, instead of a second exec.

On FD the launcher writes one line when the runtime runs: `pid N`, or `error ERRNO` if PROGRAM
could not be executed; and `exit KB` when the runtime has ended: the runtime's own peak resident
memory (the launcher's rusage would mix in its own).
"""

# The C modules under `os` and `signal`, which are all the launcher needs: their Python layers
# (and `ctypes`'s, below) would cost a `provided` runtime several ms of every cold start.
import _signal as signal  # type: ignore[import-not-found]  # (typeshed has no stub)
import posix as os
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def main(argv):
    fd, lambdactl, mode, target = int(argv[1]), int(argv[2]), argv[3], argv[4:]
    os.set_inheritable(fd, False)  # the runtime must not hold it: lambdactl reads it to its end
    prctl = _prctl()
    # Until the handler is set: a SIGTERM before the fork would leave nobody to kill the runtime.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    if lambdactl:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != lambdactl:  # lambdactl died before the line above: nothing to run
            os._exit(1)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    parent = os.getpid()
    failed_exec, exec_errors = os.pipe() if mode == "exec" else (None, None)
    runtime = os.fork()
    if runtime == 0:
        _become_runtime(prctl, parent, fd, mode, target, exec_errors)
        return
    signal.signal(signal.SIGTERM, lambda *_: _kill_with_group(runtime))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    if failed_exec is not None:
        os.close(exec_errors)
        error = os.read(failed_exec, 64)  # end of file: exec succeeded (the pipe is close-on-exec)
        os.close(failed_exec)
        if error:
            _report(fd, b"error " + error)
            os.waitpid(runtime, 0)
            os._exit(127)
    _report(fd, b"pid %d" % runtime)
    status, peak_kb = _wait_for(runtime)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the runtime is gone: nothing left to hurry
    _kill_adopted()
    _report(fd, b"exit %d" % peak_kb)
    _end_like(status)


def _report(fd, line):
    try:
        os.write(fd, line + b"\n")
    except OSError:  # lambdactl is gone: the cleanup goes on without it
        pass


def _prctl():
    """libc's `prctl`, as `ctypes.CDLL(None).prctl` builds it, from `_ctypes` directly:
    importing `ctypes` costs ~2 ms. Falls back to `ctypes` should its internals change."""
    try:
        import _ctypes

        class Int(_ctypes._SimpleCData):
            _type_ = "i"

        class Function(_ctypes.CFuncPtr):
            _flags_ = _ctypes.FUNCFLAG_CDECL
            _restype_ = Int

        class Libc:
            _handle = _ctypes.dlopen(None, os.RTLD_NOW)

        return Function(("prctl", Libc))
    except Exception:
        import ctypes

        return ctypes.CDLL(None).prctl


def _become_runtime(prctl, parent, fd, mode, target, exec_errors):
    """In the forked child: detach, then exec PROGRAM or run SCRIPT. Never returns into the
    launcher's code, except with the SCRIPT's own SystemExit (its exit status)."""
    try:
        os.setsid()
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the launcher died before the line above
            os._exit(1)
        os.close(fd)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    except BaseException:
        os._exit(127)
    if mode == "python":
        _run_script(target[0], target[1:])
        sys.exit(0)
    for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ"):  # Python ignores these; a program expects not
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execv(target[0], target)
    except OSError as exc:
        os.write(exec_errors, str(exc.errno or 0).encode())
    os._exit(127)


def _run_script(path, args):
    """Run the file at `path` as `__main__` with `sys.argv` [path, *args], as `python path`
    would, here."""
    with open(path, "rb") as source:
        data = source.read()
    if path.endswith(".pyc"):
        import marshal
        from _frozen_importlib_external import MAGIC_NUMBER

        if data[:4] != MAGIC_NUMBER:
            raise SystemExit(f"launcher: {path} was compiled for another Python")
        code = marshal.loads(data[16:])
    else:
        code = compile(data, path, "exec")
    module = type(sys)("__main__")
    module.__file__ = path
    sys.modules["__main__"] = module
    sys.argv = [path, *args]
    exec(code, module.__dict__)


def _wait_for(runtime):
    """Reap adoptees as they end until the runtime ends: (its wait status, its peak KB)."""
    while True:
        pid, status, usage = os.wait4(-1, 0)
        if pid == runtime:
            return status, usage.ru_maxrss


def _kill_adopted():
    """SIGKILL every child left (each with its group) and reap it, until there is none: a
    killed adoptee's own children are re-parented here in turn."""
    while True:
        for pid in _children():
            _kill_with_group(pid)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children():
    me = os.getpid()
    try:
        with open(f"/proc/self/task/{me}/children", "rb") as children:
            return [int(pid) for pid in children.read().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN: look for them
        found = []
        for name in os.listdir("/proc"):
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me:
                found.append(int(name))
        return found


def _kill_with_group(pid):
    """SIGKILL the process group `pid` leads, and `pid` itself (it may not lead one yet, or
    any more)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _end_like(status):
    """Exit as the runtime did: its exit code, or its signal raised on this process."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the runtime dumped core, if any
        try:
            signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL and SIGSTOP cannot be caught anyway
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # a signal that does not end a process (never the runtime's)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main(sys.argv)
