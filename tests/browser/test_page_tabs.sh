#!/bin/sh
# Browser test of the admin page's tabs (Role mappings, Users, Groups,
# Audit log) in headless Chromium, as TAP: page_tabs.py starts the server
# and provisions users and a group, page_tabs.js drives the browser.
# setup.sh finds the browser and the driver; screenshots go to
# tests/browser/artifacts/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/browser/setup.sh"
exec python3 "$top_srcdir/tests/browser/page_tabs.py"
