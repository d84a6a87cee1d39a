// Package labels checks label keys and values and parses label selectors by the Hetzner Cloud
// API's rules, so that bad input fails at plan time instead of at the API.
package labels

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	namePattern   = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$`)
	prefixPattern = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$`)
)

// reservedPrefix is refused by the API: it belongs to Hetzner's own labels.
const reservedPrefix = "hetzner.cloud"

// CheckKey returns what is wrong with a label key, or nil.
func CheckKey(key string) error {
	prefix, name, hasPrefix := strings.Cut(key, "/")
	if !hasPrefix {
		name = key
	}
	switch {
	case key == "":
		return fmt.Errorf("a label key must not be empty")
	case hasPrefix && strings.Contains(name, "/"):
		return fmt.Errorf("label key %q has more than one \"/\"; only one prefix such as \"example.com/\" is allowed", key)
	case hasPrefix && (len(prefix) > 253 || !prefixPattern.MatchString(prefix)):
		return fmt.Errorf("label key %q has prefix %q, which is not a DNS subdomain of at most 253 characters (letters, digits, \"-\" and \".\")", key, prefix)
	case hasPrefix && prefix == reservedPrefix:
		return fmt.Errorf("label key %q uses the prefix \"hetzner.cloud/\", which Hetzner reserves for its own labels", key)
	case len(name) > 63:
		return fmt.Errorf("label key %q has a name of %d characters; the most is 63", key, len(name))
	case !namePattern.MatchString(name):
		return fmt.Errorf("label key %q must begin and end with a letter or digit and use only letters, digits, \"-\", \"_\" and \".\" between", key)
	}
	return nil
}

// CheckValue returns what is wrong with a label value, or nil. An empty value is allowed.
func CheckValue(key, value string) error {
	switch {
	case value == "":
		return nil
	case len(value) > 63:
		return fmt.Errorf("label %q has a value of %d characters; the most is 63", key, len(value))
	case !namePattern.MatchString(value):
		return fmt.Errorf("label %q has value %q, which must be empty or begin and end with a letter or digit and use only letters, digits, \"-\", \"_\" and \".\" between", key, value)
	}
	return nil
}
