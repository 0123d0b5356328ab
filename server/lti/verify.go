package lti

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"reqlab/server/seal"
)

// verifier checks what comes to the tool: a platform's id_token, against the
// platforms registered and their published keys, and the values the tool
// handed out signed (a login's state, a teacher's pick, a class pass). It
// also keys a launched user's lab session.
type verifier struct {
	platforms []Platform
	keySets   *keySets
	// seals seals the values the tool hands out (sealAs): the tool's state
	// key, kept in the store.
	seals seal.Key
	// sessionKey keys the lab sessions of platforms' users (SessionOf):
	// made once and kept in the store, so that every server and every
	// launch of a user finds the same session, and no one who knows the
	// launch's data can work it out.
	sessionKey []byte
	now        func() time.Time
	log        *slog.Logger
}

// platform finds a registration by issuer and, where given, client id; an
// issuer registered with several clients must name one.
func (v *verifier) platform(issuer, clientID string) (Platform, bool) {
	var found []Platform
	for _, p := range v.platforms {
		if p.Issuer == issuer && (clientID == "" || p.ClientID == clientID) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return Platform{}, false
	}
	return found[0], true
}

// platformOfToken finds the platform that issued an id_token, from its
// unverified iss and aud: only to know where to ask for the stored state;
// the token is checked in full once the state is back.
func (v *verifier) platformOfToken(raw string) (Platform, bool) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return Platform{}, false
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil || len(c.Audience) == 0 {
		return Platform{}, false
	}
	for _, aud := range c.Audience {
		if p, ok := v.platform(c.Issuer, aud); ok {
			return p, true
		}
	}
	return Platform{}, false
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
func (v *verifier) sessionOf(issuer, subject string) string {
	return SessionOf(v.sessionKey, issuer, subject)
}

// The tool hands out three kinds of signed values — a login's state, a
// teacher's pick of lessons, a teacher's pass to a class — each a JSON value
// sealed with the tool's state key under its purpose, so that one kind is
// never taken for another, and each with when it expires.

// expiring is a value sealAs signs.
type expiring interface{ expires() int64 }

// sealAs signs v for purpose (server/seal: its JSON in base64url, sealed
// under the tool's state key).
func (v *verifier) sealAs(purpose string, value expiring) string {
	b, _ := json.Marshal(value)
	return v.seals.Seal(purpose+":", base64.RawURLEncoding.EncodeToString(b))
}

// openAs checks a value sealAs signed for purpose and that it has not
// expired, and decodes it into value.
func (v *verifier) openAs(purpose, sealed string, value expiring) bool {
	body, ok := v.seals.Open(purpose+":", sealed)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	return err == nil && json.Unmarshal(b, value) == nil && v.now().Unix() <= value.expires()
}

// refusal is why the tool refuses a request: its status, and the reason in
// Spanish and English, for the person (see Tool.refuse).
type refusal struct {
	status int
	es, en string
}

// launched is what a verified id_token says.
type launched struct {
	platform Platform
	std      jwt.Claims
	claims   launchClaims
}

// idToken checks a launch's id_token in full, for the login whose state is
// p: signed with a key the platform publishes, by that platform, for this
// lab, in date, with the login's nonce, from a registered deployment, of LTI
// 1.3.0, naming its user. The nonce is not spent here.
func (v *verifier) idToken(ctx context.Context, raw string, p pending) (launched, *refusal) {
	platform, ok := v.platform(p.Issuer, p.ClientID)
	if !ok {
		return launched{}, &refusal{http.StatusBadRequest, "esta plataforma ya no está registrada", "this platform is no longer registered"}
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return launched{}, &refusal{http.StatusBadRequest, "el id_token no es un JWT firmado con RS256", "the id_token is not a JWT signed with RS256"}
	}
	key, err := v.keySets.key(ctx, platform.JWKSURL, tok.Headers[0].KeyID, v.now())
	if err != nil {
		v.log.Warn("LTI launch: no key", "issuer", platform.Issuer, "kid", tok.Headers[0].KeyID, "err", err)
		return launched{}, &refusal{http.StatusUnauthorized, "la clave con que firmó la plataforma no está entre las suyas", "the key the platform signed with is not among its keys"}
	}
	l := launched{platform: platform}
	std, c := &l.std, &l.claims
	if err := tok.Claims(key.Key, std, c); err != nil {
		return launched{}, &refusal{http.StatusUnauthorized, "la firma del id_token no es válida", "the id_token's signature is not valid"}
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: platform.Issuer, AnyAudience: jwt.Audience{platform.ClientID}, Time: v.now()}, leeway)
	switch {
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return launched{}, &refusal{http.StatusUnauthorized, "el id_token no es de esta plataforma (iss)", "the id_token is not this platform's (iss)"}
	case errors.Is(err, jwt.ErrInvalidAudience):
		return launched{}, &refusal{http.StatusUnauthorized, "el id_token no es para este laboratorio (aud)", "the id_token is not meant for this lab (aud)"}
	case err != nil || std.Expiry == nil || std.IssuedAt == nil:
		return launched{}, &refusal{http.StatusUnauthorized, "el id_token caducó o no dice cuándo se emitió (exp, iat)", "the id_token has expired or does not say when it was issued (exp, iat)"}
	case len(std.Audience) > 1 && c.AZP == "" || c.AZP != "" && c.AZP != platform.ClientID:
		return launched{}, &refusal{http.StatusUnauthorized, "el id_token no es para este laboratorio (azp)", "the id_token is not meant for this lab (azp)"}
	case c.Nonce == "" || c.Nonce != p.Nonce:
		return launched{}, &refusal{http.StatusUnauthorized, "el nonce del id_token no es el de este inicio de sesión", "the id_token's nonce is not this login's"}
	case !slices.Contains(platform.DeploymentIDs, c.DeploymentID):
		return launched{}, &refusal{http.StatusForbidden, "este despliegue de la plataforma no está registrado", "this deployment of the platform is not registered"}
	case c.Version != "1.3.0":
		return launched{}, &refusal{http.StatusBadRequest, "el laboratorio habla LTI 1.3.0 y el id_token dice otra versión", "the lab speaks LTI 1.3.0 and the id_token names another version"}
	case std.Subject == "":
		return launched{}, &refusal{http.StatusBadRequest, "el id_token no dice quién es el usuario (sub)", "the id_token does not say who the user is (sub)"}
	}
	return l, nil
}
