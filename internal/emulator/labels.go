package emulator

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// labelName is the shared shape of a key's name part and of a non-empty
// value: 1-63 characters, alphanumeric at both ends, -_. inside.
var labelName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$`)

// dnsLabel is one dot-separated part of a key prefix. Upper case is accepted
// [assumed]: DNS names are case-insensitive and hcloud-go accepts it.
var dnsLabel = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

const reservedLabelPrefix = "hetzner.cloud"

// labelKeyProblem says what is wrong with a label key, or "" if nothing.
func labelKeyProblem(key string) string {
	prefix, name, hasPrefix := strings.Cut(key, "/")
	if !hasPrefix {
		name = key
	}
	if hasPrefix {
		switch {
		case strings.Contains(name, "/"):
			return "may contain at most one '/'"
		case prefix == "" || len(prefix) > 253:
			return "prefix must be a DNS subdomain of 1-253 characters"
		case strings.EqualFold(prefix, reservedLabelPrefix):
			return "prefix 'hetzner.cloud/' is reserved"
		}
		for _, part := range strings.Split(prefix, ".") {
			if !dnsLabel.MatchString(part) {
				return "prefix must be a DNS subdomain of 1-253 characters"
			}
		}
	}
	if !labelName.MatchString(name) {
		return "name must be 1-63 characters, begin and end with a letter or digit, and use only letters, digits, '-', '_' and '.'"
	}
	return ""
}

func labelValueOK(v string) bool {
	return v == "" || labelName.MatchString(v)
}

// validateLabels returns one message per bad key or value, in key order, each
// naming the key so that the user can find it.
func validateLabels(labels map[string]string) []string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var msgs []string
	for _, k := range keys {
		if p := labelKeyProblem(k); p != "" {
			msgs = append(msgs, fmt.Sprintf("label key %q is invalid: %s", k, p))
			continue
		}
		if !labelValueOK(labels[k]) {
			msgs = append(msgs, fmt.Sprintf("label value %q of key %q is invalid: must be empty or 1-63 characters, begin and end with a letter or digit, and use only letters, digits, '-', '_' and '.'", labels[k], k))
		}
	}
	return msgs
}

type selectorOp int

const (
	opEquals selectorOp = iota
	opNotEquals
	opExists
	opNotExists
	opIn
	opNotIn
)

type requirement struct {
	key    string
	op     selectorOp
	values []string
}

// selector is a parsed label_selector: every requirement must hold.
type selector []requirement

// matches follows Kubernetes for the cases the docs leave open [assumed]:
// != and notin match an object that lacks the key.
func (s selector) matches(labels map[string]string) bool {
	for _, req := range s {
		v, has := labels[req.key]
		var ok bool
		switch req.op {
		case opEquals:
			ok = has && v == req.values[0]
		case opNotEquals:
			ok = !has || v != req.values[0]
		case opExists:
			ok = has
		case opNotExists:
			ok = !has
		case opIn:
			ok = has && slices.Contains(req.values, v)
		case opNotIn:
			ok = !has || !slices.Contains(req.values, v)
		}
		if !ok {
			return false
		}
	}
	return true
}

// parseSelector parses the grammar of the docs: comma-separated requirements
// k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b), with whitespace around
// tokens tolerated. Commas inside parentheses belong to the set.
func parseSelector(s string) (selector, error) {
	p := &selectorParser{s: s}
	p.space()
	if p.end() {
		return nil, nil
	}
	var sel selector
	for {
		req, err := p.requirement()
		if err != nil {
			return nil, err
		}
		sel = append(sel, req)
		p.space()
		if p.end() {
			return sel, nil
		}
		if !p.eat(",") {
			return nil, fmt.Errorf("expected ',' at position %d", p.i)
		}
	}
}

type selectorParser struct {
	s string
	i int
}

func (p *selectorParser) end() bool { return p.i >= len(p.s) }

func (p *selectorParser) space() {
	for !p.end() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *selectorParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

// word reads a run of characters allowed in keys ('/' included) or values.
func (p *selectorParser) word(allowSlash bool) string {
	start := p.i
	for !p.end() {
		c := rune(p.s[p.i])
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' && !(allowSlash && c == '/') {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

func (p *selectorParser) key() (string, error) {
	p.space()
	at := p.i
	k := p.word(true)
	if k == "" {
		return "", fmt.Errorf("expected a label key at position %d", at)
	}
	if problem := labelKeyProblem(k); problem != "" {
		return "", fmt.Errorf("label key %q is invalid: %s", k, problem)
	}
	return k, nil
}

func (p *selectorParser) value() (string, error) {
	p.space()
	v := p.word(false)
	if !labelValueOK(v) {
		return "", fmt.Errorf("label value %q is invalid", v)
	}
	return v, nil
}

func (p *selectorParser) requirement() (requirement, error) {
	p.space()
	if p.eat("!") {
		if p.eat("=") {
			return requirement{}, fmt.Errorf("expected a label key before '!=' at position %d", p.i-2)
		}
		k, err := p.key()
		return requirement{key: k, op: opNotExists}, err
	}
	k, err := p.key()
	if err != nil {
		return requirement{}, err
	}
	p.space()
	if p.end() || p.s[p.i] == ',' {
		return requirement{key: k, op: opExists}, nil
	}
	var op selectorOp
	switch {
	case p.eat("=="), p.eat("="):
		op = opEquals
	case p.eat("!="):
		op = opNotEquals
	default:
		return p.setRequirement(k)
	}
	v, err := p.value()
	return requirement{key: k, op: op, values: []string{v}}, err
}

// setRequirement parses "in (a,b)" or "notin (a,b)" after a key.
func (p *selectorParser) setRequirement(k string) (requirement, error) {
	at := p.i
	var op selectorOp
	switch w := p.word(false); w {
	case "in":
		op = opIn
	case "notin":
		op = opNotIn
	default:
		return requirement{}, fmt.Errorf("expected an operator after key %q at position %d", k, at)
	}
	p.space()
	if !p.eat("(") {
		return requirement{}, fmt.Errorf("expected '(' at position %d", p.i)
	}
	var values []string
	for {
		v, err := p.value()
		if err != nil {
			return requirement{}, err
		}
		if v == "" {
			return requirement{}, fmt.Errorf("expected a value at position %d", p.i)
		}
		values = append(values, v)
		p.space()
		if p.eat(")") {
			return requirement{key: k, op: op, values: values}, nil
		}
		if !p.eat(",") {
			return requirement{}, fmt.Errorf("expected ',' or ')' at position %d", p.i)
		}
	}
}
