package emulator

import (
	"cmp"
	"crypto/md5" //nolint:gosec // G501: the API's fingerprint is MD5, not a security measure here
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// firstSSHKeyID starts the SSH keys' own id range (see state.go).
const firstSSHKeyID = 7001

// SSHKey is an SSH key object of the API.
type SSHKey struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	Fingerprint string            `json:"fingerprint"`
	PublicKey   string            `json:"public_key"`
	Labels      map[string]string `json:"labels"`
	Created     time.Time         `json:"created"`
}

func (k *SSHKey) clone() SSHKey {
	c := *k
	c.Labels = maps.Clone(k.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	return c
}

// sshKeyTypes are the key types the API accepts, in the order its error message lists them
// (an answer of the real API quoted in NOTES.md).
var sshKeyTypes = []string{
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss",
	"sk-ssh-ed25519", "sk-ecdsa-sha2-nistp256", "sk-ecdsa-sha2-nistp384", "sk-ecdsa-sha2-nistp521",
}

// sshKeyFingerprint parses an OpenSSH public key line ("type base64 [comment]") and returns
// its MD5 fingerprint, colon-separated hex like the spec's example, or why it is no key. The
// security-key types are written with @openssh.com in key files; both spellings are taken.
func sshKeyFingerprint(line string) (string, string) {
	fields := strings.Fields(line)
	if len(fields) < 2 || !slices.Contains(sshKeyTypes, strings.TrimSuffix(fields[0], "@openssh.com")) {
		return "", "SSH key type is invalid (supported types: " + strings.Join(sshKeyTypes, ", ") + ")"
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	// The blob starts with the key type again, as a length-prefixed string (RFC 4253 §6.6).
	if err != nil || len(blob) < 4 {
		return "", "SSH key is invalid"
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(len(blob)) < 4+uint64(n) || string(blob[4:4+n]) != fields[0] || len(blob) == int(4+n) {
		return "", "SSH key is invalid"
	}
	sum := md5.Sum(blob) //nolint:gosec // G401: see the import
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":"), ""
}

type sshKeyResponse struct {
	SSHKey SSHKey `json:"ssh_key"`
}

func (e *Emulator) lookupSSHKey(id int64) (*SSHKey, *apiError) {
	return lookup(e.sshKeys, "SSH key", id)
}

// createSSHKey is POST /ssh_keys: name and public_key required, labels optional. A key whose
// name or fingerprint another key has is 409 uniqueness_error naming the field.
func (e *Emulator) createSSHKey(rq *request) reply {
	body, err := decodeBody(rq.body)
	if err != nil {
		return errorReply(err)
	}
	name, labels, err := body.nameAndLabels()
	if err != nil {
		return errorReply(err)
	}
	if name == nil || *name == "" {
		return errorReply(invalidInput("name", "is required"))
	}
	public, err := body.optString("public_key")
	if err != nil {
		return errorReply(err)
	}
	if public == nil {
		return errorReply(invalidInput("public_key", "is required"))
	}
	fingerprint, problem := sshKeyFingerprint(*public)
	if problem != "" {
		return errorReply(invalidInput("public_key", problem))
	}
	// The name is checked first [assumed].
	if err := e.checkSSHKeyName(*name, 0); err != nil {
		return errorReply(err)
	}
	if err := e.checkSSHKeyFingerprint(fingerprint); err != nil {
		return errorReply(err)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	// The key is kept byte for byte, the newline of a key file included: the official
	// provider stores what it sent and fails ("inconsistent result after apply") on any other
	// answer, and users send file("~/.ssh/id_ed25519.pub") with it.
	k := &SSHKey{
		ID: e.nextSSHKeyID, Name: *name, Fingerprint: fingerprint, PublicKey: *public,
		Labels: labels, Created: wireTime(rq.now),
	}
	e.nextSSHKeyID++
	e.sshKeys[k.ID] = k
	return jsonReply(http.StatusCreated, sshKeyResponse{k.clone()})
}

// checkSSHKeyName refuses a name that a key other than self has (409 uniqueness_error).
func (e *Emulator) checkSSHKeyName(name string, self int64) *apiError {
	for _, k := range e.sshKeys {
		if k.Name == name && k.ID != self {
			return notUnique("name", "SSH key with the same name already exists")
		}
	}
	return nil
}

// checkSSHKeyFingerprint refuses a fingerprint that a key has (409 uniqueness_error).
func (e *Emulator) checkSSHKeyFingerprint(fingerprint string) *apiError {
	for _, k := range e.sshKeys {
		if k.Fingerprint == fingerprint {
			return notUnique("fingerprint", "SSH key with the same fingerprint already exists")
		}
	}
	return nil
}

func (e *Emulator) getSSHKey(rq *request) reply {
	k, err := e.lookupSSHKey(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, sshKeyResponse{k.clone()})
}

// listSSHKeys is GET /ssh_keys: filters name and fingerprint (exact) and label_selector, sort
// by id or name, pages as for images.
func (e *Emulator) listSSHKeys(rq *request) reply {
	q := rq.http.URL.Query()
	sel, selErr := parseSelector(q.Get("label_selector"))
	if selErr != nil {
		return errorReply(invalidInput("label_selector", selErr.Error()))
	}
	name, fingerprint := q.Get("name"), q.Get("fingerprint")
	matched := []SSHKey{}
	for _, k := range e.sshKeys {
		if (name == "" || k.Name == name) && (fingerprint == "" || k.Fingerprint == fingerprint) && sel.matches(k.Labels) {
			matched = append(matched, k.clone())
		}
	}
	page, p, err := pageOf(rq, matched, compareSSHKeys, "id", "name")
	if err != nil {
		return errorReply(err)
	}
	return listReply(rq, "ssh_keys", page, p)
}

func compareSSHKeys(a, b SSHKey, field string) int {
	if field == "name" {
		return cmp.Compare(a.Name, b.Name)
	}
	return cmp.Compare(a.ID, b.ID)
}

// updateSSHKey is PUT /ssh_keys/{id}: "You can update an SSH key name and an SSH key labels"
// (replace_ssh_key); labels replace the old ones.
func (e *Emulator) updateSSHKey(rq *request) reply {
	k, err := e.lookupSSHKey(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	body, err := decodeBody(rq.body)
	if err != nil {
		return errorReply(err)
	}
	name, labels, err := body.nameAndLabels()
	if err != nil {
		return errorReply(err)
	}
	if name != nil {
		if *name == "" {
			return errorReply(invalidInput("name", "must not be empty"))
		}
		if err := e.checkSSHKeyName(*name, k.ID); err != nil {
			return errorReply(err)
		}
		k.Name = *name
	}
	if labels != nil {
		k.Labels = labels
	}
	return jsonReply(http.StatusOK, sshKeyResponse{k.clone()})
}

// deleteSSHKey is DELETE /ssh_keys/{id}: 204. Servers created with the key keep it (the key
// is only injected at creation).
func (e *Emulator) deleteSSHKey(rq *request) reply {
	k, err := e.lookupSSHKey(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	delete(e.sshKeys, k.ID)
	return noContent()
}

// sshKeyByName finds a key by its name.
func (e *Emulator) sshKeyByName(name string) (*SSHKey, bool) {
	for _, k := range e.sshKeys {
		if k.Name == name {
			return k, true
		}
	}
	return nil, false
}

// SSHKeys returns copies of every SSH key, sorted by id.
func (e *Emulator) SSHKeys() []SSHKey {
	e.mu.Lock()
	defer e.mu.Unlock()
	return byID(e.sshKeys, (*SSHKey).clone)
}

// sshKeysOf decodes create_server's ssh_keys: each an id (a JSON number, as hcloud-go sends it,
// or a string of digits) or a name. An unknown one is invalid_input on ssh_keys [assumed].
func (e *Emulator) sshKeysOf(b jsonBody) ([]int64, *apiError) {
	var list []json.RawMessage
	present, err := b.field("ssh_keys", &list, "an array of IDs or names")
	if err != nil || !present {
		return nil, err
	}
	byID := func(id int64) (*SSHKey, bool) {
		k, ok := e.sshKeys[id]
		return k, ok
	}
	ids := make([]int64, 0, len(list))
	for _, raw := range list {
		k, err := idOrNameOf(jsonBody{"ssh_keys": raw}, "ssh_keys", byID, e.sshKeyByName)
		if err != nil {
			return nil, err
		}
		ids = append(ids, k.ID)
	}
	return ids, nil
}
