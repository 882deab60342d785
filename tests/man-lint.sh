#!/bin/sh
# Every manual page in man/ passes `mandoc -Tlint -W warning` (no warning,
# no error): one TAP point per page.  A missing mandoc is a failure, not a
# skip: the pages ship, so they are checked.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
mandoc=${MANDOC:-}
[ -n "$mandoc" ] || mandoc=$(command -v mandoc 2>/dev/null || :)

if [ -z "$mandoc" ] || [ ! -x "$mandoc" ]; then
	echo "not ok 1 - mandoc not found (apt-get install mandoc)"
	echo "1..1"
	exit 1
fi

n=0
fail=0
for page in "$top_srcdir"/man/*.[1-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	name=${page##*/}
	if [ ! -s "$page" ]; then
		echo "not ok $n - $name is empty"
		fail=1
		continue
	fi
	out=$("$mandoc" -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (mandoc exit $rc)"
		printf '%s\n' "$out" | sed 's/^/# /'
		fail=1
	fi
done
if [ $n -eq 0 ]; then
	echo "not ok 1 - no manual page in $top_srcdir/man"
	n=1
	fail=1
fi
echo "1..$n"
exit $fail
