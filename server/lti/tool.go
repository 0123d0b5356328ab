package lti

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
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

// Tool is the lab as an LTI 1.3 tool.
type Tool struct {
	platforms []Platform
	store     Store
	sessions  *session.Issuer
	log       *slog.Logger

	key      *rsa.PrivateKey
	kid      string
	stateKey seal.Key // seals the values the tool hands out (sealAs)
	// sessionKey keys the lab sessions of platforms' users (SessionOf):
	// made once and kept in the store, so that every server and every
	// launch of a user finds the same session, and no one who knows the
	// launch's data can work it out.
	sessionKey []byte

	keySets *keySets
	tokens  *tokens       // the platforms' access tokens for grades
	woken   chan struct{} // a score was queued

	// Now tells the time; tests replace it.
	Now func() time.Time
	// RetryBase is the first pause after a score the platform did not
	// take; each try doubles it, up to an hour.
	RetryBase time.Duration
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
	return &Tool{platforms: platforms, store: st, sessions: sessions, log: log,
		key: key, kid: base64.RawURLEncoding.EncodeToString(thumb), stateKey: seal.New(stateKey), sessionKey: sessionKey,
		keySets: newKeySets(client), tokens: &tokens{have: map[string]cachedToken{}},
		woken: make(chan struct{}, 1), Now: time.Now, RetryBase: 10 * time.Second}, nil
}

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
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &t.key.PublicKey, KeyID: t.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	json.NewEncoder(w).Encode(set)
}

// platform finds a registration by issuer and, where given, client id; an
// issuer registered with several clients must name one.
func (t *Tool) platform(issuer, clientID string) (Platform, bool) {
	var found []Platform
	for _, p := range t.platforms {
		if p.Issuer == issuer && (clientID == "" || p.ClientID == clientID) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return Platform{}, false
	}
	return found[0], true
}

// SessionOf is the lab session of a platform's user under key: the same on
// every launch and device, and no one else's. It is an HMAC of the issuer and
// the subject under the lab's kept key, never a hash of them alone: a
// classmate knows both, and must not be able to work out the session (and
// act in it, and send a grade for it).
func SessionOf(key []byte, issuer, subject string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("reqlab lti session\x00" + issuer + "\x00" + subject))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// sessionOf is the lab session of a platform's user (SessionOf under the
// tool's kept key).
func (t *Tool) sessionOf(issuer, subject string) string {
	return SessionOf(t.sessionKey, issuer, subject)
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

// The tool hands out three kinds of signed values — a login's state, a
// teacher's pick of lessons, a teacher's pass to a class — each a JSON value
// signed with the tool's state key under its purpose, so that one kind is
// never taken for another, and each with when it expires.

// expiring is a value sealAs signs.
type expiring interface{ expires() int64 }

// sealAs signs v for purpose (server/seal: its JSON in base64url, sealed
// under the tool's state key).
func (t *Tool) sealAs(purpose string, v expiring) string {
	b, _ := json.Marshal(v)
	return t.stateKey.Seal(purpose+":", base64.RawURLEncoding.EncodeToString(b))
}

// openAs checks a value sealAs signed for purpose and that it has not
// expired, and decodes it into v.
func (t *Tool) openAs(purpose, sealed string, v expiring) bool {
	body, ok := t.stateKey.Open(purpose+":", sealed)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	return err == nil && json.Unmarshal(b, v) == nil && t.Now().Unix() <= v.expires()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
