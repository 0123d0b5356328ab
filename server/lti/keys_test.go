package lti

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// A platform slow to publish its new keys holds up no launch whose key is
// cached: the cache's lock is never held through a fetch.
func TestASlowKeyFetchBlocksNoCachedKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fetches.Add(1) > 1 {
			<-release // the second fetch (the rotation) hangs until the test lets it go
		}
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "old", Algorithm: "RS256", Use: "sig"}}})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the hanging handler

	k := newKeySets(srv.Client())
	start := time.Now()
	if _, err := k.key(context.Background(), srv.URL, "old", start); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	// A launch naming a kid the set lacks, past the 10 s floor, fetches the
	// set again; the platform does not answer.
	later := start.Add(keySetMinFetch + time.Second)
	slow := make(chan error, 1)
	go func() {
		_, err := k.key(context.Background(), srv.URL, "new", later)
		slow <- err
	}()
	for fetches.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// Meanwhile every launch whose key is cached is answered at once.
	for i := range 100 {
		done := make(chan error, 1)
		go func() {
			_, err := k.key(context.Background(), srv.URL, "old", later)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("cached key %d: %v", i, err)
			}
		case <-time.After(time.Second):
			t.Fatalf("cached key %d: still waiting after 1 s, behind the slow fetch", i)
		}
	}
	select {
	case err := <-slow:
		t.Fatalf("the slow fetch ended before the platform answered: %v", err)
	default:
	}
}

// Launches that need a platform's set at once share one fetch.
func TestKeyFetchesAreShared(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		<-release
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k", Algorithm: "RS256", Use: "sig"}}})
	}))
	t.Cleanup(srv.Close)
	k := newKeySets(srv.Client())
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			_, err := k.key(context.Background(), srv.URL, "k", time.Now())
			errs <- err
		}()
	}
	for fetches.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the others join the fetch under way
	close(release)
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := fetches.Load(); got > 2 {
		t.Errorf("20 launches at once fetched the set %d times, want 1 (2 at most, one arriving after the first ended)", got)
	}
}
