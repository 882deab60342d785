#!/bin/sh
# make check-package: the Debian package, built, linted, installed, used
# and purged on this machine.  Prints TAP; exits non-zero on a failure.
#
#  1. a copy of the tree by `make distdir` (so the checkout stays clean,
#     and a file missing from the distribution shows here), built with
#     dpkg-buildpackage -us -uc -b;
#  2. lintian on the .deb: an error fails, warnings are printed;
#  3. apt-get install ./scim-fcgi_*.deb, then what README promises: the
#     programs, the hook, the man pages, the samples as conffiles, the
#     data home owned by www-data (0750), the cron jobs (run once here as
#     www-data), nothing enabled or started, nothing world-writable;
#  4. the installed Apache site serving the installed programs over HTTPS
#     (tests/package/test_apache_installed.py);
#  5. apt-get purge: everything gone, the data home too.
#
# Root only (it installs a package); missing tools are installed with
# apt-get, as ./bootstrap does for the build.  A scim-fcgi package already
# installed is left alone: the test refuses to run.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
MAKE_CMD=${MAKE:-make}
PYTHON3=${PYTHON3:-python3}
export DEBIAN_FRONTEND=noninteractive

n=0
fail=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
		[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why" | tail -120
	fi
	: >"$tmp/why"
}
# bail REASON: the steps after this one cannot run.
bail() {
	echo "not ok $((n + 1)) - $1"
	[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why" | tail -120
	echo "1..$((n + 1))"
	echo "check-package: FAILED" >&2
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP make check-package installs a package: run it as root"
	exit 0
fi
if dpkg-query -W -f='${Status}' scim-fcgi 2>/dev/null | grep -q installed; then
	echo "not ok 1 - scim-fcgi is already installed here; purge it first"
	echo "1..1"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scim-package.XXXXXX") || exit 1
chmod 755 "$tmp"
installed=no
cleanup() {
	[ "$installed" = yes ] && apt-get purge -y -qq scim-fcgi >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
: >"$tmp/why"

# --- tools ---
need=""
for p in dpkg-dev debhelper lintian fakeroot apache2-bin \
    libapache2-mod-fcgid openssl python3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "# installing$need"
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	    $need; } >"$tmp/why" 2>&1 || bail "apt-get install$need"
fi

# --- 1. build in a copy ---
version=${VERSION:-$(sed -n '1s/.*(\(.*\)).*/\1/p' "$top_srcdir/debian/changelog")}
src=$tmp/scim-fcgi-$version
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $MAKE_CMD -s -C "$top_builddir" \
    distdir distdir="$src" >"$tmp/why" 2>&1
ok $? "make distdir: a clean copy of the tree"
[ -d "$src/debian" ] || bail "the copy has no debian/ (EXTRA_DIST)"
if ! (cd "$src" && dpkg-checkbuilddeps) >"$tmp/why" 2>&1; then
	echo "# installing the build dependencies"
	(cd "$src" && apt-get build-dep -y -qq --no-install-recommends ./) \
	    >"$tmp/why" 2>&1 || bail "apt-get build-dep"
fi
started=$(date +%s)
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    dpkg-buildpackage -us -uc -b -j2) >"$tmp/build.log" 2>&1
rc=$?
echo "# dpkg-buildpackage took $(($(date +%s) - started)) s"
if [ $rc -ne 0 ]; then
	# Which tests failed, and their logs' ends: the tail alone shows the
	# summary only, and the copy is removed at exit.
	{ grep -E '^(FAIL|ERROR):' "$tmp/build.log"
	  for t in $(sed -n 's/^\(FAIL\|ERROR\): \([^ ]*\).*/\2/p' \
	      "$tmp/build.log" | sort -u); do
		l=$src/${t%.*}.log
		[ -f "$l" ] || l=$src/$t.log
		[ -f "$l" ] && { echo "--- $l"; grep -v '^PASS: \|^ok ' "$l" |
		    tail -25; }
	  done
	  tail -30 "$tmp/build.log"; } >"$tmp/why"
fi
ok $rc "dpkg-buildpackage -us -uc -b"
deb=$(ls "$tmp"/scim-fcgi_"$version"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || bail "no scim-fcgi_${version}_<arch>.deb was built"
echo "# built ${deb##*/}"

# --- 2. lintian ---
lintian --fail-on error --tag-display-limit 0 "$deb" >"$tmp/lintian" 2>&1
rc=$?
sed 's/^/# lintian: /' "$tmp/lintian"
ok $rc "lintian: no error"

# --- 3. install and look ---
apt-get install -y -qq --no-install-recommends "$deb" >"$tmp/why" 2>&1
rc=$?
[ $rc -eq 0 ] && installed=yes
[ $rc -eq 0 ] || bail "apt-get install ./${deb##*/}"
ok 0 "apt-get install ./${deb##*/}"

libexec=/usr/libexec/scim-fcgi
conf=/etc/scim-fcgi
home=/var/lib/scim-fcgi

# mode_is PATH MODE OWNER:GROUP: one line in $tmp/why when it differs.
mode_is() {
	got=$(stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing)
	[ "$got" = "$2 $3" ] || { echo "$1: $got, want $2 $3" >>"$tmp/why"; return 1; }
}

r=0
for p in scim-users scim-groups scim-meta scim-tokens hook-welcome-mail.sh; do
	mode_is "$libexec/$p" 755 root:root || r=1
done
mode_is /usr/sbin/scimctl 755 root:root || r=1
ok $r "programs and the sample hook in $libexec, scimctl in /usr/sbin (0755 root)"

r=0
for m in man8/scim-fcgi.8 man8/scim-tokens.8 man8/scimctl.8 man5/scim.conf.5; do
	mode_is "/usr/share/man/$m.gz" 644 root:root || r=1
done
ok $r "manual pages"

dpkg-query -W -f='${Conffiles}\n' scim-fcgi | awk 'NF { print $1 }' |
    sort >"$tmp/conffiles"
r=0
for f in $conf/scim.conf $conf/scim.conf.sample $conf/apache-scim.conf \
    $conf/lighttpd-scim.conf /etc/cron.d/scim-fcgi; do
	mode_is "$f" 644 root:root || r=1
	grep -qx "$f" "$tmp/conffiles" || { echo "$f is no conffile" >>"$tmp/why"; r=1; }
done
ok $r "samples in $conf and /etc/cron.d/scim-fcgi: conffiles, 0644 root"

r=0
grep -qx "Define SCIM_LIBEXEC $libexec" $conf/apache-scim.conf || r=1
grep -qx "var.scim_libexec = \"$libexec\"" $conf/lighttpd-scim.conf || r=1
grep -q "^#home = $home\$" $conf/scim.conf || r=1
[ $r -eq 0 ] || grep -h "SCIM_LIBEXEC\|scim_libexec\|^#home" \
    $conf/apache-scim.conf $conf/lighttpd-scim.conf $conf/scim.conf >"$tmp/why"
ok $r "the samples name the installed directories"

mode_is $home 750 www-data:www-data
ok $? "data home $home: www-data, 0750"

r=0
for f in /etc/apache2/sites-enabled /etc/apache2/conf-enabled \
    /etc/lighttpd/conf-enabled /etc/systemd/system /lib/systemd/system \
    /usr/lib/systemd/system /etc/init.d; do
	ls "$f" 2>/dev/null | grep -i scim >>"$tmp/why" && r=1
done
dpkg -L scim-fcgi | grep -E '/(systemd|init\.d|sites-|conf-|conf\.d)' >>"$tmp/why" && r=1
ok $r "nothing enabled: no web server site or fragment, no service"

r=0
dpkg -L scim-fcgi | while read -r f; do
	[ -e "$f" ] && [ ! -L "$f" ] && [ -n "$(find "$f" -maxdepth 0 -perm -o+w)" ] &&
	    echo "$f is world-writable"
done >>"$tmp/why"
[ -s "$tmp/why" ] && r=1
ok $r "nothing world-writable"

# The cron jobs: each line's user is www-data and its command runs (with
# the installed scim.conf, on the data home) and exits 0.  Comments,
# blank lines and variable settings (MAILTO=) are no jobs.
grep -Ev '^[[:space:]]*(#|$|[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=)' \
    /etc/cron.d/scim-fcgi >"$tmp/cron"
r=0
[ "$(wc -l <"$tmp/cron")" -eq 3 ] || { echo "want 3 jobs" >>"$tmp/why"; r=1; }
for want in "scim-tokens remind" "scimctl deliver" "scimctl prune"; do
	grep -q "$want" "$tmp/cron" || { echo "no job: $want" >>"$tmp/why"; r=1; }
done
awk '$6 != "www-data" { print "not as www-data: " $0; bad = 1 } END { exit bad }' \
    "$tmp/cron" >>"$tmp/why" || r=1
ok $r "/etc/cron.d/scim-fcgi: reminders, hook delivery, prune, as www-data"

r=0
while read -r m h dom mon dow user cmd; do
	(cd / && runuser -u "$user" -- sh -c "$cmd") >"$tmp/out" 2>&1 ||
	    { echo "exit $?: $cmd"; cat "$tmp/out"; } >>"$tmp/why"
done <"$tmp/cron"
[ -s "$tmp/why" ] && r=1
owners=$(find $home -printf '%u:%g\n' | sort -u)
[ "$owners" = www-data:www-data ] ||
    { echo "owners in $home: $owners" >>"$tmp/why"; r=1; }
ok $r "each cron job runs as www-data on the data home and exits 0"

# README's first step after the install: a Secret Token, made as root.
token=$($libexec/scim-tokens create --label "check-package" 2>"$tmp/why")
rc=$?
case "$token" in scim_*) ;; *) rc=1 ;; esac
[ $rc -eq 0 ] && $libexec/scim-tokens list 2>>"$tmp/why" | grep -q check-package || rc=1
ok $rc "scim-tokens create (as root, with the installed scim.conf)"

# --- 4. the installed Apache site and programs ---
"$PYTHON3" "$top_srcdir/tests/package/test_apache_installed.py" >"$tmp/apache" 2>&1
rc=$?
sed 's/^/# apache: /' "$tmp/apache"
grep -q '^not ok' "$tmp/apache" && rc=1
ok $rc "the installed Apache site serves the installed programs ($(grep -c '^ok' "$tmp/apache") passed)"

# --- 5. purge ---
apt-get purge -y -qq scim-fcgi >"$tmp/why" 2>&1
rc=$?
[ $rc -eq 0 ] && installed=no
for f in $libexec /usr/sbin/scimctl $conf /etc/cron.d/scim-fcgi $home \
    /usr/share/man/man8/scim-fcgi.8.gz; do
	[ -e "$f" ] && { echo "left behind: $f" >>"$tmp/why"; rc=1; }
done
ok $rc "apt-get purge scim-fcgi: nothing left, the data home neither"

echo "1..$n"
echo "check-package: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
