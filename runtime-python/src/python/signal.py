"""signal (Morph stand-in): the constants, no handlers.

A Morph extension cannot receive, send or handle signals: `signal.signal`,
`alarm`, `setitimer`, `pthread_kill`, `raise_signal` and the rest raise
`PermissionError`; `getsignal` reports the default handler.
"""

from enum import IntEnum as _IntEnum


class Signals(_IntEnum):
    SIGHUP = 1
    SIGINT = 2
    SIGQUIT = 3
    SIGILL = 4
    SIGTRAP = 5
    SIGABRT = 6
    SIGBUS = 7
    SIGFPE = 8
    SIGKILL = 9
    SIGUSR1 = 10
    SIGSEGV = 11
    SIGUSR2 = 12
    SIGPIPE = 13
    SIGALRM = 14
    SIGTERM = 15
    SIGCHLD = 17
    SIGCONT = 18
    SIGSTOP = 19
    SIGTSTP = 20
    SIGTTIN = 21
    SIGTTOU = 22
    SIGURG = 23
    SIGXCPU = 24
    SIGXFSZ = 25
    SIGVTALRM = 26
    SIGPROF = 27
    SIGWINCH = 28
    SIGIO = 29
    SIGPWR = 30
    SIGSYS = 31


class Handlers(_IntEnum):
    SIG_DFL = 0
    SIG_IGN = 1


class Sigmasks(_IntEnum):
    SIG_BLOCK = 0
    SIG_UNBLOCK = 1
    SIG_SETMASK = 2


globals().update(Signals.__members__)
globals().update(Handlers.__members__)
globals().update(Sigmasks.__members__)
SIGIOT = Signals.SIGABRT
SIGPOLL = Signals.SIGIO
NSIG = 65
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2


class ItimerError(OSError):
    pass


def default_int_handler(signalnum, frame):
    raise KeyboardInterrupt


def getsignal(signalnum):
    return Handlers.SIG_DFL


def strsignal(signalnum):
    try:
        return Signals(signalnum).name
    except ValueError:
        return None


def valid_signals():
    return set(Signals)


def _denied(what):
    def refused(*args, **kwargs):
        raise PermissionError("morph sandbox: signal.%s is not available to extensions" % what)
    refused.__name__ = what
    return refused


for _name in ("signal", "alarm", "pause", "setitimer", "getitimer", "set_wakeup_fd",
              "siginterrupt", "pthread_kill", "pthread_sigmask", "raise_signal",
              "sigpending", "sigwait", "sigwaitinfo", "sigtimedwait", "pidfd_send_signal"):
    globals()[_name] = _denied(_name)
del _name
