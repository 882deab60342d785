#!/bin/sh
# The FastCGI programs run as plain CGI under valgrind's memcheck: each
# request is one process with the CGI environment and the body on standard
# input (libfcgi's FCGI_Accept serves one CGI request when standard input is
# not a socket), so every code path of a request, from reading it to freeing
# everything at exit, is checked for memory errors and definite leaks.
# scim-tokens' command line (create, list, revoke) runs under it too.
#
# Usage: cgi-valgrind.sh [BUILDDIR]   (default: $top_builddir, else ../..)
# Called by `make check-valgrind`.  Exit status 0 only when every request
# got the expected status with zero valgrind errors and no definite leak.
#
# As root the programs refuse to run unless the data home belongs to
# someone else: the home is given to www-data and the programs drop to it.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=${1:-${top_builddir:-$here/../..}}
bin=$top/cgi-bin
VALGRIND=${VALGRIND:-valgrind}

for p in scim-users scim-groups scim-meta scim-tokens; do
	[ -x "$bin/$p" ] || { echo "cgi-valgrind: $bin/$p not built" >&2; exit 1; }
done
command -v "$VALGRIND" >/dev/null 2>&1 || {
	echo "cgi-valgrind: valgrind not found (apt-get install valgrind)" >&2; exit 1; }

home=$(mktemp -d "${TMPDIR:-/tmp}/scim-valgrind.XXXXXX")
trap 'rm -rf "$home"' EXIT INT TERM
chmod 755 "$home"
mkdir "$home/db"
conf=$home/scim.conf
# Cheap scrypt: each CGI process verifies the token from scratch.
cat >"$conf" <<EOF
[store]
home = $home/db
sync = write
[tokens]
scrypt_n = 1024
scrypt_r = 8
scrypt_p = 1
[log]
level = error
EOF
if [ "$(id -u)" -eq 0 ]; then
	chown -R www-data:www-data "$home"
fi

n=0
failed=0
VGFLAGS="-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --suppressions=$here/valgrind.supp"
vg() {
	# shellcheck disable=SC2086
	"$VALGRIND" $VGFLAGS --log-file="$home/vg.log" "$@"
}

# report OK NAME [DETAIL FILE]
report() {
	n=$((n + 1))
	if [ "$1" -eq 1 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && { sed -e 's/^/# /' "$3" | head -40; echo; }
		[ -s "$home/vg.log" ] && sed -e 's/^/# /' "$home/vg.log" | head -60
	fi
}

# cgi PROGRAM METHOD PATH QUERY WANT [BODY] [TOKEN]: one request; the
# response is left in $home/out.
cgi() {
	prog=$1 method=$2 path=$3 query=$4 want=$5 body=${6:-} tok=${7-$token}
	printf '%s' "$body" >"$home/in"
	case $prog in
	scim-users) script=/scim/v2/Users ;;
	scim-groups) script=/scim/v2/Groups ;;
	*) script=/scim/v2 ;;
	esac
	: >"$home/vg.log"
	env -i PATH=/usr/bin:/bin SCIM_CONF="$conf" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD="$method" SCRIPT_NAME="$script" PATH_INFO="$path" \
	    QUERY_STRING="$query" CONTENT_LENGTH="$(wc -c <"$home/in")" \
	    CONTENT_TYPE=application/scim+json HTTP_HOST=127.0.0.1 \
	    REMOTE_ADDR=127.0.0.1 HTTP_AUTHORIZATION="${tok:+Bearer $tok}" \
	    ${IF_MATCH:+HTTP_IF_MATCH="$IF_MATCH"} \
	    "$VALGRIND" $VGFLAGS --log-file="$home/vg.log" \
	    "$bin/$prog" <"$home/in" >"$home/out" 2>"$home/err"
	rc=$?
	got=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$home/out" | tr -d '\r')
	[ "$rc" -eq 0 ] && [ "$got" = "$want" ]
	report $((1 - $?)) "$prog $method $script$path${query:+?$query} -> $want (got ${got:-none}, exit $rc)" "$home/out"
}

json_id() {
	tr -d '\r' <"$home/out" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1
}

# --- a token, made by scim-tokens under valgrind ---
: >"$home/vg.log"
token=$(SCIM_CONF="$conf" vg "$bin/scim-tokens" -c "$conf" create --tenant default \
    --label valgrind 2>"$home/err")
rc=$?
case $token in scim_*) ok=1 ;; *) ok=0 ;; esac
[ "$rc" -eq 0 ] || ok=0
report $ok "scim-tokens create (exit $rc)" "$home/err"
[ $ok -eq 1 ] || { echo "1..$n"; exit 1; }

: >"$home/vg.log"
vg "$bin/scim-tokens" -c "$conf" list >"$home/out" 2>"$home/err"
rc=$?
report $((rc == 0)) "scim-tokens list (exit $rc)" "$home/err"

CORE='"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]'
ENT=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User
PO='"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]'

# --- users ---
cgi scim-users POST "" "" 201 "{$CORE,\"userName\":\"valgrind@example.com\",\"externalId\":\"vg-1\",\"active\":\"True\",\"name\":{\"givenName\":\"Val\",\"familyName\":\"Grind\"},\"emails\":[{\"type\":\"work\",\"value\":\"v@example.com\",\"primary\":true}],\"roles\":[],\"title\":null,\"$ENT\":{\"department\":\"QA\",\"manager\":\"m1\"}}"
uid=$(json_id)
cgi scim-users POST "" "" 201 "{$CORE,\"userName\":\"second@example.com\"}"
uid2=$(json_id)
cgi scim-users GET "/$uid" "" 200
cgi scim-users GET "/$uid" "attributes=userName,emails%5Btype+eq+%22work%22%5D.value" 200
cgi scim-users GET "" "filter=userName+eq+%22VALGRIND@example.com%22" 200
cgi scim-users GET "" "filter=emails%5Btype+eq+%22work%22+and+value+co+%22example%22%5D+or+not+(active+eq+false)&sortBy=name.familyName&sortOrder=descending&startIndex=-3&count=5" 200
cgi scim-users GET "" "filter=externalId+eq+%22vg-1%22&excludedAttributes=groups" 200
cgi scim-users POST "/.search" "" 200 '{"filter":"meta.created gt \"2000-01-01T00:00:00Z\"","attributes":["userName","id"],"count":10}'
cgi scim-users PATCH "/$uid" "" 200 "{$PO,\"Operations\":[{\"op\":\"Replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"w@example.com\"},{\"op\":\"Add\",\"path\":\"addresses[type eq \\\"work\\\"].locality\",\"value\":\"Town\"},{\"op\":\"replace\",\"value\":{\"name.givenName\":\"V\",\"$ENT:employeeNumber\":\"7\"}},{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"},{\"op\":\"remove\",\"path\":\"manager[value eq \\\"m1\\\"]\"}]}"
cgi scim-users PUT "/$uid" "" 200 "{$CORE,\"userName\":\"valgrind@example.com\",\"displayName\":\"Put\"}"
IF_MATCH='W/"1"' cgi scim-users PATCH "/$uid" "" 412 "{$PO,\"Operations\":[{\"op\":\"add\",\"path\":\"title\",\"value\":\"x\"}]}"
cgi scim-users POST "" "" 409 "{$CORE,\"userName\":\"VALGRIND@example.com\"}"
cgi scim-users GET "/no-such-id" "" 404
cgi scim-users PATCH "/no-such-id" "" 404 "{$PO,\"Operations\":[{\"op\":\"add\",\"path\":\"title\",\"value\":\"x\"}]}"
cgi scim-users PUT "/no-such-id" "" 404 "{$CORE,\"userName\":\"nobody\"}"
cgi scim-users DELETE "/no-such-id" "" 404
cgi scim-users PATCH "/$uid" "" 400 "{$PO,\"Operations\":[{\"op\":\"add\",\"path\":\"emails[type eq\",\"value\":\"x\"}]}"
cgi scim-users PATCH "/$uid" "" 400 "{$PO,\"Operations\":[{\"op\":\"remove\"}]}"
# Over the 1000-operation cap; names of blanks or with a control character.
ops=$(i=0; while [ $i -le 1000 ]; do printf '{"op":"add","path":"title","value":"x"},'; i=$((i + 1)); done)
cgi scim-users PATCH "/$uid" "" 413 "{$PO,\"Operations\":[${ops%,}]}"
cgi scim-users POST "" "" 400 '{"userName":"a\tb"}'
cgi scim-users PATCH "/$uid" "" 400 "{$PO,\"Operations\":[{\"op\":\"replace\",\"path\":\"userName\",\"value\":\"   \"}]}"

# --- bad input ---
cgi scim-users POST "" "" 400 '{"userName":"a",'
cgi scim-users POST "" "" 400 '{"userName":"a"} trailing'
cgi scim-users POST "" "" 400 '{"userName":"a\u0000b"}'
cgi scim-users POST "" "" 400 '{"userName":"a","USERNAME":"b"}'
cgi scim-users POST "" "" 400 "{\"userName\":\"d\",\"x\":$(printf '%0.s[' $(seq 1 2000))$(printf '%0.s]' $(seq 1 2000))}"
cgi scim-users POST "" "" 400 "$(printf '{"userName":"\303\050"}')"
cgi scim-users GET "" "filter=(userName+eq+%22a%22" 400
cgi scim-users GET "" "count=99999999999999999999" 400
cgi scim-users GET "" "filter=%ZZ" 400
cgi scim-users GET "" "" 401 "" ""
cgi scim-users GET "" "" 401 "" "scim_0123456789abcdef_$(printf '%064d' 0)"
cgi scim-users DELETE "" "" 405

# --- groups ---
cgi scim-groups POST "" "" 201 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\",\"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group\"],\"displayName\":\"VG Group\",\"externalId\":\"g-1\",\"members\":[{\"value\":\"$uid\"},{\"value\":\"unknown-id\"}]}"
gid=$(json_id)
cgi scim-groups GET "/$gid" "" 200
cgi scim-groups POST "" "" 400 '{"displayName":" \u3000 "}'
cgi scim-groups PATCH "/no-such-id" "" 404 "{$PO,\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"$uid\"}]}]}"
cgi scim-groups PUT "/no-such-id" "" 404 '{"displayName":"nobody"}'
cgi scim-groups PATCH "/$gid" "" 204 "{$PO,\"Operations\":[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"\$ref\":null,\"value\":\"$uid2\"}]},{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"VG Renamed\"}]}"
cgi scim-groups PATCH "/$gid" "" 204 "{$PO,\"Operations\":[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"$uid\"}]},{\"op\":\"remove\",\"path\":\"members[value eq \\\"$uid2\\\"]\"}]}"
cgi scim-groups GET "" "filter=displayName+eq+%22vg+renamed%22&excludedAttributes=members" 200
cgi scim-groups GET "" "filter=id+eq+%22$gid%22+and+members+eq+%22$uid%22&attributes=id" 200
cgi scim-users GET "/$uid2" "" 200
cgi scim-groups DELETE "/$gid" "" 204
cgi scim-users DELETE "/$uid" "" 204
cgi scim-users GET "/$uid" "" 404

# --- discovery ---
cgi scim-meta GET "/ServiceProviderConfig" "" 200
cgi scim-meta GET "/Schemas" "" 200
cgi scim-meta GET "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User" "" 200
cgi scim-meta GET "/ResourceTypes" "" 200
cgi scim-meta GET "/Schemas/urn:nothing" "" 404

# --- the token's end, on the command line ---
tid=$(printf '%s' "$token" | cut -c6-21)
: >"$home/vg.log"
vg "$bin/scim-tokens" -c "$conf" revoke "$tid" >"$home/out" 2>"$home/err"
rc=$?
report $((rc == 0)) "scim-tokens revoke (exit $rc)" "$home/err"
cgi scim-users GET "" "" 401

echo "1..$n"
echo "# cgi-valgrind: $n checks, $failed failed" >&2
[ "$failed" -eq 0 ]
