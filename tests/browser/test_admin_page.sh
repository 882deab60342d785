#!/bin/sh
# Browser tests of the scim-tokens admin page in headless Chromium, as TAP:
# admin_page.py starts the server, admin_page.js drives the browser.
# setup.sh finds the browser and the driver (a missing one is a failure,
# not a skip); screenshots go to tests/browser/artifacts/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/browser/setup.sh"
exec python3 "$top_srcdir/tests/browser/admin_page.py"
