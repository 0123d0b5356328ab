package main

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a balancer every request comes from the balancer's address, and the
// lab's per-address limits would hold a whole school to one student's share.
// The balancers the lab is told to trust (-trusted-proxies) name the client
// in X-Forwarded-For: the lab takes the nearest address there that is not
// one of them, and no address from anyone else.

// parsePrefixes reads a list of addresses and CIDR ranges, separated by
// commas or spaces ("127.0.0.1, 10.0.0.0/8").
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or a CIDR range", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// behindProxies sets a request's RemoteAddr to its client's address where it
// came through trusted proxies.
func behindProxies(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := forwardedClient(r, isTrusted); ok {
			r2 := *r
			r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedClient returns the client a trusted proxy names: from the right
// of X-Forwarded-For, the first address that is not a trusted proxy's.
func forwardedClient(r *http.Request, isTrusted func(netip.Addr) bool) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(peer.Addr()) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false // a hop it cannot read: trust none past it
		}
		if !isTrusted(a) {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
