"""The quick start's lighttpd (etc/lighttpd-local.conf.in) answers the
errors it produces itself as SCIM errors: a POST without Content-Length,
malformed requests, paths no program serves, bodies and heads over its
limits, a wrong method on a static file (tests/http/weberrors.py)."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
import weberrors  # noqa: E402


class QuickStartErrors(weberrors.WebServerErrors, scimtest.ScimTestCase):
    """lighttpd as "./bootstrap run" starts it, with the error bodies
    where bootstrap copies them (@HOME@/errors)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = scimtest.Server()
        weberrors.stage_error_bodies(cls.srv.home)
        cls.srv.start()


if __name__ == "__main__":
    scimtest.main()
