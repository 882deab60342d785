#!/bin/sh
# Browser test of the audit log view of the scim-tokens admin page
# (filters by category, target and time, paging) in headless Chromium, as
# TAP: audit_page.py starts the server and makes the events, audit_page.js
# drives the browser.  setup.sh finds the browser and the driver (a
# missing one is a failure, not a skip); the screenshot goes to
# tests/browser/artifacts/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/browser/setup.sh"
exec python3 "$top_srcdir/tests/browser/audit_page.py"
