package stage

import (
	"slices"
	"testing"
)

func TestTableDeclaresEveryStageOnce(t *testing.T) {
	har := map[string]bool{"": true, "blocked": true, "dns": true, "connect": true, "ssl": true, "send": true, "wait": true, "receive": true}
	places := map[Place]bool{}
	for _, p := range Places {
		places[p] = true
	}
	seen := map[ID]bool{}
	for _, s := range Table {
		t.Run(string(s.ID), func(t *testing.T) {
			if seen[s.ID] {
				t.Fatalf("%s is declared twice", s.ID)
			}
			seen[s.ID] = true
			if s.Side != Client && s.Side != Server {
				t.Errorf("side %q", s.Side)
			}
			if !places[s.Place] {
				t.Errorf("place %q is not one the picture draws", s.Place)
			}
			if s.Leg != Out && s.Leg != Back {
				t.Errorf("leg %q", s.Leg)
			}
			if !har[s.HAR] {
				t.Errorf("HAR phase %q is not one of HAR 1.2's timings", s.HAR)
			}
			if s.Name.ES == "" || s.Name.EN == "" || s.About.ES == "" || s.About.EN == "" {
				t.Errorf("name or about missing in a language: %+v", s)
			}
			if got, ok := SideOf(s.ID); !ok || got != s.Side {
				t.Errorf("SideOf = %q, %v", got, ok)
			}
		})
	}
	// The stages are public (docs/CONTRACT.md, "Stages"): the table declares
	// those, each side in path order, and no other; an empty or shortened
	// table fails here rather than passing the loop above by skipping it.
	wantClient := []ID{"cache", "dns", "connect", "tls", "send", "wait", "download", "parse", "render", "assets"}
	wantServer := []ID{"receive", "route", "db", "respond"}
	if !slices.Equal(ClientStages, wantClient) {
		t.Errorf("client stages %v, want %v", ClientStages, wantClient)
	}
	if !slices.Equal(ServerStages, wantServer) {
		t.Errorf("server stages %v, want %v", ServerStages, wantServer)
	}
	if got, want := len(seen), len(wantClient)+len(wantServer); got != want || len(Table) != want {
		t.Errorf("the table declares %d stages (%d distinct), want %d", len(Table), got, want)
	}
}
