# Sourced by the browser tests (test_*.sh) once they have set top_srcdir:
# checks that Debian's chromium (/usr/bin/chromium, or $CHROMIUM) and node
# are there, installs playwright-core (the driver only, no browser
# download) with npm into $top_builddir/.cache/node when missing, and
# exports CHROMIUM, NODE and NODE_PATH for the Python set-up and the
# JavaScript driver it starts.  Anything missing is one failing TAP test
# point, not a skip.  Screenshots go to tests/browser/artifacts/.
top_builddir=${top_builddir:-$top_srcdir}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE=${NODE:-node}
export CHROMIUM NODE

bail() {
	echo "not ok 1 - $1"
	echo "1..1"
	exit 1
}

[ -x "$CHROMIUM" ] ||
	bail "chromium is not installed at $CHROMIUM (apt-get install chromium)"
command -v "$NODE" >/dev/null 2>&1 ||
	bail "node is not installed (apt-get install nodejs npm)"
cache=$top_builddir/.cache/node
if [ ! -f "$cache/node_modules/playwright-core/package.json" ]; then
	command -v npm >/dev/null 2>&1 ||
		bail "npm is not installed (apt-get install npm)"
	mkdir -p "$cache" &&
	npm install --prefix "$cache" --no-audit --no-fund --silent \
	    'playwright-core@1' >&2 ||
		bail "npm could not install playwright-core into $cache"
fi
NODE_PATH=$cache/node_modules
export NODE_PATH
