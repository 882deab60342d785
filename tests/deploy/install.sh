#!/bin/sh
# What `make install` leaves, checked in a scratch DESTDIR: the programs,
# man pages, DB_CONFIG and samples where they belong, the samples naming
# this build's directories, the data home 0750, nothing world-writable, a
# local scim.conf kept across a reinstall and an uninstall, and (as root)
# the installed programs refusing root and running as the data home's
# owner.  Prints TAP.
set -u
top_builddir=${top_builddir:-$(pwd)}
MAKE_CMD=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scim-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
n=0
fail=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
		[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why" | head -20
	fi
	: >"$tmp/why"
}

# The test's own make, not the one running the test suite.
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    $MAKE_CMD -C "$top_builddir" --no-print-directory DESTDIR="$dest" "$@"
}

umask 022
: >"$tmp/why"
submake install >"$tmp/why" 2>&1
ok $? "make install DESTDIR=..."

libexec=$(dirname "$(find "$dest" -path '*/scim-fcgi/scim-users' -type f)")
conf=$(dirname "$(find "$dest" -path '*/scim-fcgi/apache-scim.conf' -type f)")
state=$(find "$dest" -path '*/lib/scim-fcgi' -type d)
echo "# programs in ${libexec#"$dest"}, samples in ${conf#"$dest"}," \
    "data home ${state#"$dest"}"

r=0
for p in scim-users scim-groups scim-meta scim-tokens scim-bulk; do
	[ -x "$libexec/$p" ] || { echo "missing $p" >>"$tmp/why"; r=1; }
done
ok $r "the five programs in \$(libexecdir)/scim-fcgi"

r=0
for m in man8/scim-fcgi.8 man8/scim-tokens.8 man5/scim.conf.5; do
	[ -n "$(find "$dest" -path "*/man/$m" -type f)" ] ||
	    { echo "missing $m" >>"$tmp/why"; r=1; }
done
ok $r "man pages scim-fcgi(8), scim-tokens(8), scim.conf(5)"

[ -n "$(find "$dest" -path '*/share/scim-fcgi/DB_CONFIG' -type f)" ]
ok $? "DB_CONFIG in \$(datadir)/scim-fcgi"

r=0
for f in scim.conf scim.conf.sample apache-scim.conf lighttpd-scim.conf; do
	[ -f "$conf/$f" ] || { echo "missing $f" >>"$tmp/why"; r=1; }
done
ok $r "samples and scim.conf in \$(sysconfdir)/scim-fcgi"

# The samples name where things were installed (DESTDIR aside).
r=0
grep -qx "Define SCIM_LIBEXEC ${libexec#"$dest"}" "$conf/apache-scim.conf" || r=1
grep -qx "Define SCIM_CONF ${conf#"$dest"}/scim.conf" "$conf/apache-scim.conf" || r=1
grep -qx "var.scim_libexec = \"${libexec#"$dest"}\"" "$conf/lighttpd-scim.conf" || r=1
grep -qx "var.scim_conf = \"${conf#"$dest"}/scim.conf\"" "$conf/lighttpd-scim.conf" || r=1
grep -q "^#home = ${state#"$dest"}\$" "$conf/scim.conf" || r=1
[ $r -eq 0 ] || grep -h "SCIM_LIBEXEC\|SCIM_CONF\|scim_libexec\|scim_conf\|^#home" \
    "$conf/apache-scim.conf" "$conf/lighttpd-scim.conf" "$conf/scim.conf" >"$tmp/why"
ok $r "the samples name this build's directories"

# The SCIM error bodies of the web servers' own errors, where the samples
# name them.
r=0
for s in 400 404 405 411 413 414 431 501; do
	[ -f "$conf/errors/scim-error-$s.html" ] ||
	    { echo "missing errors/scim-error-$s.html" >>"$tmp/why"; r=1; }
done
grep -qx "Define SCIM_ERRORS ${conf#"$dest"}/errors" "$conf/apache-scim.conf" || r=1
grep -qx "var.scim_errors = \"${conf#"$dest"}/errors\"" "$conf/lighttpd-scim.conf" || r=1
[ $r -eq 0 ] || grep -h "SCIM_ERRORS\|scim_errors" "$conf/apache-scim.conf" \
    "$conf/lighttpd-scim.conf" >>"$tmp/why"
ok $r "error bodies in \$(sysconfdir)/scim-fcgi/errors, named by the samples"

[ "$(stat -c %a "$state")" = 750 ]
ok $? "data home $(stat -c %a "$state" 2>/dev/null) (0750)"

find "$dest" -perm -o+w ! -type l >"$tmp/why"
[ ! -s "$tmp/why" ]
ok $? "nothing world-writable"

# An upgrade keeps a scim.conf with local changes; the sample is renewed.
echo "# local change" >>"$conf/scim.conf"
echo "stale" >"$conf/scim.conf.sample"
submake install >"$tmp/why" 2>&1 &&
    grep -qx "# local change" "$conf/scim.conf" &&
    ! grep -qx stale "$conf/scim.conf.sample"
ok $? "reinstall keeps a changed scim.conf, renews scim.conf.sample"

# As root: the programs refuse root with a root-owned home, and become
# the owner of a www-data home.
if [ "$(id -u)" -ne 0 ] || ! id www-data >/dev/null 2>&1; then
	ok 0 "refuses to run as root # SKIP not root, or no www-data account"
	ok 0 "runs as the data home's owner # SKIP not root, or no www-data account"
else
	mkdir -m 755 "$tmp/home" "$tmp/rootdb" "$tmp/wwwdb"
	chown www-data:www-data "$tmp/wwwdb"
	printf '[store]\nhome = %s\n' "$tmp/rootdb" >"$tmp/home/root.conf"
	printf '[store]\nhome = %s\n' "$tmp/wwwdb" >"$tmp/home/www.conf"
	chmod 755 "$tmp"
	env REQUEST_METHOD=GET SCRIPT_NAME=/scim/v2/ServiceProviderConfig \
	    "$libexec/scim-meta" -c "$tmp/home/root.conf" </dev/null \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "refusing to run as root" "$tmp/err" &&
	    [ -z "$(ls -A "$tmp/rootdb")" ]
	r=$?
	[ $r -eq 0 ] || { echo "exit $rc"; cat "$tmp/err"; } >"$tmp/why"
	ok $r "refuses to run as root (home owned by root)"
	env REQUEST_METHOD=GET SCRIPT_NAME=/scim/v2/ServiceProviderConfig \
	    "$libexec/scim-meta" -c "$tmp/home/www.conf" </dev/null \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	owners=$(find "$tmp/wwwdb" -type f -printf '%u\n' | sort -u)
	[ $rc -eq 0 ] && grep -q '^Status: 401' "$tmp/out" &&
	    [ "$owners" = www-data ]
	r=$?
	[ $r -eq 0 ] || { echo "exit $rc, files owned by: $owners"; cat "$tmp/out" "$tmp/err"; } >"$tmp/why"
	ok $r "runs as the data home's owner (www-data), answers as CGI"
fi

submake uninstall >"$tmp/out" 2>&1
r=$?
left=$(cd "$dest" && find . -type f)
[ $r -eq 0 ] && [ "$left" = "./${conf#"$dest"/}/scim.conf" ] && [ ! -d "$conf/errors" ] &&
    grep -q "keeping .*scim.conf: it has local changes" "$tmp/out"
r=$?
[ $r -eq 0 ] || { echo "left: $left"; cat "$tmp/out"; } >"$tmp/why"
ok $r "make uninstall removes everything but the changed scim.conf"

echo "1..$n"
exit $fail
