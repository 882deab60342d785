#!/bin/sh
# Browser test of the admin page's Activity tab and held deprovisions in
# headless Chromium, as TAP: page_activity.py starts the server with the
# brake at one deprovision and makes Entra-shaped requests,
# page_activity.js drives the browser.  setup.sh finds the browser and the
# driver; screenshots go to tests/browser/artifacts/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/browser/setup.sh"
exec python3 "$top_srcdir/tests/browser/page_activity.py"
