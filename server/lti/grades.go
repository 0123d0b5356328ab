package lti

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"reqlab/server/store"
)

// Grades go back by 1EdTech's Assignment and Grade Services: when a launched
// student completes a lesson, a score is kept for each line item their
// launches of it named, and a sender posts it to the platform, asking the
// platform for a token first (client_credentials, with an assertion the lab
// signs), and trying again with growing pauses until the platform takes it.

const scoreScope = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

// agsEndpoint is a launch's Assignment and Grade Services claim.
type agsEndpoint struct {
	Scope    []string `json:"scope"`
	LineItem string   `json:"lineitem"`
}

// Grader sends grades: it queues a score in the store when a launched
// student completes a lesson, and sends the scores due to their platforms.
type Grader struct {
	store  Store
	verify *verifier // finds the platform a score goes to
	signer *signer   // signs the assertion that asks for a token
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	tokens *tokens       // the platforms' access tokens for grades
	woken  chan struct{} // a score was queued

	// RetryBase is the first pause after a score the platform did not
	// take; each try doubles it, up to an hour.
	RetryBase time.Duration
}

// LessonDone notes that the student of a lab session completed a lesson (its
// question answered right and its experiment run): a full score for each
// line item their launches of it carry. It returns how many were queued.
func (g *Grader) LessonDone(ctx context.Context, session, lesson string) (int, error) {
	items, err := g.store.LineItems(ctx, session, lesson)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range items {
		queued, err := g.store.QueueScore(ctx, store.Score{Issuer: l.Issuer, ClientID: l.ClientID, LineItem: l.LineItem,
			UserID: l.Subject, Lesson: lesson, Given: 1, Max: 1, At: g.now()})
		if err != nil {
			return n, err
		}
		if queued {
			n++
		}
	}
	if n > 0 {
		g.wake()
	}
	return n, nil
}

// wake tells the sender there is a score to send.
func (g *Grader) wake() {
	select {
	case g.woken <- struct{}{}:
	default:
	}
}

// retryPause is the pause after a failed try: growing with the tries, from
// RetryBase to an hour.
func (g *Grader) retryPause(attempts int) time.Duration {
	d := g.RetryBase
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// claimLease is how long a score claimed for sending is left to its sender:
// past it (the sender stopped before noting the platform's answer), the
// score is due again, for any server.
const claimLease = 2 * time.Minute

// SendScores sends the scores due, until ctx ends: at once when one is
// queued, and every RetryBase for those waiting their next try. Scores are
// kept in the store, so a restart resumes them.
func (g *Grader) SendScores(ctx context.Context) {
	tick := time.NewTicker(min(g.RetryBase, 10*time.Second))
	defer tick.Stop()
	for {
		// Claimed, not just read: servers sharing the store each send
		// only the scores they claimed, so a grade is sent once.
		due, err := g.store.ClaimScores(ctx, g.now(), claimLease, 50)
		if err != nil && ctx.Err() == nil {
			g.log.Error("LTI grades: read the scores due", "err", err)
		}
		for _, s := range due {
			if err := g.sendScore(ctx, s); err != nil {
				next := g.now().Add(g.retryPause(s.Attempts))
				g.log.Warn("LTI grades: the platform did not take a score; trying again later", "issuer", s.Issuer, "tries", s.Attempts+1, "next", next, "err", err)
				if err := g.store.ScoreRetry(ctx, s.ID, next); err != nil && ctx.Err() == nil {
					g.log.Error("LTI grades: note the try", "err", err)
				}
				continue
			}
			if err := g.store.ScoreTaken(ctx, s.ID, g.now()); err != nil && ctx.Err() == nil {
				g.log.Error("LTI grades: note the score taken", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-g.woken:
		case <-tick.C:
		}
	}
}

// sendScore posts one score to its line item.
func (g *Grader) sendScore(ctx context.Context, s store.Score) error {
	p, ok := g.verify.platform(s.Issuer, s.ClientID)
	if !ok {
		return fmt.Errorf("the platform %s is no longer registered", s.Issuer)
	}
	token, err := g.tokens.get(ctx, g, p)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{
		"userId": s.UserID, "scoreGiven": s.Given, "scoreMaximum": s.Max,
		"activityProgress": "Completed", "gradingProgress": "FullyGraded",
		"timestamp": s.At.UTC().Format(time.RFC3339Nano),
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, scoresURL(s.LineItem), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/vnd.ims.lis.v1.score+json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := g.client.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode == http.StatusUnauthorized {
		g.tokens.forget(p) // expired early, or revoked: ask again next time
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the platform answered %s", res.Status)
	}
	return nil
}

// scoresURL is a line item's scores service: its URL with /scores added to
// the path, before any query.
func scoresURL(lineItem string) string {
	u, err := url.Parse(lineItem)
	if err != nil {
		return lineItem + "/scores"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/scores"
	return u.String()
}

// tokens caches each platform's access token until shortly before it
// expires.
type tokens struct {
	mu   sync.Mutex
	have map[string]cachedToken
}

type cachedToken struct {
	value   string
	expires time.Time
}

func (c *tokens) forget(p Platform) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.have, p.Issuer+"\x00"+p.ClientID)
}

// get returns a token for the score scope, asking the platform's token
// endpoint with a signed assertion where none is cached.
func (c *tokens) get(ctx context.Context, g *Grader, p Platform) (string, error) {
	key := p.Issuer + "\x00" + p.ClientID
	c.mu.Lock()
	if tok, ok := c.have[key]; ok && g.now().Before(tok.expires) {
		c.mu.Unlock()
		return tok.value, nil
	}
	c.mu.Unlock()
	now := g.now()
	assertion, err := g.signer.sign(jwt.Claims{Issuer: p.ClientID, Subject: p.ClientID, Audience: jwt.Audience{p.TokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: randomHex(16)}, nil)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {scoreScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := g.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask for a token: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ask for a token: %s", res.Status)
	}
	var got struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 64<<10)).Decode(&got); err != nil || got.AccessToken == "" {
		return "", fmt.Errorf("the token endpoint's answer has no access_token")
	}
	life := time.Duration(got.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	c.mu.Lock()
	c.have[key] = cachedToken{value: got.AccessToken, expires: now.Add(life - min(life/10, time.Minute))}
	c.mu.Unlock()
	return got.AccessToken, nil
}
