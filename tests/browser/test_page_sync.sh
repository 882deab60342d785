#!/bin/sh
# Browser test of the admin page's Entra ID User Sync and Synced Users
# tabs in headless Chromium, as TAP, with tests/sync/graph_standin.py as
# Microsoft Graph: page_sync.py starts the stand-in and the server,
# page_sync.js drives the browser.  setup.sh finds the browser and the
# driver; screenshots go to tests/browser/artifacts/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/browser/setup.sh"
exec python3 "$top_srcdir/tests/browser/page_sync.py"
