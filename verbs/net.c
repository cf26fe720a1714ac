/*
 * net.c: interfaces, addresses, statistics and routes for qemu-ga
 * (guest-network-get-interfaces, guest-network-get-route) and oVirt
 * (network-interfaces).  Follows qemu-ga's commands-posix.c/-linux.c:
 * getifaddrs() order (read from rtnetlink directly), one entry per name,
 * MAC as SIOCGIFHWADDR shows it, counters as /proc/net/dev shows them,
 * routes from /proc/net/{route,ipv6_route}.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "verbs.h"
#include "slurp.h"

#define NET_RTF_UP	0x0001		/* <linux/route.h> RTF_UP */
#define NET_RTF_REJECT	0x0200		/* <linux/route.h> RTF_REJECT */

/* "@containers" in the list stands for these (the usual set). */
#define NET_CONTAINER_GLOBS	"veth*,docker*,cni*,flannel*,cali*,virbr*,br-*"

int
net_excluded(const char *list, const char *name)
{
	char		 pat[256];
	const char	*p, *end;
	size_t		 len;

	if (list == NULL) {
		return 0;
	}
	for (p = list; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		while (p < end && (*p == ' ' || *p == '\t')) {
			p++;
		}
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
			len--;
		}
		if (len == 0 || len >= sizeof(pat)) {
			continue;
		}
		memcpy(pat, p, len);
		pat[len] = '\0';
		if (strcmp(pat, "@containers") == 0) {
			if (net_excluded(NET_CONTAINER_GLOBS, name)) {
				return 1;
			}
		} else if (vglob(pat, name)) {
			return 1;
		}
	}
	return 0;
}

/* Dotted quad by hand (musl's inet_ntop goes through snprintf). */
static void
ip4_text(const unsigned char b[4], char *buf)
{
	int	i, d;

	for (i = 0; i < 4; i++) {
		d = b[i];
		if (d >= 100) {
			*buf++ = (char)('0' + d / 100);
		}
		if (d >= 10) {
			*buf++ = (char)('0' + d / 10 % 10);
		}
		*buf++ = (char)('0' + d % 10);
		*buf++ = i < 3 ? '.' : '\0';
	}
}

/*
 * IPv6 text exactly as musl's inet_ntop() writes it: eight "%x" groups
 * (the last 32 bits as a dotted quad under ::ffff:), then the longest run
 * of zero groups (the first of equals, at least two) folded to "::".  By
 * hand: inet_ntop goes through snprintf, the costliest part of a request.
 */
static void
ip6_text(const unsigned char a[16], char *buf)
{
	static const char	 hex[] = "0123456789abcdef";
	static const unsigned char v4map[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	char			 t[NET_ADDR_MAX], *p = t;
	unsigned		 w;
	size_t			 i, j, best = 0, max = 2;
	int			 g, sh, mapped = memcmp(a, v4map, 12) == 0;

	for (g = 0; g < (mapped ? 6 : 8); g++) {
		w = (unsigned)a[2 * g] << 8 | a[2 * g + 1];
		for (sh = 12; sh > 0 && (w >> sh) == 0; sh -= 4) {
			continue;
		}
		for (; sh >= 0; sh -= 4) {
			*p++ = hex[(w >> sh) & 15];
		}
		*p++ = ':';
	}
	if (mapped) {
		ip4_text(a + 12, p);
	} else {
		p[-1] = '\0';
	}
	/* musl: replace the longest /(^0|:)[:0]{2,}/ with "::" */
	for (i = 0; t[i] != '\0'; i++) {
		if (i != 0 && t[i] != ':') {
			continue;
		}
		for (j = i; t[j] == ':' || t[j] == '0'; j++) {
			continue;	/* strspn(t + i, ":0"), inline */
		}
		j -= i;
		if (j > max) {
			best = i;
			max = j;
		}
	}
	if (max > 3) {
		t[best] = t[best + 1] = ':';
		memmove(t + best + 2, t + best + max, i - best - max + 1);
	}
	memcpy(buf, t, strlen(t) + 1);
}

/* Hardware address as qemu-ga prints SIOCGIFHWADDR: six bytes, zeros
 * when the link has none (loopback, tun).  By hand: this runs per link. */
static void
set_hw(struct net_iface *it, const unsigned char *addr, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		mac[6];
	int			i;

	memset(mac, 0, sizeof(mac));
	if (addr != NULL) {
		memcpy(mac, addr, len < 6 ? len : 6);
	}
	for (i = 0; i < 6; i++) {
		it->hw[3 * i] = hex[mac[i] >> 4];
		it->hw[3 * i + 1] = hex[mac[i] & 15];
		it->hw[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	it->has_hw = 1;
}

/* /proc/net/dev: "  eth0: rxb rxp rxe rxd f f f f txb txp txe txd ..." */
static int
dev_line(char *line, char **name, uint64_t x[12])
{
	char	*colon, *p, *end;
	int	 i;

	if ((colon = strchr(line, ':')) == NULL) {
		return -1;
	}
	*colon = '\0';
	for (*name = line; **name == ' '; (*name)++) {
		continue;
	}
	for (i = 0, p = colon + 1; i < 12; i++, p = end) {
		x[i] = strtoull(p, &end, 10);
		if (end == p) {
			return -1;
		}
	}
	return 0;
}

/* Counters from /proc/net/dev (kernels without IFLA_STATS64). */
static void
add_stats(struct net_iface *v, size_t n)
{
	char			 buf[8192], *text, *cur, *line, *name;
	uint64_t		 x[12];
	struct net_iface	*it;
	size_t			 i;

	if ((text = slurp(vpath("/proc/net/dev"), buf, sizeof(buf),
	    NULL)) == NULL) {
		return;
	}
	for (cur = text; (line = slurp_line(&cur)) != NULL;) {
		if (dev_line(line, &name, x) == -1) {
			continue;
		}
		for (i = 0; i < n && strcmp(v[i].name, name) != 0; i++) {
			continue;
		}
		if (i == n) {
			continue;
		}
		it = &v[i];
		it->has_stats = 1;
		it->stats.rx_bytes = x[0];
		it->stats.rx_packets = x[1];
		it->stats.rx_errs = x[2];
		it->stats.rx_dropped = x[3];
		it->stats.tx_bytes = x[8];
		it->stats.tx_packets = x[9];
		it->stats.tx_errs = x[10];
		it->stats.tx_dropped = x[11];
	}
	slurp_free(text, buf);
}

/*
 * Interfaces straight from rtnetlink into our array: the links (in dump
 * order, as getifaddrs() lists them), then the addresses.  No per-entry
 * heap objects (musl's getifaddrs() allocates one per entry), and 64-bit
 * counters from IFLA_STATS64 instead of a /proc/net/dev pass.
 *
 * One netlink socket lives as long as the agent (opened on first use,
 * closed and reopened after any error), and recvmmsg takes a dump part
 * and the part after it (usually NLMSG_DONE) in one call: a request costs
 * two sends and two receives.
 *
 * The kernel sizes a dump's parts by the largest receive buffer the socket
 * has been given, plus its skb_shared_info.  NL_BUF_FIRST keeps a part in
 * an 8 KiB slab: a 32 KiB part comes from the page allocator, and cost a
 * sixth of the request in a guest (122k instructions against 102k).  A
 * part too big for it (MSG_TRUNC: 64 KiB pages, a link with many VFs)
 * moves the agent to NL_BUF for good.
 */
#define NL_BUF		32768		/* after a MSG_TRUNC */
#define NL_BUF_FIRST	7168
#define NL_PARTS	2		/* parts per recvmmsg */
#define NL_TRIES	3		/* dumps interrupted by a change */
#define NET_NL_TIMEOUT_S 2		/* a dump answer is immediate */
#define NET_KEEP_MAX	64		/* entries kept between requests */
#define NET_ADDR_FIRST	4		/* addresses per link, a power of 2 */

struct nl_walk {
	struct net_iface *v;
	size_t		  n, cap;
	const char	 *exclude;
	int		  nstats;
	int		  intr;		/* NLM_F_DUMP_INTR seen */
	size_t		  cursor;	/* where the last ifindex was found */
};

static int		 nl_fd = -1;
static unsigned		 nl_seq;
/* The last array handed out, kept for the next request (no malloc/free
 * pair, which musl's mallocng turns into an mmap and a munmap). */
static struct net_iface	*keep_v;
static size_t		 keep_cap;

static int
nl_open(void)
{
	struct timeval	tmo = { NET_NL_TIMEOUT_S, 0 };

	if (nl_fd == -1 && (nl_fd = socket(AF_NETLINK, SOCK_RAW |
	    SOCK_CLOEXEC, NETLINK_ROUTE)) != -1) {
		/* The kernel answers at once; never let a dump hang the
		 * loop. */
		(void)setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tmo,
		    sizeof(tmo));
	}
	return nl_fd;
}

static void
nl_close(void)
{
	if (nl_fd != -1) {
		close(nl_fd);
		nl_fd = -1;
	}
}

static int
nl_dump(int fd, int type, unsigned seq)
{
	struct {
		struct nlmsghdr	 h;
		struct ifaddrmsg m;	/* rtgenmsg is its first byte */
	} req;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.m.ifa_family = AF_UNSPEC;
	return send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req) ? 0 : -1;
}

/* A new entry at the end (getifaddrs order); NULL when out of memory. */
static struct net_iface *
nl_new(struct nl_walk *w, const char *name)
{
	struct net_iface	*it;

	if (w->n == w->cap) {
		size_t	nc = w->cap ? w->cap * 2 : 16;

		if ((it = realloc(w->v, nc * sizeof(*it))) == NULL) {
			return NULL;
		}
		w->v = it;
		w->cap = nc;
	}
	it = &w->v[w->n++];
	memset(it, 0, sizeof(*it));
	memcpy(it->name, name, strlen(name) + 1);
	set_hw(it, NULL, 0);	/* aliases have no link entry */
	return it;
}

/* Links come in ifindex order and addresses grouped by link: searching
 * from the last hit is O(1) in practice, even with thousands of links. */
static struct net_iface *
nl_by_index(struct nl_walk *w, int index)
{
	size_t	i, k;

	for (k = 0; k < w->n; k++) {
		i = (w->cursor + k) % w->n;
		if (w->v[i].ifindex == index) {
			w->cursor = i;
			return &w->v[i];
		}
	}
	return NULL;
}

static struct net_iface *
nl_by_name(struct nl_walk *w, const char *name)
{
	size_t	i;

	for (i = w->n; i-- > 0;) {
		if (strcmp(w->v[i].name, name) == 0) {
			return &w->v[i];
		}
	}
	return NULL;
}

static void
nl_stats(struct net_iface *it, const struct rtnl_link_stats64 *st)
{
	it->has_stats = 1;
	it->stats.rx_bytes = st->rx_bytes;
	it->stats.rx_packets = st->rx_packets;
	it->stats.rx_errs = st->rx_errors;
	/* /proc/net/dev's "drop" column adds the missed ones. */
	it->stats.rx_dropped = st->rx_dropped + st->rx_missed_errors;
	it->stats.tx_bytes = st->tx_bytes;
	it->stats.tx_packets = st->tx_packets;
	it->stats.tx_errs = st->tx_errors;
	it->stats.tx_dropped = st->tx_dropped;
}

/* A NUL-terminated string attribute that fits a name, else NULL. */
static const char *
rta_name(struct rtattr *rta)
{
	size_t	n = RTA_PAYLOAD(rta);

	if (n == 0 || n > NET_NAME_MAX + 1 ||
	    memchr(RTA_DATA(rta), '\0', n) == NULL) {
		return NULL;
	}
	return RTA_DATA(rta);
}

static int
nl_link(struct nl_walk *w, struct nlmsghdr *h)
{
	struct ifinfomsg		*ifi = NLMSG_DATA(h);
	struct rtattr			*rta;
	const char			*name = NULL;
	const unsigned char		*mac = NULL;
	struct rtnl_link_stats64	 st;
	struct net_iface		*it;
	size_t				 maclen = 0;
	int				 len, has_st = 0;

	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_IFNAME) {
			name = rta_name(rta);
		} else if (rta->rta_type == IFLA_ADDRESS) {
			mac = RTA_DATA(rta);
			maclen = RTA_PAYLOAD(rta);
		} else if (rta->rta_type == IFLA_STATS64 &&
		    RTA_PAYLOAD(rta) >= sizeof(st)) {
			memcpy(&st, RTA_DATA(rta), sizeof(st));
			has_st = 1;
		}
	}
	if (name == NULL || net_excluded(w->exclude, name)) {
		return 0;
	}
	if ((it = nl_new(w, name)) == NULL) {
		return -1;
	}
	it->ifindex = ifi->ifi_index;
	it->flags = ifi->ifi_flags;
	set_hw(it, mac, maclen);
	if (has_st) {
		nl_stats(it, &st);
		w->nstats++;
	}
	return 0;
}

static int
addr_push(struct net_iface *it, int fam, const void *addr, int prefix)
{
	struct net_addr	*a;

	/* Room for NET_ADDR_FIRST at once, then doubling: one malloc for
	 * most links (mallocng's realloc costs a copy and a free). */
	if (it->naddr == 0 || (it->naddr >= NET_ADDR_FIRST &&
	    (it->naddr & (it->naddr - 1)) == 0)) {
		a = realloc(it->addr, (it->naddr ? it->naddr * 2 :
		    NET_ADDR_FIRST) * sizeof(*a));
		if (a == NULL) {
			return -1;
		}
		it->addr = a;
	}
	a = &it->addr[it->naddr];
	memset(a, 0, sizeof(*a));
	a->family = fam;
	a->prefix = prefix;
	if (fam == AF_INET) {
		ip4_text(addr, a->addr);
	} else {
		ip6_text(addr, a->addr);
	}
	it->naddr++;
	return 0;
}

static int
nl_addr(struct nl_walk *w, struct nlmsghdr *h)
{
	struct ifaddrmsg	*ifa = NLMSG_DATA(h);
	struct rtattr		*rta;
	const void		*addr = NULL, *local = NULL;
	const char		*label = NULL;
	struct net_iface	*it;
	size_t			 need;
	int			 len;

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) {
		return 0;
	}
	need = ifa->ifa_family == AF_INET ? 4 : 16;
	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_ADDRESS && RTA_PAYLOAD(rta) >= need) {
			addr = RTA_DATA(rta);
		} else if (rta->rta_type == IFA_LOCAL &&
		    RTA_PAYLOAD(rta) >= need) {
			local = RTA_DATA(rta);
		} else if (rta->rta_type == IFA_LABEL) {
			label = rta_name(rta);
		}
	}
	if (local != NULL) {		/* as getifaddrs(): IFA_LOCAL wins */
		addr = local;
	}
	if (addr == NULL) {
		return 0;
	}
	it = nl_by_index(w, (int)ifa->ifa_index);
	if (label != NULL && (it == NULL || strcmp(it->name, label) != 0)) {
		/* An alias label ("eth0:1"): an entry of its own. */
		if (net_excluded(w->exclude, label)) {
			return 0;
		}
		if ((it = nl_by_name(w, label)) == NULL &&
		    (it = nl_new(w, label)) == NULL) {
			return -1;
		}
	}
	if (it == NULL) {
		return 0;		/* its link was excluded */
	}
	return addr_push(it, ifa->ifa_family, addr, ifa->ifa_prefixlen);
}

/* One message of our dump: 1 at its end, 0 to go on, -1 on error. */
static int
nl_msg(struct nl_walk *w, struct nlmsghdr *h, int links)
{
	if (h->nlmsg_flags & NLM_F_DUMP_INTR) {
		w->intr = 1;
	}
	if (h->nlmsg_type == NLMSG_DONE) {
		return 1;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		errno = EIO;
		return -1;
	}
	if ((links && h->nlmsg_type == RTM_NEWLINK &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)) &&
	    nl_link(w, h) == -1) ||
	    (!links && h->nlmsg_type == RTM_NEWADDR &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg)) &&
	    nl_addr(w, h) == -1)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Read one dump to its end, handing links or addresses to the parsers. */
static int
nl_read(int fd, unsigned seq, struct nl_walk *w, int links)
{
	static union {
		char		 b[NL_BUF];
		struct nlmsghdr	 align;
	} u[NL_PARTS];	/* static: 64 KiB is a lot of stack for one pass */
	static size_t	 len_max = NL_BUF_FIRST;
	struct mmsghdr	 mm[NL_PARTS];
	struct iovec	 iov[NL_PARTS];
	struct nlmsghdr	*h;
	size_t		 len;
	int		 i, k, r;

	for (;;) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < NL_PARTS; i++) {
			iov[i].iov_base = u[i].b;
			iov[i].iov_len = len_max;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		do {
			k = recvmmsg(fd, mm, NL_PARTS, MSG_WAITFORONE, NULL);
		} while (k == -1 && errno == EINTR);
		if (k <= 0) {
			return -1;
		}
		for (i = 0; i < k; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				len_max = sizeof(u[i].b);	/* next try */
				errno = EMSGSIZE;
				return -1;
			}
			len = mm[i].msg_len;
			for (h = &u[i].align; NLMSG_OK(h, len);
			    h = NLMSG_NEXT(h, len)) {
				if (h->nlmsg_seq != seq) {
					continue;	/* not our request */
				}
				if ((r = nl_msg(w, h, links)) != 0) {
					return r == 1 ? 0 : -1;
				}
			}
		}
	}
}

/* Aliases ("eth0:1") have no link entry: the kernel strips ":1" for
 * SIOCGIFHWADDR, so qemu-ga shows the parent's address. */
static void
alias_hw(struct nl_walk *w)
{
	char			 base[NET_NAME_MAX + 1];
	struct net_iface	*p;
	size_t			 i;

	for (i = 0; i < w->n; i++) {
		if (w->v[i].ifindex != 0 || strchr(w->v[i].name, ':') == NULL) {
			continue;
		}
		memcpy(base, w->v[i].name, sizeof(base));
		base[strcspn(base, ":")] = '\0';
		if ((p = nl_by_name(w, base)) != NULL) {
			memcpy(w->v[i].hw, p->hw, sizeof(p->hw));
		}
	}
}

/* Empty the array for another try, keeping its memory. */
static void
walk_reset(struct nl_walk *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].addr);
	}
	w->n = 0;
	w->nstats = 0;
	w->intr = 0;
	w->cursor = 0;
}

/* Both dumps on the agent's socket; -1 (errno set) closes it. */
static int
nl_dumps(struct nl_walk *w)
{
	unsigned	seq = nl_seq += 2;
	int		fd;

	if ((fd = nl_open()) == -1) {
		return -1;
	}
	if (nl_dump(fd, RTM_GETLINK, seq) == -1 ||
	    nl_read(fd, seq, w, 1) == -1 ||
	    nl_dump(fd, RTM_GETADDR, seq + 1) == -1 ||
	    nl_read(fd, seq + 1, w, 0) == -1) {
		nl_close();	/* a dump may be half read: start afresh */
		return -1;
	}
	return 0;
}

/* Whitespace separated field i of line (0-based), copied into f. */
static int
nth_field(const char *line, int i, char *f, size_t n)
{
	const char	*p = line;
	size_t		 len;

	for (;;) {
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len == 0) {
			return -1;
		}
		if (i-- == 0) {
			break;
		}
		p += len;
	}
	if (len >= n) {
		return -1;
	}
	memcpy(f, p, len);
	f[len] = '\0';
	return 0;
}

/* Best default route in one route file: up, not reject, not on lo. */
static int
default_in(const char *path, int v6, char *buf, size_t len)
{
	/* route: iface dest gw flags ref use metric mask; ipv6_route:
	 * dest plen src plen hop metric ref use flags iface */
	const int	 fi = v6 ? 9 : 0, ff = v6 ? 8 : 3, fm = v6 ? 5 : 6;
	char		 text_buf[8192], *text, *cur, *line, f[64], dev[64];
	unsigned long	 flags, metric, best = ULONG_MAX;
	int		 found = 0;

	if ((text = slurp(vpath(path), text_buf, sizeof(text_buf), NULL)) ==
	    NULL) {
		return -1;
	}
	for (cur = text; (line = slurp_line(&cur)) != NULL;) {
		if (v6 ? strncmp(line, "00000000000000000000000000000000 00 ",
		    36) != 0 : (nth_field(line, 1, f, sizeof(f)) == -1 ||
		    strcmp(f, "00000000") != 0 || nth_field(line, 7, f,
		    sizeof(f)) == -1 || strcmp(f, "00000000") != 0)) {
			continue;
		}
		if (nth_field(line, ff, f, sizeof(f)) == -1) {
			continue;
		}
		flags = strtoul(f, NULL, 16);
		if (nth_field(line, fm, f, sizeof(f)) == -1) {
			continue;
		}
		metric = strtoul(f, NULL, v6 ? 16 : 10);
		if (!(flags & NET_RTF_UP) || (flags & NET_RTF_REJECT) ||
		    nth_field(line, fi, dev, sizeof(dev)) == -1 ||
		    strcmp(dev, "lo") == 0 || (found && metric >= best)) {
			continue;
		}
		found = 1;
		best = metric;
		snprintf(buf, len, "%s", dev);
	}
	slurp_free(text, text_buf);
	return found ? 0 : -1;
}

int
net_default_iface(char *buf, size_t len)
{
	/* IPv4 wins over IPv6, then the lower metric. */
	if (default_in("/proc/net/route", 0, buf, len) == 0) {
		return 0;
	}
	return default_in("/proc/net/ipv6_route", 1, buf, len);
}

/*
 * The default route's interface, kept between listings: /proc/net/route is
 * read again only after the kernel announces a route change on a netlink
 * socket subscribed to the route groups (drained without blocking), so a
 * listing costs one recv instead of a file pass.  A fakeroot (tests) or a
 * socket error reads the files every time.
 */
static int	rt_fd = -1;
static int	rt_have;
static char	rt_def[NET_NAME_MAX + 1];

static int
default_cached(char *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE };
	char junk[4096];
	ssize_t n;
	int stale = 0;

	if (strcmp(vpath("/proc/net/route"), "/proc/net/route") != 0) {
		return net_default_iface(buf, len);
	}
	if (rt_fd == -1) {
		rt_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, NETLINK_ROUTE);
		if (rt_fd != -1 && bind(rt_fd, (struct sockaddr *)&sa,
		    sizeof(sa)) == -1) {
			close(rt_fd);
			rt_fd = -1;
		}
		if (rt_fd == -1) {
			return net_default_iface(buf, len);
		}
		stale = 1;
	}
	while ((n = recv(rt_fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0 ||
	    (n == -1 && errno == ENOBUFS)) {
		stale = 1;		/* a change, or so many we lost some */
	}
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		close(rt_fd);
		rt_fd = -1;
		return net_default_iface(buf, len);
	}
	if (stale) {
		rt_have = net_default_iface(rt_def, sizeof(rt_def)) == 0;
	}
	if (!rt_have) {
		return -1;
	}
	snprintf(buf, len, "%s", rt_def);
	return 0;
}

/* The default route's interface goes first; the rest keep their order. */
static void
default_first(struct net_iface *v, size_t n)
{
	char			 def[NET_NAME_MAX + 1];
	struct net_iface	 tmp;
	size_t			 i;

	if (default_cached(def, sizeof(def)) == -1) {
		return;
	}
	for (i = 0; i < n && strcmp(v[i].name, def) != 0; i++) {
		continue;
	}
	if (i == n) {
		return;
	}
	tmp = v[i];
	tmp.is_default = 1;
	memmove(&v[1], &v[0], i * sizeof(*v));
	v[0] = tmp;
}

static struct net_iface	*out_v;		/* the array handed out last */
static size_t		 out_cap;

int
net_ifaces(struct net_iface **vp, size_t *np, const char *exclude,
    struct verr *e)
{
	struct nl_walk	w;
	int		try, r, saved;

	*vp = NULL;
	*np = 0;
	memset(&w, 0, sizeof(w));
	w.exclude = exclude;
	w.v = keep_v;
	w.cap = keep_cap;
	keep_v = NULL;
	for (try = 1;; try++) {
		r = nl_dumps(&w);
		if (r == 0 && (!w.intr || try == NL_TRIES)) {
			break;
		}
		/* An error on a socket kept from an earlier request gets
		 * one more try on a fresh one; a timeout does not. */
		if (r == -1 && (try > 1 || errno == ENOMEM ||
		    errno == EAGAIN || errno == EWOULDBLOCK)) {
			saved = errno;
			net_ifaces_free(w.v, w.n);
			return verr_set(e, saved, "getifaddrs failed: %s",
			    strerror(saved));
		}
		walk_reset(&w);
	}
	alias_hw(&w);
	if (w.nstats == 0) {
		add_stats(w.v, w.n);	/* no IFLA_STATS64: old kernel */
	}
	default_first(w.v, w.n);
	out_v = w.v;
	out_cap = w.cap;
	*vp = w.v;
	*np = w.n;
	return 0;
}

void
net_ifaces_free(struct net_iface *v, size_t n)
{
	size_t	i;

	if (v == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		free(v[i].addr);
	}
	if (v == out_v) {
		out_v = NULL;
		if (keep_v == NULL && out_cap <= NET_KEEP_MAX) {
			keep_v = v;
			keep_cap = out_cap;
			return;
		}
	}
	free(v);
}

/* /proc/net/route prints each __be32 as a native %08X: memory order. */
static void
v4_text(uint32_t x, char *buf, size_t n)
{
	unsigned char	b[4];

	(void)n;		/* NET_ADDR_MAX >= 16 */
	memcpy(b, &x, sizeof(b));
	ip4_text(b, buf);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* 32 hex digits → text; -1 if malformed (newest qemu-ga skips the row).
 * By hand: sscanf per byte made this the slowest part of the command. */
static int
v6_text(const char *hex, char *buf, size_t n)
{
	struct in6_addr	a;
	int		i, hi, lo;

	if (strlen(hex) != 32) {
		return -1;
	}
	for (i = 0; i < 16; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 ||
		    (lo = hexval(hex[2 * i + 1])) < 0) {
			return -1;
		}
		a.s6_addr[i] = (unsigned char)(hi << 4 | lo);
	}
	(void)n;		/* NET_ADDR_MAX >= INET6_ADDRSTRLEN */
	ip6_text(a.s6_addr, buf);
	return 0;
}

static int
route4(const char *line, struct net_route *r)
{
	unsigned	dst, gw, flags, mask;
	int		refcnt, use, metric, mtu, win, irtt;

	memset(r, 0, sizeof(*r));
	if (vscan(line, "%16s %X %X %X %d %d %d %X %d %d %d", r->iface, &dst,
	    &gw, &flags, &refcnt, &use, &metric, &mask, &mtu, &win,
	    &irtt) != 11) {
		return -1;
	}
	r->version = 4;
	v4_text(dst, r->destination, sizeof(r->destination));
	v4_text(gw, r->gateway, sizeof(r->gateway));
	v4_text(mask, r->mask, sizeof(r->mask));
	r->flags = flags;
	r->refcnt = refcnt;
	r->use = use;
	r->metric = metric;
	r->mtu = mtu;
	r->window = win;
	r->irtt = irtt;
	return 0;
}

static int
route6(const char *line, struct net_route *r)
{
	char		dst[40], src[40], hop[40];
	unsigned	dlen, slen, metric, refcnt, use, flags;

	memset(r, 0, sizeof(*r));
	if (vscan(line, "%32s %x %32s %x %32s %x %x %x %x %16s", dst, &dlen,
	    src, &slen, hop, &metric, &refcnt, &use, &flags, r->iface) != 10 ||
	    v6_text(dst, r->destination, sizeof(r->destination)) == -1) {
		return -1;
	}
	r->version = 6;
	(void)v6_text(src, r->source, sizeof(r->source));
	(void)v6_text(hop, r->nexthop, sizeof(r->nexthop));
	r->dst_plen = (int)dlen;
	r->src_plen = (int)slen;
	/* qemu-ga reads these into an int: 0xffffffff is -1. */
	r->metric = (int32_t)metric;
	r->refcnt = (int32_t)refcnt;
	r->use = (int32_t)use;
	r->flags = flags;
	return 0;
}

static int
route_file(const char *path, int v6, struct net_route **v, size_t *n,
    size_t *cap)
{
	char			 buf[8192], *text, *cur, *line;
	struct net_route	*p;

	if ((text = slurp(vpath(path), buf, sizeof(buf), NULL)) == NULL) {
		return -1;
	}
	cur = text;
	if (!v6) {
		(void)slurp_line(&cur);	/* /proc/net/route has a header */
	}
	while ((line = slurp_line(&cur)) != NULL) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			if ((p = realloc(*v, *cap * sizeof(*p))) == NULL) {
				slurp_free(text, buf);
				errno = ENOMEM;
				return -2;
			}
			*v = p;
		}
		if ((v6 ? route6 : route4)(line, &(*v)[*n]) == 0) {
			(*n)++;
		}
	}
	slurp_free(text, buf);
	return 0;
}

int
net_routes(struct net_route **v, size_t *n, struct verr *e)
{
	size_t	cap = 0;
	int	r4, r6;

	*v = NULL;
	*n = 0;
	r4 = route_file("/proc/net/route", 0, v, n, &cap);
	r6 = r4 == -2 ? -2 : route_file("/proc/net/ipv6_route", 1, v, n, &cap);
	/* A kernel without IPv6 has no ipv6_route: not an error. */
	if (r4 == -2 || r6 == -2 || (r4 == -1 && r6 == -1)) {
		free(*v);
		*v = NULL;
		*n = 0;
		return verr_set(e, errno, "open(\"/proc/net/route\"): %s",
		    strerror(errno));
	}
	return 0;
}
