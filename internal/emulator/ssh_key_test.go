package emulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Two ed25519 public keys made with ssh-keygen; keyOps's MD5 fingerprint is what
// `ssh-keygen -l -E md5` prints for it.
const (
	keyOps            = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII3kCSDHPEMeGNIp/oEVnPkwmB6JCGpr9ykp83K8ucUY ops@example.com"
	keyOpsFingerprint = "c2:c2:dd:cb:13:14:4e:ab:79:bb:0e:0d:56:65:6b:d1"
	keyCI             = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJRwmONsOQJqJqaCFONdL6zj/N2DTPB2XGhjT2Z6Ms7 ci@example.com"
)

func (h *harness) createSSHKey(body string) SSHKey {
	h.t.Helper()
	res := h.do("POST", "/v1/ssh_keys", body)
	res.wantStatus(h.t, http.StatusCreated)
	var r sshKeyResponse
	res.decode(h.t, &r)
	return r.SSHKey
}

func sshKeyBody(name, key, labels string) string {
	return `{"name":"` + name + `","public_key":"` + key + `","labels":` + labels + `}`
}

func TestSSHKey_createGetUpdateDelete(t *testing.T) {
	h := newHarness(t, Options{})
	k := h.createSSHKey(sshKeyBody("ops", keyOps, `{"team":"ops"}`))
	if k.ID != firstSSHKeyID || k.Name != "ops" || k.Fingerprint != keyOpsFingerprint || k.PublicKey != keyOps ||
		k.Labels["team"] != "ops" || !k.Created.Equal(testEpoch) {
		t.Errorf("created %+v", k)
	}
	var got sshKeyResponse
	h.do("GET", "/v1/ssh_keys/"+itoa(k.ID), "").decode(t, &got)
	if got.SSHKey.Fingerprint != keyOpsFingerprint || got.SSHKey.Name != "ops" {
		t.Errorf("read %+v", got.SSHKey)
	}

	res := h.do("PUT", "/v1/ssh_keys/"+itoa(k.ID), `{"name":"ops-2","labels":{}}`)
	res.wantStatus(t, http.StatusOK)
	var updated sshKeyResponse
	res.decode(t, &updated)
	if updated.SSHKey.Name != "ops-2" || len(updated.SSHKey.Labels) != 0 || updated.SSHKey.PublicKey != keyOps {
		t.Errorf("updated %+v", updated.SSHKey)
	}
	// Its own name is no conflict.
	h.do("PUT", "/v1/ssh_keys/"+itoa(k.ID), `{"name":"ops-2"}`).wantStatus(t, http.StatusOK)

	// A key file's line, newline included, comes back as it was sent.
	fromFile := h.createSSHKey(sshKeyBody("ci", keyCI+`\n`, `{}`))
	if fromFile.PublicKey != keyCI+"\n" {
		t.Errorf("public_key %q, want the key as sent, with its newline", fromFile.PublicKey)
	}
	h.do("DELETE", "/v1/ssh_keys/"+itoa(fromFile.ID), "").wantStatus(t, http.StatusNoContent)

	h.do("DELETE", "/v1/ssh_keys/"+itoa(k.ID), "").wantStatus(t, http.StatusNoContent)
	h.do("GET", "/v1/ssh_keys/"+itoa(k.ID), "").wantError(t, http.StatusNotFound, "not_found")
	if keys := h.emu.SSHKeys(); len(keys) != 0 {
		t.Errorf("after delete the emulator holds %+v", keys)
	}
}

func TestSSHKey_listFiltersAndPages(t *testing.T) {
	h := newHarness(t, Options{})
	ops := h.createSSHKey(sshKeyBody("ops", keyOps, `{"team":"ops"}`))
	ci := h.createSSHKey(sshKeyBody("ci", keyCI, `{"team":"ci"}`))
	list := func(query string) []int64 {
		t.Helper()
		var r struct {
			SSHKeys []SSHKey `json:"ssh_keys"`
			Meta    listMeta `json:"meta"`
		}
		h.do("GET", "/v1/ssh_keys"+query, "").decode(t, &r)
		ids := []int64{}
		for _, k := range r.SSHKeys {
			ids = append(ids, k.ID)
		}
		return ids
	}
	for query, want := range map[string][]int64{
		"":                                  {ops.ID, ci.ID},
		"?name=ci":                          {ci.ID},
		"?fingerprint=" + keyOpsFingerprint: {ops.ID},
		"?label_selector=team%3Dops":        {ops.ID},
		"?label_selector=team+in+(ops,ci)":  {ops.ID, ci.ID},
		"?sort=name":                        {ci.ID, ops.ID},
		"?per_page=1&page=2":                {ci.ID},
		"?name=nobody":                      {},
	} {
		if got := list(query); !slices.Equal(got, want) {
			t.Errorf("GET /ssh_keys%s = %v, want %v", query, got, want)
		}
	}
	h.do("GET", "/v1/ssh_keys?label_selector=team+in+(", "").wantError(t, 422, "invalid_input")
	h.do("GET", "/v1/ssh_keys?sort=fingerprint", "").wantError(t, 422, "invalid_input")
}

// The API refuses a second key with the same name or the same key, naming the field, as it
// answered "SSH key with the same fingerprint already exists (uniqueness_error)".
func TestSSHKey_nameAndFingerprintAreUnique(t *testing.T) {
	h := newHarness(t, Options{})
	h.createSSHKey(sshKeyBody("ops", keyOps, `{}`))
	ci := h.createSSHKey(sshKeyBody("ci", keyCI, `{}`))
	for _, c := range []struct{ method, path, body, field string }{
		{"POST", "/v1/ssh_keys", sshKeyBody("ops", keyCI, `{}`), "name"},
		{"POST", "/v1/ssh_keys", sshKeyBody("other", keyOps, `{}`), "fingerprint"},
		// The same key with another comment is the same key.
		{"POST", "/v1/ssh_keys", sshKeyBody("other", strings.TrimSuffix(keyOps, "ops@example.com")+"laptop", `{}`), "fingerprint"},
		{"PUT", "/v1/ssh_keys/" + itoa(ci.ID), `{"name":"ops"}`, "name"},
	} {
		e := h.do(c.method, c.path, c.body).wantError(t, http.StatusConflict, "uniqueness_error")
		if want := "SSH key with the same " + c.field + " already exists"; e.Error.Message != want || !strings.Contains(string(e.Error.Details), `"name":"`+c.field+`"`) {
			t.Errorf("%s %s: message %q, details %s; want %q naming %s", c.method, c.body, e.Error.Message, e.Error.Details, want, c.field)
		}
	}
	if n := len(h.emu.SSHKeys()); n != 2 {
		t.Errorf("the emulator holds %d keys, want 2", n)
	}
}

func TestSSHKey_badInput(t *testing.T) {
	h := newHarness(t, Options{})
	typeMessage := "SSH key type is invalid (supported types: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, " +
		"ecdsa-sha2-nistp521, ssh-dss, sk-ssh-ed25519, sk-ecdsa-sha2-nistp256, sk-ecdsa-sha2-nistp384, sk-ecdsa-sha2-nistp521)"
	for _, c := range []struct{ name, body, field, message string }{
		{"a private key file's first line", sshKeyBody("k", "-----BEGIN OPENSSH PRIVATE KEY-----", `{}`), "public_key", typeMessage},
		{"a path instead of the key", sshKeyBody("k", "~/.ssh/id_ed25519.pub", `{}`), "public_key", typeMessage},
		{"broken base64", sshKeyBody("k", "ssh-ed25519 AAAA!!!!", `{}`), "public_key", "SSH key is invalid"},
		{"a key of another type than it says", sshKeyBody("k", strings.Replace(keyOps, "ssh-ed25519", "ssh-rsa", 1), `{}`), "public_key", "SSH key is invalid"},
		{"no public_key", `{"name":"k"}`, "public_key", "is required"},
		{"no name", `{"public_key":"` + keyOps + `"}`, "name", "is required"},
		{"name a number", `{"name":7,"public_key":"` + keyOps + `"}`, "name", "must be a string"},
		{"public_key a list", `{"name":"k","public_key":["` + keyOps + `"]}`, "public_key", "must be a string"},
		{"bad label", sshKeyBody("k", keyOps, `{"-":"x"}`), "labels", ""},
	} {
		e := h.do("POST", "/v1/ssh_keys", c.body).wantError(t, 422, "invalid_input")
		if got := e.fieldNames(t); len(got) != 1 || got[0] != c.field {
			t.Errorf("%s: fields %v, want [%s]", c.name, got, c.field)
		}
		if want := "invalid input in field '" + c.field + "': " + c.message; c.message != "" && e.Error.Message != want {
			t.Errorf("%s: message %q, want %q", c.name, e.Error.Message, want)
		}
	}
	h.do("POST", "/v1/ssh_keys", `{"name":`).wantError(t, http.StatusBadRequest, "json_error")
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		h.do(method, "/v1/ssh_keys/7999", `{}`).wantError(t, http.StatusNotFound, "not_found")
	}
	k := h.createSSHKey(sshKeyBody("k", keyOps, `{}`))
	h.do("PUT", "/v1/ssh_keys/"+itoa(k.ID), `{"labels":"x"}`).wantError(t, 422, "invalid_input")
	h.do("PUT", "/v1/ssh_keys/"+itoa(k.ID), `{"name":""}`).wantError(t, 422, "invalid_input")
	if n := len(h.emu.SSHKeys()); n != 1 {
		t.Errorf("bad input left %d keys, want the 1 good one", n)
	}
}

// create_server takes ssh_keys as ids (JSON numbers, as hcloud-go sends them, or strings of
// digits) or names; with keys there is no root password.
func TestCreateServer_withSSHKeysByIDAndName(t *testing.T) {
	h := newHarness(t, Options{})
	ops := h.createSSHKey(sshKeyBody("ops", keyOps, `{}`))
	ci := h.createSSHKey(sshKeyBody("ci", keyCI, `{}`))
	res := h.do("POST", "/v1/servers", `{"name":"app-1","server_type":"cx23","image":"ubuntu-24.04","ssh_keys":[`+itoa(ops.ID)+`,"ci"]}`)
	res.wantStatus(t, http.StatusCreated)
	var r struct {
		Server       serverView `json:"server"`
		RootPassword *string    `json:"root_password"`
	}
	res.decode(t, &r)
	if r.RootPassword != nil {
		t.Errorf("root_password = %q with SSH keys, want null", *r.RootPassword)
	}
	srv := h.emu.Servers()[len(h.emu.Servers())-1]
	if !slices.Equal(srv.SSHKeys, []int64{ops.ID, ci.ID}) {
		t.Errorf("server %d holds keys %v, want [%d %d]", srv.ID, srv.SSHKeys, ops.ID, ci.ID)
	}
	h.do("POST", "/v1/servers", `{"name":"app-2","server_type":"cx23","image":"ubuntu-24.04","ssh_keys":["`+itoa(ci.ID)+`"]}`).wantStatus(t, http.StatusCreated)
	servers := h.emu.Servers()
	if srv := servers[len(servers)-1]; srv.Name != "app-2" || !slices.Equal(srv.SSHKeys, []int64{ci.ID}) {
		t.Errorf("server %s holds keys %v, want [%d]: the digits are ci's id", srv.Name, srv.SSHKeys, ci.ID)
	}

	for body, message := range map[string]string{
		`"ssh_keys":[7999]`:     "ssh_keys 7999 not found",
		`"ssh_keys":["nobody"]`: `ssh_keys "nobody" not found`,
		`"ssh_keys":[true]`:     "must be an ID or a name",
		`"ssh_keys":"ops"`:      "must be an array of IDs or names",
	} {
		e := h.do("POST", "/v1/servers", `{"name":"app-3","server_type":"cx23","image":"ubuntu-24.04",`+body+`}`).wantError(t, 422, "invalid_input")
		if want := "invalid input in field 'ssh_keys': " + message; e.Error.Message != want {
			t.Errorf("%s: message %q, want %q", body, e.Error.Message, want)
		}
	}
	if got := len(h.emu.Servers()); got != len(servers) {
		t.Errorf("%d servers after refused creates, want %d", got, len(servers))
	}
}

// Deleting a key leaves the servers created with it alone: the key is only injected at
// creation [assumed, NOTES.md].
func TestDeleteSSHKey_serversKeepIt(t *testing.T) {
	h := newHarness(t, Options{})
	k := h.createSSHKey(sshKeyBody("ops", keyOps, `{}`))
	c := h.createServer(`{"name":"app-1","server_type":"cx23","image":"ubuntu-24.04","ssh_keys":["ops"]}`)
	h.do("DELETE", "/v1/ssh_keys/"+itoa(k.ID), "").wantStatus(t, http.StatusNoContent)
	servers := h.emu.Servers()
	if i := slices.IndexFunc(servers, func(s Server) bool { return s.ID == c.Server.ID }); i < 0 || !slices.Equal(servers[i].SSHKeys, []int64{k.ID}) {
		t.Errorf("after the key's deletion, servers %+v; want server %d holding [%d]", servers, c.Server.ID, k.ID)
	}
	h.do("GET", "/v1/servers/"+itoa(c.Server.ID), "").wantStatus(t, http.StatusOK)
}
