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
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/server/seal"
)

// TTL is how long a page-load ticket may wait to be used: the frame is
// pointed at the page as soon as the run is open.
const TTL = 30 * time.Second

// purpose is what a ticket is sealed for (see package seal).
const purpose = "page-load ticket:"

// Mint makes the page-load ticket of the run id, whose secret's digest is
// digest (store.SecretDigest): the run's id and when the ticket expires,
// sealed in the lab's one format (package seal) under the digest, which
// every server sharing the store can check and no one without it can make.
// now is when it is minted.
func Mint(id, digest string, now time.Time) string {
	return seal.New([]byte(digest)).Seal(purpose, id+"."+strconv.FormatInt(now.Add(TTL).Unix(), 10))
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

// Valid reports whether ticket was minted for its run under digest, and,
// where expiring, that it has not expired at now.
func Valid(ticket, digest string, now time.Time, expiring bool) bool {
	if digest == "" {
		return false
	}
	body, ok := seal.New([]byte(digest)).Open(purpose, ticket)
	if !ok {
		return false
	}
	_, exp, ok := strings.Cut(body, ".")
	until, err := strconv.ParseInt(exp, 10, 64)
	return ok && err == nil && (!expiring || now.Unix() <= until)
}

// Spent is what a run keeps of the ticket its page's URL carried: the
// run's id alone.
func Spent(ticket string) string {
	id, _ := Run(ticket)
	return id + ".spent"
}
