/*
 * ovirt.h: internal to the oVirt front end (ovirt.c: channel, timers,
 * commands, the writer; ovirt_msg.c: one builder per message, fed by the
 * shared verbs/ collectors).
 */
#ifndef PROTO_OVIRT_H
#define PROTO_OVIRT_H

#include "../agent.h"
#include "../verbs/sys.h"
#include "../verbs/users.h"
#include "json.h"
#include "ovirt_frame.h"

#define OVIRT_API_MAX	3		/* _MAX_SUPPORTED_API_VERSION */
#define OVIRT_QUEUE_MAX	(256 << 10)	/* periodic output dropped above */
#define OVIRT_LIST_MAX	(240 << 10)	/* a list member's budget (10.3) */

enum ov_timer { OT_HEARTBEAT, OT_USER, OT_APPS, OT_DISKS, OT_CPUS, OT_N };

struct ovirt;

struct ov_timer_slot {
	struct timer	 t;
	struct ovirt	*o;
	enum ov_timer	 k;
};

struct ovirt {
	struct chan	*ch;
	struct ovf	 f;
	int		 api;		/* negotiated version, 0 at start */
	int		 beat_sent;	/* a heartbeat reached a host */
	int		 started;	/* the start-up batch went out */
	int		 user_sent;	/* user holds the last active-user */
	char		 user[USERS_NAME_MAX + 1];
	struct ov_timer_slot t[OT_N];
	int64_t		 ms[OT_N];	/* periods */
	int		 has_vm;	/* vm/vm_at hold the last sample */
	struct sys_vmstat vm;
	int64_t		 vm_at;
	unsigned	 warned;	/* OVW_* bits: logged once already */
	cJSON		*containers;	/* the last Docker list, NULL: none */
	struct timer	 shut;		/* a delayed shutdown */
	int		 shut_reboot;
};

#define OVW_BADLINE	0x01
#define OVW_UNKNOWN	0x02
#define OVW_SSO		0x04
#define OVW_QUEUE	0x08
#define OVW_MEM		0x10

/* ovirt.c: the writer.  Takes m; 0 if queued, -1 if gated or dropped. */
int	ov_send(struct ovirt *, const char *name, cJSON *m);
/* A word of a blank or comma separated list? */
int	ov_word_in(const char *list, const char *word);
const char *ov_conf(const char *key, const char *def);

/* ovirt_msg.c: build and send one message each. */
void	ovm_heartbeat(struct ovirt *);
void	ovm_host_name(struct ovirt *);
void	ovm_fqdn(struct ovirt *);
void	ovm_os_version(struct ovirt *);
void	ovm_os_info(struct ovirt *);
void	ovm_interfaces(struct ovirt *);
void	ovm_applications(struct ovirt *);
void	ovm_active_user(struct ovirt *, int force);
void	ovm_disks(struct ovirt *);
void	ovm_cpus(struct ovirt *);
void	ovm_timezone(struct ovirt *);
void	ovm_containers(struct ovirt *);
void	ovm_containers_query(struct ovirt *);
void	ovm_empty(struct ovirt *, const char *name);
/* Cut a list's tail so its text stays under budget (whole elements). */
void	ovm_trim(cJSON *, size_t budget);

#endif
