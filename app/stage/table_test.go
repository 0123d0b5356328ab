package stage

import "testing"

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
	if got, want := len(ClientStages)+len(ServerStages), len(Table); got != want {
		t.Errorf("the sides list %d stages, the table %d", got, want)
	}
}
