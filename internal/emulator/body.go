package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// jsonBody is a request body decoded one key at a time, so that a wrong type
// can be reported as invalid_input naming the key, and JSON null can be
// treated as an absent key (hcloud-go sends {"type":null,"description":null}).
type jsonBody map[string]json.RawMessage

// decodeBody parses a request body. An empty body counts as {} [assumed]:
// the spec marks the bodies required but every key in them optional.
func decodeBody(body []byte) (jsonBody, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return jsonBody{}, nil
	}
	if !json.Valid(body) {
		return nil, &apiError{status: http.StatusBadRequest, code: "json_error", message: "request body is not valid JSON"}
	}
	var m jsonBody
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, &apiError{
			status:  http.StatusUnprocessableEntity,
			code:    "invalid_input",
			message: "invalid input: request body must be a JSON object",
			details: fieldDetails{Fields: []fieldError{}},
		}
	}
	return m, nil
}

// field decodes key into dst and reports whether it was present and not null.
func (b jsonBody) field(key string, dst any, wantType string) (bool, *apiError) {
	raw, ok := b[key]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, invalidInput(key, "must be "+wantType)
	}
	return true, nil
}

func (b jsonBody) optString(key string) (*string, *apiError) {
	return optField[string](b, key, "a string")
}

func (b jsonBody) optBool(key string) (*bool, *apiError) { return optField[bool](b, key, "a boolean") }

// optField decodes an optional field; nil when it is absent.
func optField[T any](b jsonBody, key, wantType string) (*T, *apiError) {
	v := new(T)
	ok, err := b.field(key, v, wantType)
	if !ok {
		return nil, err
	}
	return v, nil
}

// optLabels decodes and validates a labels object. A present labels key
// yields a non-nil map even when it is {}, because {} means "clear".
func (b jsonBody) optLabels(key string) (map[string]string, *apiError) {
	var m map[string]string
	ok, err := b.field(key, &m, "an object of string values")
	if !ok {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	if msgs := validateLabels(m); len(msgs) > 0 {
		return nil, invalidInput(key, msgs...)
	}
	return m, nil
}

// nameAndLabels decodes the optional name and labels that the update requests of servers and
// SSH keys (and the create of a key) share.
func (b jsonBody) nameAndLabels() (*string, map[string]string, *apiError) {
	name, err := b.optString("name")
	if err != nil {
		return nil, nil, err
	}
	labels, err := b.optLabels("labels")
	return name, labels, err
}
