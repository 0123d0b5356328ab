package main

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"reqlab/server/site"
)

// The lab's routing table lists the sample site's URLs as the site routes
// them: none missing, none it does not answer.
func TestRoutesListTheSite(t *testing.T) {
	got := site.New(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Patterns()
	if !slices.Equal(siteRoutes, got) {
		t.Errorf("routes.go lists the site's URLs as\n%q\nand the site routes\n%q", siteRoutes, got)
	}
}
