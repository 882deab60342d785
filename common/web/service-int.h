/*
 * Internals shared by the files of the service module (service.c, the
 * accept loop; service-proc.c, the process around it); not installed.
 */
#ifndef SCIM_SERVICE_INT_H
#define SCIM_SERVICE_INT_H

#include "web/service.h"

/*
 * After a batch whose writes made a checkpoint due: make sure the data
 * home's checkpoint process runs, starting this program again with
 * --checkpoint (argv after it, envp as at start) when none does; if it
 * cannot be started, or the last one this worker started failed, the
 * worker checkpoints itself.
 */
void		 service_spawn_checkpointer(struct scim_ctx *ctx, int argc,
		    char *argv[], char *envp[]);

/*
 * Be the checkpoint process (--checkpoint) of ctx->cfg's data home until
 * the worker that started it ends or a signal asks.  Returns the exit
 * status: 1 when the store cannot be opened.
 */
int		 service_run_checkpointer(struct scim_ctx *ctx);

#endif /* SCIM_SERVICE_INT_H */
