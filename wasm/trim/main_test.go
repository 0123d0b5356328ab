package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The go-app the project requires is the one trim was written from; a copy
// with any pinned file changed, or another version, stops it with the file
// or the version named.
func TestPinnedFiles(t *testing.T) {
	src, version, err := moduleDir(goApp)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPinned(src, version); err != nil {
		t.Fatalf("the go-app the project requires: %v", err)
	}
	if err := checkPinned(src, "v10.1.12"); err == nil || !strings.Contains(err.Error(), "v10.1.12") {
		t.Errorf("another version: %v, want an error naming it", err)
	}
	for name := range pinned {
		t.Run(name, func(t *testing.T) {
			changed := t.TempDir()
			for other := range pinned {
				b, err := os.ReadFile(filepath.Join(src, other))
				if err != nil {
					t.Fatal(err)
				}
				if other == name {
					b = append(b, '\n') // one byte more, still the same Go
				}
				if err := os.MkdirAll(filepath.Dir(filepath.Join(changed, other)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(changed, other), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := checkPinned(changed, goAppVersion)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s changed: %v, want an error naming it", name, err)
			}
		})
	}
}
