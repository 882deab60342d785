# scim-fcgi: periodic jobs, as the owner of the data home (www-data).
# The programs read /etc/scim-fcgi/scim.conf.  See scim-tokens(8) and
# scimctl(8).  Each line checks the program is there: after "apt-get
# remove" (not purge) this file stays and the programs are gone.
# What a job prints (reminders while [admin] sendmail is empty, errors)
# is mailed to root.
MAILTO=root

# Secret Tokens and admin accounts close to expiry: reminders to the
# owners, mailed with [admin] sendmail.
15 7 * * *	www-data	test -x /usr/libexec/scim-fcgi/scim-tokens && /usr/libexec/scim-fcgi/scim-tokens remind

# Audit events whose hook ([audit] hook) failed or has not run yet.
*/5 * * * *	www-data	test -x /usr/sbin/scimctl && /usr/sbin/scimctl deliver >/dev/null

# Audit events older than [audit] retention_days.
17 3 * * *	www-data	test -x /usr/sbin/scimctl && /usr/sbin/scimctl prune >/dev/null
