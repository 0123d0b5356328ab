// Package ticket makes and checks page-load tickets.
//
// A page's navigation carries no header of the lab's, so what names its run
// goes in its URL, which the browser shows, keeps in its history and sends
// again in every asset's Referer. What goes there is not the run's secret
// but a page-load ticket: minted by the lab's server for the run's opener
// (wire.Started), good for one document within TTL, and spent once that
// document is served (the sample site keeps which). The page's assets are
// then known by the site's record of that load, which the spent ticket in
// their Referer names and no longer authorises anything.
package ticket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
)

// TTL is how long a page-load ticket may wait to be used: the frame is
// pointed at the page as soon as the run is open.
const TTL = 30 * time.Second

// Mint makes the page-load ticket of the run id, whose secret's digest is
// digest (store.SecretDigest): the run's id, when it expires, and a MAC
// under the digest, which every server sharing the store can check and no
// one without it can make. now is when it is minted.
func Mint(id, digest string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(TTL).Unix(), 10)
	return id + "." + exp + "." + mac(id, exp, digest)
}

func mac(id, exp, digest string) string {
	h := hmac.New(sha256.New, []byte(digest))
	h.Write([]byte("reqlab page-load ticket\x00" + id + "\x00" + exp))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Run returns the run a ticket names, unchecked; false where it is no
// ticket's shape.
func Run(ticket string) (string, bool) {
	id, rest, ok := strings.Cut(ticket, ".")
	if !ok || !stage.ValidRunID(id) || len(rest) > 64 {
		return "", false
	}
	return id, true
}

// Valid reports whether ticket was minted for its run under digest,
// and, where expiring, that it has not expired at now.
func Valid(ticket, digest string, now time.Time, expiring bool) bool {
	parts := strings.Split(ticket, ".")
	if len(parts) != 3 || digest == "" {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || expiring && now.Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(parts[2]), []byte(mac(parts[0], parts[1], digest)))
}

// Spent is what a run keeps of the ticket its page's URL carried: the
// run's id alone.
func Spent(ticket string) string {
	id, _ := Run(ticket)
	return id + ".spent"
}
