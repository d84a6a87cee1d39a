package labels

import (
	"fmt"
	"strings"
)

// Operator is how a requirement of a selector compares a label.
type Operator string

// The operators of the API's label selector grammar.
const (
	Equals    Operator = "="
	NotEquals Operator = "!="
	In        Operator = "in"
	NotIn     Operator = "notin"
	Exists    Operator = "exists"
	NotExists Operator = "!"
)

// Requirement is one comma-separated term of a selector.
type Requirement struct {
	Key    string
	Op     Operator
	Values []string // one for = and !=, the set for in and notin, none otherwise
}

// SyntaxError is a malformed selector; Pos is the 1-based character where parsing failed.
type SyntaxError struct {
	Selector string
	Pos      int
	Msg      string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("label selector %q, at character %d: %s", e.Selector, e.Pos, e.Msg)
}

// Parse reads a selector such as `env=prod,role in (db,cache),!legacy`. Every requirement must
// hold; commas inside parentheses separate set members, not requirements.
func Parse(selector string) ([]Requirement, error) {
	p := &parser{s: selector}
	var reqs []Requirement
	for {
		r, err := p.requirement()
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
		p.space()
		if p.done() {
			return reqs, nil
		}
		if !p.take(",") {
			return nil, p.fail("expected \",\" between requirements")
		}
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) space() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) take(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *parser) fail(format string, args ...any) error {
	return &SyntaxError{Selector: p.s, Pos: p.i + 1, Msg: fmt.Sprintf(format, args...)}
}

// word reads a key or value: everything up to a character of the grammar.
func (p *parser) word() string {
	start := p.i
	for !p.done() && !strings.ContainsRune(" \t,=!()", rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *parser) requirement() (Requirement, error) {
	p.space()
	if p.take("!") {
		p.space()
		key, err := p.key()
		if err != nil {
			return Requirement{}, err
		}
		return Requirement{Key: key, Op: NotExists}, nil
	}
	key, err := p.key()
	if err != nil {
		return Requirement{}, err
	}
	p.space()
	switch {
	case p.done() || p.s[p.i] == ',':
		return Requirement{Key: key, Op: Exists}, nil
	case p.take("=="), p.take("="):
		return p.single(key, Equals)
	case p.take("!="):
		return p.single(key, NotEquals)
	}
	switch op := p.word(); op {
	case "in":
		return p.set(key, In)
	case "notin":
		return p.set(key, NotIn)
	default:
		p.i -= len(op)
		return Requirement{}, p.fail("expected =, ==, !=, in or notin after key %q", key)
	}
}

func (p *parser) key() (string, error) {
	start := p.i
	key := p.word()
	if key == "" {
		return "", p.fail("expected a label key")
	}
	if err := CheckKey(key); err != nil {
		p.i = start
		return "", p.fail("%v", err)
	}
	return key, nil
}

func (p *parser) value(key string) (string, error) {
	p.space()
	start := p.i
	v := p.word()
	if err := CheckValue(key, v); err != nil {
		p.i = start
		return "", p.fail("%v", err)
	}
	return v, nil
}

func (p *parser) single(key string, op Operator) (Requirement, error) {
	v, err := p.value(key)
	if err != nil {
		return Requirement{}, err
	}
	return Requirement{Key: key, Op: op, Values: []string{v}}, nil
}

func (p *parser) set(key string, op Operator) (Requirement, error) {
	p.space()
	if !p.take("(") {
		return Requirement{}, p.fail("expected \"(\" to open the set of values for %q", key)
	}
	r := Requirement{Key: key, Op: op}
	for {
		v, err := p.value(key)
		if err != nil {
			return Requirement{}, err
		}
		if v == "" {
			return Requirement{}, p.fail("expected a value in the set for %q", key)
		}
		r.Values = append(r.Values, v)
		p.space()
		if p.take(")") {
			return r, nil
		}
		if !p.take(",") {
			return Requirement{}, p.fail("expected \",\" or \")\" in the set of values for %q", key)
		}
	}
}
