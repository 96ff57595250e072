"""atexit (Morph stand-in): an extension's interpreter never exits the way a
program does, so registered functions are accepted and never run."""

_handlers = []


def register(func, *args, **kwargs):
    if not callable(func):
        raise TypeError("the first argument must be callable")
    _handlers.append(func)
    return func


def unregister(func):
    while func in _handlers:
        _handlers.remove(func)


def _clear():
    _handlers.clear()


def _ncallbacks():
    return len(_handlers)


def _run_exitfuncs():
    """Does nothing: exit functions do not run in the sandbox."""
