/*
 * stubs.c: the globals agent.c provides, for unit tests and fuzzers that
 * link the agent's other sources without its main and loop (timers and
 * watches come from timer.c; nothing polls them here).
 */
#include <stddef.h>

#include "../../agent.h"

struct options	opt = { .statedir = "/tmp" };
volatile int	agent_frozen;
int		agent_quit;
