package labels

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCheckKey(t *testing.T) {
	cases := map[string]bool{
		"env":                            true,
		"example.com/my":                 true,
		"a.b_c-d":                        true,
		"A1":                             true,
		strings.Repeat("k", 63):          true,
		"sub.example.com/role":           true,
		"":                               false,
		strings.Repeat("k", 64):          false,
		"-env":                           false,
		"env-":                           false,
		"a/b/c":                          false,
		"my key":                         false,
		"hetzner.cloud/owner":            false,
		"-bad.example.com/x":             false,
		strings.Repeat("p", 254) + "/ok": false,
		"example.com/":                   false,
	}
	for key, ok := range cases {
		if err := CheckKey(key); (err == nil) != ok {
			t.Errorf("CheckKey(%q) = %v, want ok=%t", key, err, ok)
		}
	}
}

func TestCheckValue(t *testing.T) {
	cases := map[string]bool{
		"":                      true,
		"prod":                  true,
		"1.2.3":                 true,
		"a_b-c":                 true,
		strings.Repeat("v", 63): true,
		strings.Repeat("v", 64): false,
		"prod db":               false,
		"-prod":                 false,
		"prod.":                 false,
		"ü":                     false,
	}
	for value, ok := range cases {
		if err := CheckValue("k", value); (err == nil) != ok {
			t.Errorf("CheckValue(%q) = %v, want ok=%t", value, err, ok)
		}
	}
}

func TestParse_everyOperator(t *testing.T) {
	cases := []struct {
		selector string
		want     []Requirement
	}{
		{"env=prod", []Requirement{{Key: "env", Op: Equals, Values: []string{"prod"}}}},
		{"env==prod", []Requirement{{Key: "env", Op: Equals, Values: []string{"prod"}}}},
		{"env!=prod", []Requirement{{Key: "env", Op: NotEquals, Values: []string{"prod"}}}},
		{"env", []Requirement{{Key: "env", Op: Exists}}},
		{"!env", []Requirement{{Key: "env", Op: NotExists}}},
		{"env in (a,b)", []Requirement{{Key: "env", Op: In, Values: []string{"a", "b"}}}},
		{"env notin (a, b ,c)", []Requirement{{Key: "env", Op: NotIn, Values: []string{"a", "b", "c"}}}},
		{"env=", []Requirement{{Key: "env", Op: Equals, Values: []string{""}}}},
		{"example.com/role = db", []Requirement{{Key: "example.com/role", Op: Equals, Values: []string{"db"}}}},
		{" env in (testing,staging) , type!=database,!legacy,tier ", []Requirement{
			{Key: "env", Op: In, Values: []string{"testing", "staging"}},
			{Key: "type", Op: NotEquals, Values: []string{"database"}},
			{Key: "legacy", Op: NotExists},
			{Key: "tier", Op: Exists},
		}},
	}
	for _, tc := range cases {
		got, err := Parse(tc.selector)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.selector, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.selector, got, tc.want)
		}
	}
}

func TestParse_malformedSaysWhere(t *testing.T) {
	cases := []struct {
		selector string
		pos      int
		msg      string
	}{
		{"", 1, "expected a label key"},
		{"env=prod,", 10, "expected a label key"},
		{",env", 1, "expected a label key"},
		{"env in a,b", 8, `expected "(" to open the set of values for "env"`},
		{"env in (a,b", 12, `expected "," or ")"`},
		{"env in ()", 9, `expected a value in the set for "env"`},
		{"env notin (a b)", 14, `expected "," or ")"`},
		{"env prod", 5, `expected =, ==, !=, in or notin after key "env"`},
		{"env=prod db", 10, `expected "," between requirements`},
		{"-env=x", 1, `label key "-env" must begin and end`},
		{"env=pr od", 8, `expected "," between requirements`},
		{"env=-x", 5, `label "env" has value "-x"`},
		{"!", 2, "expected a label key"},
		{"env=(prod", 5, `expected "," between requirements`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.selector)
		var syn *SyntaxError
		if !errors.As(err, &syn) {
			t.Errorf("Parse(%q) = %v, want a SyntaxError", tc.selector, err)
			continue
		}
		if syn.Pos != tc.pos || !strings.Contains(syn.Msg, tc.msg) {
			t.Errorf("Parse(%q): at %d %q, want at %d %q", tc.selector, syn.Pos, syn.Msg, tc.pos, tc.msg)
		}
	}
}
