"""The Python sandbox probe: a package (this entry, a subpackage with
relative imports) whose `async def execute` runs every probe of
`probes.routes` and reports each outcome."""

import logging

from probes import run_all


async def _gather():
    return run_all()


async def execute(action, params):
    if action == "routes":
        return await _gather()
    if action == "log":
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        log = logging.getLogger("probe")
        log.setLevel(logging.DEBUG)
        log.debug("probe-debug-line")
        log.info("probe-info-line")
        log.warning("probe-warning-line %s", 42)
        log.error("probe-error-line")
        logging.getLogger("other").warning("probe-root-warning")
        return "logged"
    raise ValueError("unknown action " + action)
