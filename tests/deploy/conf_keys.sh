#!/bin/sh
# The configuration and its documentation agree: every key common/base/config.c
# reads is in the sample etc/scim.conf (under its section) and in
# scim.conf(5), and the sample with every key uncommented is accepted by
# the programs.  Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(pwd)}
top_builddir=${top_builddir:-$(pwd)}
src=$top_srcdir/common/base/config.c
sample=$top_srcdir/etc/scim.conf
page=$top_srcdir/man/scim.conf.5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scim-conf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
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

# "section key" for each key: KEY("section", "key") in config_handler, and
# strcasecmp(name, "key") in config_<section>() helpers.
awk '
	/^config_[a-z]+\(/ { sub(/^config_/, ""); sub(/\(.*/, ""); fn = $0 }
	/^[a-z_]+\(/ && !/^config_/ { fn = "" }
	{
		line = $0
		while (match(line, /KEY\("[a-z]+", "[a-z_]+"\)/)) {
			k = substr(line, RSTART + 5, RLENGTH - 6)
			gsub(/"/, "", k); sub(/, /, " ", k)
			print k
			line = substr(line, RSTART + RLENGTH)
		}
		if (fn != "" && fn != "handler" && fn != "load" &&
		    fn != "defaults" && match(line, /strcasecmp\(name, "[a-z_]+"\)/)) {
			k = substr(line, RSTART + 18, RLENGTH - 19)
			gsub(/"/, "", k)
			print fn " " k
		}
	}' "$src" | sort -u >"$tmp/keys"
count=$(wc -l <"$tmp/keys")
[ "$count" -ge 10 ]
ok $? "$count keys found in common/base/config.c"

# The sample: "#key = ..." after "[section]".
awk '/^\[[a-z]+\]/ { s = substr($0, 2, length($0) - 2) }
	/^#[a-z_]+ =/ { k = substr($1, 2); print s " " k }' "$sample" |
    sort -u >"$tmp/sample"
comm -23 "$tmp/keys" "$tmp/sample" >"$tmp/why"
[ ! -s "$tmp/why" ]
ok $? "etc/scim.conf shows every key, in its section"
comm -13 "$tmp/keys" "$tmp/sample" >"$tmp/why"
[ ! -s "$tmp/why" ]
ok $? "etc/scim.conf shows no key the programs do not read"

r=0
while read -r s k; do
	grep -q "^\.It Cm $k\( \|$\)" "$page" || { echo "$s $k" >>"$tmp/why"; r=1; }
done <"$tmp/keys"
ok $r "scim.conf(5) describes every key"

# Every key set to the value the sample shows (the defaults), in a fresh
# data home: a program must accept the file.
mkdir -m 755 "$tmp/db"
sed -e 's/^#\([a-z_]* =\)/\1/' -e "s|^home = .*|home = $tmp/db|" "$sample" >"$tmp/all.conf"
chmod 755 "$tmp"
if [ "$(id -u)" -eq 0 ]; then
	chown www-data:www-data "$tmp/db"
fi
env REQUEST_METHOD=GET SCRIPT_NAME=/scim/v2/ServiceProviderConfig \
    "$top_builddir/cgi-bin/scim-meta" -c "$tmp/all.conf" </dev/null \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q '^Status: 401' "$tmp/out"
r=$?
[ $r -eq 0 ] || { echo "exit $rc"; cat "$tmp/err"; } >"$tmp/why"
ok $r "the sample with every key set is accepted"

echo "1..$n"
exit $fail
