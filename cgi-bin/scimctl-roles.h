/*
 * scimctl's role and access commands (scimctl-roles.c), reached from
 * scimctl.c's main().
 */
#ifndef SCIMCTL_ROLES_H
#define SCIMCTL_ROLES_H

/*
 * Run argv when its command is roles, user or users (after -c FILE if
 * given) and return the exit status; -1 for any other command.
 */
int	 scimctl_roles_main(int argc, char *argv[]);

#endif /* SCIMCTL_ROLES_H */
