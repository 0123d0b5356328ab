package lti

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"reqlab/app/stage"
	"reqlab/server/seal"
	"reqlab/server/session"
	"reqlab/server/store"
)

// Store is what the tool keeps: its own key, the nonces used and the
// launches.
type Store interface {
	Key(ctx context.Context, name string, size int) ([]byte, error)
	KeepKey(ctx context.Context, name string, value []byte) ([]byte, error)
	Runs(ctx context.Context, session string, limit int) ([]stage.RunSummary, error)
	store.Launches
}

// Tool is the lab as an LTI 1.3 tool: its HTTP handlers (the login, the
// launch, deep linking, the class view, its key set), which lean on its
// parts: verify checks what platforms send and what the tool handed out
// signed, signer signs what the tool sends, pages writes the tool's own
// pages, and Grades sends the grades.
type Tool struct {
	platforms []Platform
	store     Store
	sessions  *session.Issuer
	log       *slog.Logger

	verify *verifier
	signer *signer
	pages  *pages

	// Grades sends the scores of launched students' lessons to their
	// platforms.
	Grades *Grader

	// Now tells the time; tests replace it.
	Now func() time.Time
}

// The names under which the tool's keys are kept in the store. Rotating the
// signing key: delete the row named signingKeyName from the table keys and
// restart every server (the platforms fetch /lti/jwks again on an unknown
// kid); a launch in flight at that moment is refused and simply done again.
const (
	signingKeyName = "lti-rsa-2048"
	stateKeyName   = "lti-state"
	sessionKeyName = "lti-session"
)

// New returns the tool for platforms, its RSA key made on first start and
// kept in st (every server sharing st uses the same).
func New(ctx context.Context, st Store, sessions *session.Issuer, platforms []Platform, log *slog.Logger, client *http.Client) (*Tool, error) {
	fresh, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(fresh)
	if err != nil {
		return nil, err
	}
	kept, err := st.KeepKey(ctx, signingKeyName, der)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(kept)
	if err != nil {
		return nil, fmt.Errorf("the kept LTI key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("the kept LTI key is not an RSA key")
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	stateKey, err := st.Key(ctx, stateKeyName, 32)
	if err != nil {
		return nil, err
	}
	sessionKey, err := st.Key(ctx, sessionKeyName, 32)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	t := &Tool{platforms: platforms, store: st, sessions: sessions, log: log, Now: time.Now,
		signer: &signer{key: key, kid: base64.RawURLEncoding.EncodeToString(thumb)}}
	t.pages = &pages{origins: Origins(platforms), log: log}
	t.verify = &verifier{platforms: platforms, keySets: newKeySets(client), seals: seal.New(stateKey), sessionKey: sessionKey, now: t.now, log: log}
	t.Grades = &Grader{store: st, verify: t.verify, signer: t.signer, client: client, log: log, now: t.now,
		tokens: &tokens{have: map[string]cachedToken{}}, woken: make(chan struct{}, 1), RetryBase: 10 * time.Second}
	return t, nil
}

// now tells the time by Now, as it is when asked (tests replace Now after
// New).
func (t *Tool) now() time.Time { return t.Now() }

// Origins returns the origins the platforms frame the lab from.
func (t *Tool) Origins() []string { return Origins(t.platforms) }

// Origins returns the origins platforms frame the lab from: their issuers'
// and their login pages'.
func Origins(platforms []Platform) []string {
	var out []string
	for _, p := range platforms {
		for _, u := range []string{p.Issuer, p.AuthURL} {
			if o := (Platform{Issuer: u}).Origin(); o != "" && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// JWKS publishes the tool's public key, by which platforms check what it
// signs (deep linking responses, grade service assertions).
func (t *Tool) JWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	json.NewEncoder(w).Encode(t.signer.publicSet())
}

// pages writes the tool's own pages (a refusal, the way into a lesson, a
// form posted back to a platform, the storage pages), which only the lab
// and the platforms may frame.
type pages struct {
	origins []string // the platforms' (Origins)
	log     *slog.Logger
}

// signer signs what the tool sends platforms with its RSA key.
type signer struct {
	key *rsa.PrivateKey
	kid string // the key's JWK thumbprint
}

// publicSet is the key set that publishes the signer's public key.
func (s *signer) publicSet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
}

// sign signs claims with the tool's key, under its kid.
func (s *signer) sign(std jwt.Claims, extra map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	b := jwt.Signed(signer).Claims(std)
	if extra != nil {
		b = b.Claims(extra)
	}
	return b.Serialize()
}

// The state of a login, kept in a cookie of the browser that started it
// until the platform sends it back with the launch: bound to that browser.

const stateTTL = 10 * time.Minute

type pending struct {
	Issuer   string `json:"iss"`
	ClientID string `json:"client_id"`
	Nonce    string `json:"nonce"`
	Expires  int64  `json:"exp"`
}

func stateCookie(state string) string { return "lti_state_" + state }

func (p *pending) expires() int64 { return p.Expires }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
