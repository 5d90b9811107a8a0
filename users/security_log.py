"""The security event log: one named logger, user and session ids only.

Never pass a token, password, code or Authorization header to it.
"""

import logging

security_log = logging.getLogger("users.security")
