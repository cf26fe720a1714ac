/*
 * install.h: `onega install` and `onega uninstall`.  Both take --root DIR
 * (default /) and act on the init system found there: systemd (unit + udev
 * rule), OpenRC, sysvinit or busybox init.  Install records what it created
 * in /var/lib/onega/install.manifest; uninstall removes exactly that.
 * Exit: 0 done, 1 refused or failed, 100 usage.  verbs/install.c writes and
 * removes; verbs/install_sys.c looks at the target system (its init, other
 * agents, held ports) and starts or stops the service on the live one.
 */
#ifndef VERBS_INSTALL_H
#define VERBS_INSTALL_H

#include <limits.h>
#include <stddef.h>

#define INST_BIN	"/usr/sbin/onega"
#define INST_CONF	"/etc/onega.conf"
#define INST_MANIFEST	"/var/lib/onega/install.manifest"
#define INST_UNIT	"/etc/systemd/system/onega.service"
#define INST_RULES	"/etc/udev/rules.d/60-onega.rules"
#define INST_INITD	"/etc/init.d/onega"
#define INST_RUNLEVEL	"/etc/runlevels/default/onega"
#define INST_INITTAB	"/etc/inittab"
#define INST_MAX_ENT	64
#define INST_BIN_MAX	(64u << 20)	/* sanity cap on /proc/self/exe */

enum init_kind { INIT_SYSTEMD, INIT_OPENRC, INIT_SYSV, INIT_BUSYBOX };

struct ient {
	char	 kind;		/* f file, l symlink, d dir, e/n inittab edit */
	char	*path;		/* absolute, inside the root */
};

struct inst {
	char		 root[PATH_MAX];	/* "" for / */
	enum init_kind	 init;
	int		 live;		/* root is / and its init is running */
	int		 start;		/* live and not --no-start */
	int		 force;
	struct ient	 ent[INST_MAX_ENT];
	size_t		 nent;
};

int	cli_install(int, char **);
int	cli_uninstall(int, char **);

/* install.c: path inside the root (a few rotating static buffers). */
const char *inst_rp(const struct inst *, const char *);
int	inst_exists(const char *);
/* Whole file, NUL terminated, malloc'd; -1 with errno. */
int	inst_slurp(const char *, char **, size_t *);

/* install_sys.c */
int	inst_link_has(const char *, const char *);	/* symlink to *what*? */
void	inst_read_comm(const char *, char *, size_t);	/* first line */
enum init_kind inst_init_detect(const struct inst *);
int	inst_init_running(enum init_kind);
int	inst_check_others(const struct inst *);	/* -1: refused, said why */
int	inst_check_ports(const struct inst *);
void	inst_run(char *const[]);
void	inst_live_start(const struct inst *);
void	inst_live_stop(const struct inst *);

#endif
