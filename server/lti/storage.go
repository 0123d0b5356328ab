package lti

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
)

// Where a browser keeps no cookie for the lab's frame, the login's state is
// kept by the platform instead, through 1EdTech's client-side postMessages
// (lti.put_data, lti.get_data) to the frame the platform names in
// lti_storage_target. The value kept is the same signed login as the
// cookie's, so the launch checks it alike; the cookie is set as well, and
// is used where it came back.

// storageTarget accepts lti_storage_target: "_parent" or a frame's name.
var storageTarget = regexp.MustCompile(`^(_parent|[A-Za-z0-9_-]{1,64})$`)

// putStatePage keeps the login's state in the platform's storage, then goes
// on to the platform's authentication, whether or not the platform answered
// (within two seconds).
var putStatePage = template.Must(template.New("put").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>reqlab</title></head><body>
<script nonce="{{.Nonce}}">
(() => {
  const target = {{.Target}} === "_parent" ? window.parent : window.parent.frames[{{.Target}}];
  const id = {{.MessageID}};
  let gone = false;
  const go = () => { if (!gone) { gone = true; location.replace({{.Next}}); } };
  addEventListener("message", (e) => {
    if (e.origin === {{.Origin}} && e.data && e.data.subject === "lti.put_data.response" && e.data.message_id === id) go();
  });
  try { target.postMessage({subject: "lti.put_data", message_id: id, key: {{.Key}}, value: {{.Value}}}, {{.Origin}}); } catch (e) { go(); }
  setTimeout(go, 2000);
})();
</script></body></html>
`))

// getStatePage asks the platform's storage for the login's state, then
// posts the launch again with it.
var getStatePage = template.Must(template.New("get").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>reqlab</title></head><body>
<form method="post" action="/lti/launch">
<input type="hidden" name="id_token" value="{{.IDToken}}"><input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="lti_storage_target" value="{{.Target}}"><input type="hidden" name="stored_state" value="">
</form>
<script nonce="{{.Nonce}}">
(() => {
  const target = {{.Target}} === "_parent" ? window.parent : window.parent.frames[{{.Target}}];
  const id = {{.MessageID}};
  const form = document.forms[0];
  let sent = false;
  const send = (value) => { if (!sent) { sent = true; form.elements.stored_state.value = value || "-"; form.submit(); } };
  addEventListener("message", (e) => {
    if (e.origin === {{.Origin}} && e.data && e.data.subject === "lti.get_data.response" && e.data.message_id === id) send(e.data.value);
  });
  try { target.postMessage({subject: "lti.get_data", message_id: id, key: {{.Key}}}, {{.Origin}}); } catch (e) { send(""); }
  setTimeout(() => send(""), 2000);
})();
</script></body></html>
`))

// storagePage writes one of the storage pages.
func (pg *pages) storagePage(w http.ResponseWriter, page *template.Template, data map[string]string, formAction string) {
	nonce := randomHex(16)
	data["Nonce"], data["MessageID"] = nonce, randomHex(8)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action "+formAction+"; base-uri 'none'; frame-ancestors "+pg.ancestors())
	page.Execute(w, data)
}

// originOf is a URL's origin.
func originOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Scheme + "://" + p.Host
}
