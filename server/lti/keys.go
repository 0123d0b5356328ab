package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

// keySets caches each platform's JSON Web Key Set, fetched again when a
// token names a key it lacks (the platform rotated), at most every 10 s.
//
// The lock guards the map alone and is never held through a fetch: a
// platform slow to answer (the client waits up to 10 s) holds up only the
// launches that need its new keys, never one whose key is cached. Launches
// that need the same set at once share one fetch (singleflight).
type keySets struct {
	client  *http.Client
	mu      sync.Mutex
	sets    map[string]*keySet // a keySet is never changed once stored, only replaced
	fetches singleflight.Group
}

type keySet struct {
	keys    jose.JSONWebKeySet
	fetched time.Time
}

const (
	keySetTTL      = time.Hour        // a set is fetched again after this
	keySetMinFetch = 10 * time.Second // an unknown kid fetches the set again, at most this often
)

func newKeySets(client *http.Client) *keySets {
	return &keySets{client: client, sets: map[string]*keySet{}}
}

// cached returns the set kept for jwksURL, if any.
func (k *keySets) cached(jwksURL string) *keySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sets[jwksURL]
}

// key returns the platform's key of that kid.
func (k *keySets) key(ctx context.Context, jwksURL, kid string, now time.Time) (*jose.JSONWebKey, error) {
	s := k.cached(jwksURL)
	if s != nil && now.Sub(s.fetched) < keySetTTL {
		if found := s.keys.Key(kid); len(found) > 0 {
			return &found[0], nil
		}
		if now.Sub(s.fetched) < keySetMinFetch {
			return nil, errUnknownKey
		}
	}
	v, err, _ := k.fetches.Do(jwksURL, func() (any, error) {
		// Shared by every launch waiting for it: no one caller's leaving
		// cancels it (the client's timeout bounds it).
		fresh, err := k.fetch(context.WithoutCancel(ctx), jwksURL)
		if err != nil {
			return nil, err
		}
		set := &keySet{keys: fresh, fetched: now}
		k.mu.Lock()
		k.sets[jwksURL] = set
		k.mu.Unlock()
		return set, nil
	})
	if err != nil {
		if s != nil { // keep using what was fetched before
			if found := s.keys.Key(kid); len(found) > 0 {
				return &found[0], nil
			}
		}
		return nil, err
	}
	if found := v.(*keySet).keys.Key(kid); len(found) > 0 {
		return &found[0], nil
	}
	return nil, errUnknownKey
}

var errUnknownKey = errors.New("the platform's key set has no key of that kid")

func (k *keySets) fetch(ctx context.Context, jwksURL string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return set, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := k.client.Do(req)
	if err != nil {
		return set, fmt.Errorf("fetch the platform's keys: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return set, fmt.Errorf("fetch the platform's keys: %s", res.Status)
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 1<<20)).Decode(&set); err != nil {
		return set, fmt.Errorf("the platform's keys: %w", err)
	}
	return set, nil
}
