/*
 * Logging to standard error, one line per event, prefixed with the
 * program name and pid.  Under lighttpd and mod_fcgid standard error ends
 * up in the web server's error log.  Secrets are never passed here.
 *
 * Owns: the line format and the level.  Must not know: requests, the
 * audit log (audit/ records what an operator reads; this is for admins).
 */
#ifndef SCIM_LOG_H
#define SCIM_LOG_H

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* Set the program name shown on every line and the most verbose level. */
void	 log_init(const char *progname, enum log_level max);

void	 log_msg(enum log_level lvl, const char *fmt, ...)
	    __attribute__((format(__printf__, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* SCIM_LOG_H */
