"""gunicorn settings the command line does not carry (`-c config/gunicorn.conf.py`): an access
log without query strings, referrers or calendar tokens (common/logs.py)."""

from gunicorn.glogging import Logger

from common.logs import REDACTED, path_redacted, request_line_redacted


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = request_line_redacted(atoms["r"])
        atoms["U"] = path_redacted(atoms["U"])
        atoms["q"] = ""
        atoms["f"] = REDACTED if atoms.get("f", "-") != "-" else "-"  # the referring page's URL
        return atoms


logger_class = AccessLogger
