/*
 * net.h: network interfaces, addresses, statistics and routes.  Feeds
 * qemu-ga guest-network-get-interfaces / -get-route and oVirt
 * network-interfaces.  getifaddrs() (netlink) plus /proc/net/dev and
 * /proc/net/{route,ipv6_route}; no helper programs.
 */
#ifndef VERBS_NET_H
#define VERBS_NET_H

#include "verbs.h"

#define NET_NAME_MAX	16		/* IFNAMSIZ, <net/if.h> */
#define NET_ADDR_MAX	46		/* INET6_ADDRSTRLEN, <netinet/in.h> */

struct net_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	char		 addr[NET_ADDR_MAX];	/* text form, no prefix */
	int		 prefix;	/* bits set in the netmask */
};

struct net_stats {
	uint64_t	 rx_bytes, rx_packets, rx_errs, rx_dropped;
	uint64_t	 tx_bytes, tx_packets, tx_errs, tx_dropped;
};

struct net_iface {
	char		 name[NET_NAME_MAX + 1];	/* "eth0:1" aliases too */
	unsigned	 flags;		/* IFF_UP, IFF_LOOPBACK, ... */
	int		 has_hw;
	char		 hw[18];	/* "aa:bb:cc:dd:ee:ff", lower case */
	size_t		 naddr;
	struct net_addr	*addr;		/* getifaddrs order */
	int		 has_stats;	/* from /proc/net/dev */
	struct net_stats stats;
	int		 is_default;	/* carries a default route */
	int		 ifindex;	/* 0 for aliases */
};

/*
 * Interfaces in getifaddrs order, except that the interface of the default
 * route (IPv4, else IPv6) comes first.  exclude: comma separated glob list
 * ("veth*,docker*", "@containers"), NULL or "" for none.  Free with net_ifaces_free().
 */
int	net_ifaces(struct net_iface **v, size_t *n, const char *exclude,
	    struct verr *);
void	net_ifaces_free(struct net_iface *, size_t);
/* Does name match the glob list?  "@containers" stands for
 * veth*,docker*,cni*,flannel*,cali*,virbr*,br-* */
int	net_excluded(const char *list, const char *name);

/* One route: version 4 from /proc/net/route, 6 from /proc/net/ipv6_route. */
struct net_route {
	int		 version;	/* 4 or 6 */
	char		 iface[NET_NAME_MAX + 1];
	char		 destination[NET_ADDR_MAX];
	int64_t		 metric;
	uint64_t	 flags;
	int64_t		 refcnt, use;
	/* IPv4 only */
	char		 gateway[NET_ADDR_MAX];
	char		 mask[NET_ADDR_MAX];
	int64_t		 mtu, window, irtt;
	/* IPv6 only */
	int		 dst_plen, src_plen;
	char		 source[NET_ADDR_MAX];
	char		 nexthop[NET_ADDR_MAX];
};

/* free() *v. */
int	net_routes(struct net_route **v, size_t *n, struct verr *);
/* Interface of the default route (IPv4 first, then IPv6); -1 if none. */
int	net_default_iface(char *, size_t);

#endif
