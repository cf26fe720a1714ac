/*
 * agent.c: main, options, the channel table and the one poll() loop.
 * Options follow qemu-ga's (qemu-ga.md 5.3-5.6) where the meaning is the
 * same; the loop follows ntpd/s6: the pollfd set is rebuilt every pass, the
 * timeout is the nearest timer deadline (none at all when nothing is due,
 * so an idle agent with its hosts connected never wakes up), signals arrive
 * through a signalfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "proto/chan.h"
#include "proto/qga.h"
#include "verbs/freeze.h"

#define QGA_PORT	"org.qemu.guest_agent.0"
#define QGA_CONF_DEFAULT "/etc/qemu/qemu-ga.conf"
#define MAX_POLLFD	256
#define QUIT_FLUSH_MS	1000

extern const struct proto qga_proto, ovirt_proto, spice_proto;

struct options	opt;
volatile int	agent_frozen;
int		agent_quit;

/* The channel table: protocol, config section, virtio port names. */
static const struct {
	const struct proto	*proto;
	const char		*section;
	const char		*ports[2];
} chan_defs[] = {
	{ &qga_proto, "general", { QGA_PORT, NULL } },
	{ &ovirt_proto, "ovirt",
	    { "ovirt-guest-agent.0", "com.redhat.rhevm.vdsm" } },
	{ &spice_proto, "spice", { "com.redhat.spice.0", NULL } },
};

static struct chan chans[nitems(chan_defs)];	/* bss, not file bytes */


/* ---- signals ----------------------------------------------------------- */

static int
signals_init(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGIO);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		fatal("signalfd");
	}
	return fd;
}

static int term_pending;

static void
signals_read(int fd)
{
	struct signalfd_siginfo si;
	size_t i;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			term_pending = 1;
			break;
		case SIGHUP:
			log_reopen();
			break;
		case SIGCHLD:
			child_reap();
			break;
		case SIGIO:
			for (i = 0; i < nitems(chans); i++) {
				chan_recheck(&chans[i]);
			}
			break;
		}
	}
}

/* ---- the loop ----------------------------------------------------------- */

static void
loop(int sigfd)
{
	struct pollfd pfd[MAX_POLLFD];
	size_t i;
	int n, r;

	while (!agent_quit) {
		/* SIGTERM waits while frozen (qemu-ga 5.6): thaw comes first. */
		if (term_pending && !agent_frozen) {
			break;
		}
		for (i = 0; i < nitems(chans); i++) {
			chan_flush(&chans[i]);
		}
		n = 0;
		pfd[n].fd = sigfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < nitems(chans); i++) {
			chan_fill(&chans[i], pfd, &n);
		}
		n = watch_fill(pfd, n, MAX_POLLFD);
		r = poll(pfd, n, timers_timeout());
		if (r == -1 && errno != EINTR) {
			fatal("poll");
		}
		if (r > 0 && pfd[0].revents) {
			signals_read(sigfd);
		}
		for (i = 0; r > 0 && i < nitems(chans); i++) {
			chan_event(&chans[i], pfd);
		}
		watch_dispatch(pfd, r > 0 ? n : 0);
		timers_run();
	}
}

/* SIGTERM: give queued replies a short deadline to leave, then exit 0. */
static void
quit_flush(void)
{
	int64_t end = now_ms() + QUIT_FLUSH_MS;
	struct pollfd p;
	size_t i;

	for (i = 0; i < nitems(chans); i++) {
		struct chan *ch = &chans[i];

		if (ch->proto->quit != NULL && ch->ps != NULL) {
			ch->proto->quit(ch);
		}
		while (ch->ofd != -1 && buf_size(&ch->out) > 0 &&
		    now_ms() < end) {
			ssize_t w = io_write(ch->ofd, buf_data(&ch->out),
			    buf_size(&ch->out));

			if (w == -1) {
				break;
			}
			buf_consume(&ch->out, w);
			p.fd = ch->ofd;
			p.events = POLLOUT;
			if (w == 0 && poll(&p, 1, (int)(end - now_ms())) <= 0) {
				break;
			}
		}
		chan_close(ch);
	}
}

/* ---- options ------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: onega [-m <method> -p <path>] [<options>]\n"
"       onega call [--timeout SEC] [--raw] [--no-sync] SOCKET COMMAND [JSON-ARGS]\n"
"       onega clipboard get|set [--type MIME] [--selection SEL] [--socket PATH]\n"
"       onega install|uninstall [--root DIR] [--init NAME] [--force] [--no-start]\n"
"       (onega SUBCOMMAND --help lists its options; see onega(8))\n"
"onega " ONEGA_VERSION ": one guest agent for qemu-ga, oVirt and SPICE\n"
"\n"
"  -m, --method      transport method: virtio-serial (default), isa-serial,\n"
"                    unix-listen, vsock-listen, stdio\n"
"  -p, --path        device/socket path (vsock-listen: CID:PORT); without it\n"
"                    the virtio port is found by name\n"
"  -l, --logfile     log to FILE, or syslog, kmsg, stderr (default)\n"
"  -f, --pidfile     specify pidfile\n"
"  -F, --fsfreeze-hook\n"
"                    enable fsfreeze hook; -F<path> (attached) names it,\n"
"                    default /etc/qemu/fsfreeze-hook\n"
"  -t, --statedir    directory to store state information (default /var/run)\n"
"  -v, --verbose     log extra debugging information (twice: debug)\n"
"  -V, --version     print version information and exit\n"
"  -d, --daemonize   become a daemon\n"
"  -b, --block-rpcs  comma-separated list of RPCs to disable (no spaces,\n"
"                    use \"help\" to list available RPCs)\n"
"  -a, --allow-rpcs  comma-separated list of RPCs to enable (no spaces,\n"
"                    use \"help\" to list available RPCs)\n"
"  -D, --dump-conf   dump a configuration file and exit\n"
"  -r, --retry-path  attempt re-opening path if it's unavailable or closed\n"
"  -c, --config      configuration file (default $QGA_CONF or\n"
"                    " QGA_CONF_DEFAULT "); [ovirt] and [spice] set the\n"
"                    other channels: enabled, method, path\n"
"  -h, --help        display this help and exit\n"
"\n"
"Kernel command line: onega.KEY=V sets [general] KEY, onega.SECTION.KEY=V\n"
"sets [SECTION] KEY (initramfs use).\n");
}

static void
list_rpcs(void)
{
	const struct qga_cmd *c;
	size_t i;

	for (i = 0; (c = qga_nth(i)) != NULL; i++) {
		printf("%s\n", c->name);
	}
	exit(0);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "path", required_argument, NULL, 'p' },
		{ "logfile", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'f' },
		{ "fsfreeze-hook", optional_argument, NULL, 'F' },
		{ "statedir", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "daemonize", no_argument, NULL, 'd' },
		{ "block-rpcs", required_argument, NULL, 'b' },
		{ "blacklist", required_argument, NULL, 'b' },
		{ "allow-rpcs", required_argument, NULL, 'a' },
		{ "dump-conf", no_argument, NULL, 'D' },
		{ "retry-path", no_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = getenv("QGA_CONF"), *cmdline;
	const char *set[32][2];
	char *block = NULL, *allow = NULL;
	int c, nset = 0, must = 0, dump = 0, verbose = 0;

	while ((c = getopt_long(argc, argv, "m:p:l:f:F::t:vVdb:a:Drc:h",
	    lopts, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 'm': key = "method"; break;
		case 'p': key = "path"; break;
		case 'l': key = "logfile"; break;
		case 'f': key = "pidfile"; break;
		case 't': key = "statedir"; break;
		case 'F':
			set[nset][0] = "fsfreeze-hook";
			set[nset++][1] = optarg ? optarg :
			    "/etc/qemu/fsfreeze-hook";
			break;
		case 'v': verbose++; break;
		case 'V':
			printf("QEMU Guest Agent %s (onega)\n", ONEGA_VERSION);
			exit(0);
		case 'd': set[nset][0] = "daemon"; set[nset++][1] = "true";
			break;
		case 'b': block = optarg; break;
		case 'a': allow = optarg; break;
		case 'D': dump = 1; break;
		case 'r': set[nset][0] = "retry-path"; set[nset++][1] = "true";
			break;
		case 'c': conf = optarg; must = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(100);
		}
		if (key != NULL) {
			set[nset][0] = key;
			set[nset++][1] = optarg;
		}
		if (nset >= 30) {
			fatalx("too many options");
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(100);
	}
	if ((block && (!strcmp(block, "help") || !strcmp(block, "?"))) ||
	    (allow && (!strcmp(allow, "help") || !strcmp(allow, "?")))) {
		list_rpcs();
	}
	if (conf_load(conf ? conf : QGA_CONF_DEFAULT, must) == -1) {
		fatal("%s", conf);
	}
	cmdline = getenv("ONEGA_CMDLINE");
	conf_cmdline(cmdline ? cmdline : "/proc/cmdline");
	for (c = 0; c < nset; c++) {
		conf_set("general", set[c][0], set[c][1]);
	}
	if (verbose) {
		conf_set("general", "verbose", "true");
		if (verbose > 1) {
			conf_set("general", "debug", "true");
		}
	}
	if (conf_get("general", "blacklist") && !conf_get("general",
	    "block-rpcs")) {
		conf_set("general", "block-rpcs",
		    conf_get("general", "blacklist"));
	}
	if (block) {
		conf_append_list("general", "block-rpcs", block);
	}
	if (allow) {
		conf_append_list("general", "allow-rpcs", allow);
	}
	if (dump) {
		static const char *const defs[][2] = {
			{ "daemon", "false" }, { "method", "virtio-serial" },
			{ "path", "/dev/virtio-ports/" QGA_PORT },
			{ "pidfile", "/var/run/qemu-ga.pid" },
			{ "statedir", "/var/run" }, { "verbose", "false" },
			{ "retry-path", "false" }, { "block-rpcs", "" },
		};
		size_t i;

		for (i = 0; i < nitems(defs); i++) {
			if (conf_get("general", defs[i][0]) == NULL) {
				conf_set("general", defs[i][0], defs[i][1]);
			}
		}
		conf_dump();
		exit(0);
	}
}

static void
setup_options(void)
{
	const char *v;
	size_t i;

	opt.statedir = conf_get("general", "statedir");
	if (opt.statedir == NULL) {
		opt.statedir = "/var/run";
	}
	opt.pidfile = conf_get("general", "pidfile");
	opt.logfile = conf_get("general", "logfile");
	opt.fsfreeze_hook = conf_get("general", "fsfreeze-hook");
	opt.verbose = conf_bool("general", "verbose", 0) +
	    conf_bool("general", "debug", 0);
	opt.daemonize = conf_bool("general", "daemon", 0);
	opt.retry_path = conf_bool("general", "retry-path", 0);
	for (i = 0; i < nitems(chans); i++) {
		struct chan *ch = &chans[i];

		ch->proto = chan_defs[i].proto;
		ch->section = chan_defs[i].section;
		ch->ports[0] = chan_defs[i].ports[0];
		ch->ports[1] = chan_defs[i].ports[1];
		ch->enabled = conf_bool(ch->section, "enabled", 1);
		v = conf_get(ch->section, "method");
		snprintf(ch->method, sizeof(ch->method), "%s",
		    v ? v : "virtio-serial");
		v = conf_get(ch->section, "path");
		if (v != NULL && *v != '\0') {
			snprintf(ch->path, sizeof(ch->path), "%s", v);
			ch->path_given = 1;
		}
	}
}

/* -l FILE, or the words syslog, kmsg and stderr. */
static int
log_target(const char *f)
{
	if (f == NULL || strcmp(f, "stderr") == 0) {
		return LOG_TO_STDERR;
	}
	if (strcmp(f, "syslog") == 0) {
		return LOG_TO_SYSLOG;
	}
	if (strcmp(f, "kmsg") == 0) {
		return LOG_TO_KMSG;
	}
	return LOG_TO_FILE;
}

static void
pidfile_write(void)
{
	char s[32];
	int fd, n;

	fd = open(opt.pidfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		fatal("pidfile %s", opt.pidfile);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		fatalx("pidfile %s is locked: is another agent running?",
		    opt.pidfile);
	}
	n = snprintf(s, sizeof(s), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, s, n) != n) {
		fatal("pidfile %s", opt.pidfile);
	}
	/* fd stays open: the lock lives as long as we do. */
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid == -1) {
		fatal("fork");
	}
	if (pid > 0) {
		_exit(0);
	}
	setsid();
	umask(077);
	if (chdir("/") == -1) {
		fatal("chdir /");
	}
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2) {
			close(fd);
		}
	}
}

/* Subcommands live in their own files; these stand in until they exist. */
__attribute__((weak)) int cli_call(int, char **);
__attribute__((weak)) int cli_install(int, char **);
__attribute__((weak)) int cli_uninstall(int, char **);
__attribute__((weak)) int cli_clipboard(int, char **);
__attribute__((weak)) void boot_pid1(void);

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "call", cli_call },
		{ "install", cli_install },
		{ "uninstall", cli_uninstall },
		{ "clipboard", cli_clipboard },
	};
	int sigfd;
	size_t i;

	for (i = 0; argc > 1 && i < nitems(subs); i++) {
		if (strcmp(argv[1], subs[i].name) != 0) {
			continue;
		}
		if (subs[i].fn == NULL) {
			fprintf(stderr, "onega: %s: not built in\n", argv[1]);
			return 100;
		}
		return subs[i].fn(argc - 1, argv + 1);
	}
	if (getpid() == 1 && boot_pid1) {
		boot_pid1();
	}
	parse_args(argc, argv);
	setup_options();
	log_init(log_target(opt.logfile), opt.logfile, opt.verbose);
	sigfd = signals_init();
	/* A marker from an earlier run: frozen, before anything is written. */
	freeze_init();
	chan_register(chans, nitems(chans));
	for (i = 0; i < nitems(chans); i++) {
		if (chans[i].enabled) {
			chan_start(&chans[i]);
		}
	}
	if (opt.daemonize) {
		daemonize();
		if (log_target(opt.logfile) == LOG_TO_STDERR) {
			log_init(LOG_TO_SYSLOG, NULL, opt.verbose);
		}
	}
	if (opt.pidfile && (opt.daemonize || conf_get("general", "pidfile"))) {
		pidfile_write();
	}
	log_info("onega %s started", ONEGA_VERSION);
	loop(sigfd);
	quit_flush();
	if (opt.pidfile && opt.daemonize) {
		unlink(opt.pidfile);
	}
	log_info("onega exiting");
	return 0;
}
