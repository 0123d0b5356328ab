// Package lti lets course platforms (Moodle, Canvas, Brightspace, Sakai,
// Blackboard…) launch the lab, by 1EdTech's LTI 1.3 and its Security
// Framework: the platforms are registered in a file; the lab publishes its
// public key (GET /lti/jwks), answers the platform's login initiation (GET
// or POST /lti/login) with an OpenID Connect authentication request, and
// takes the platform's signed id_token at POST /lti/launch, which it checks
// in full before opening the lesson the link names, as that user — or, for
// a teacher's deep linking request, the page where they pick lessons, which
// POST /lti/deep-link answers with a signed list of links.
//
// Tokens are read and signed with go-jose (v4): JWS with RS256 and JSON Web
// Key sets, which LTI needs and no more.
package lti

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
)

// Platform is one registration of a course platform with the lab, as its
// administrator enters it.
type Platform struct {
	Issuer        string   `json:"issuer"`
	ClientID      string   `json:"client_id"`
	DeploymentIDs []string `json:"deployment_ids"`
	AuthURL       string   `json:"auth_url"`
	TokenURL      string   `json:"token_url"`
	JWKSURL       string   `json:"jwks_url"`
}

// LoadPlatforms reads the registrations in the JSON file at path: a list of
// platforms. Each must name its issuer, client id, at least one deployment
// and its three endpoints, over https (http only on the machine itself, for
// tests); an issuer and client id are registered once.
func LoadPlatforms(path string) ([]Platform, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("LTI platforms: %w", err)
	}
	var ps []Platform
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("LTI platforms %s: not a JSON list of platforms: %w", path, err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("LTI platforms %s: no platform", path)
	}
	for i, p := range ps {
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("LTI platforms %s, platform %d: %w", path, i+1, err)
		}
		for _, q := range ps[:i] {
			if q.Issuer == p.Issuer && q.ClientID == p.ClientID {
				return nil, fmt.Errorf("LTI platforms %s: %s with client %s is registered twice", path, p.Issuer, p.ClientID)
			}
		}
	}
	return ps, nil
}

func (p Platform) check() error {
	if p.Issuer == "" || p.ClientID == "" {
		return fmt.Errorf("issuer and client_id are needed")
	}
	if len(p.DeploymentIDs) == 0 || slices.Contains(p.DeploymentIDs, "") {
		return fmt.Errorf("%s: deployment_ids must list the platform's deployments", p.Issuer)
	}
	for name, u := range map[string]string{"issuer": p.Issuer, "auth_url": p.AuthURL, "token_url": p.TokenURL, "jwks_url": p.JWKSURL} {
		if err := secureURL(u); err != nil {
			return fmt.Errorf("%s: %s %w", p.Issuer, name, err)
		}
	}
	return nil
}

// secureURL checks that u is an absolute https URL, or http on a loopback
// host.
func secureURL(u string) error {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", u)
	}
	switch parsed.Scheme {
	case "https":
		return nil
	case "http":
		host := parsed.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%q must be https", u)
}

// Origin returns the origin of the platform's pages: where the lab is framed
// from.
func (p Platform) Origin() string {
	u, err := url.Parse(p.Issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
