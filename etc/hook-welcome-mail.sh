#!/bin/sh
# scim-fcgi event hook: mail a welcome note to a newly provisioned user.
#
# In scim.conf:
#   [audit]
#   hook = /usr/libexec/scim-fcgi/hook-welcome-mail.sh
#   hook_events = scim.user.provisioned
#   hook_env = SCIM_HOOK_FROM=noreply@example.com SCIM_HOOK_APP="Example App"
#
# Its environment holds only PATH, SCIM_EVENT_TYPE, SCIM_EVENT_ID and what
# hook_env sets (scim.conf(5)): SCIM_HOOK_FROM (the sender), SCIM_HOOK_APP
# (the application's name in the mail) and SCIM_HOOK_SENDMAIL (default
# /usr/sbin/sendmail).
# The event arrives as one line of JSON on standard input (see scimctl(8)).
# The user's userName is taken as the address when it looks like one (Entra
# sends the userPrincipalName).  Exit 0 only when the mail was handed to
# sendmail: scim-fcgi retries the event otherwise.
set -eu
FROM=${SCIM_HOOK_FROM:-"provisioning@$(hostname -f 2>/dev/null || hostname)"}
SENDMAIL=${SCIM_HOOK_SENDMAIL:-/usr/sbin/sendmail}
APP=${SCIM_HOOK_APP:-"our application"}

event=$(cat)
[ "${SCIM_EVENT_TYPE:-}" = "scim.user.provisioned" ] || exit 0
# "target":{"id":"...","name":"alice@example.com"}
name=$(printf '%s' "$event" |
    sed -n 's/.*"target":{[^}]*"name":"\([^"\\]*\)".*/\1/p')
case "$name" in
*@*.*) ;;
*) exit 0 ;;			# not an address: nothing to send
esac
# Refuse anything that could smuggle a header.
case "$name" in
*[!A-Za-z0-9.@_+-]*) echo "hook: unusual address, not mailed" >&2; exit 0 ;;
esac
"$SENDMAIL" -t -f "$FROM" <<MAIL
From: $FROM
To: $name
Subject: Welcome to $APP

Hello,

your account for $APP has been created by your organisation's
identity provider.  Sign in with $name.

(event ${SCIM_EVENT_ID:-})
MAIL
