package emulator

import (
	"strings"
	"testing"
)

func TestValidateLabels(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		value  string
		wantOK bool
	}{
		{"plainKey", "env", "prod", true},
		{"prefixedKey", "example.com/my", "label", true},
		{"innerPunctuation", "a.b_c-d", "x.y_z-1", true},
		{"emptyValue", "just-a-key", "", true},
		{"nameOf63", strings.Repeat("k", 63), "v", true},
		{"valueOf63", "k", strings.Repeat("v", 63), true},
		{"singleCharacters", "k", "v", true},
		{"prefixOf253", strings.Repeat(strings.Repeat("p", 62)+".", 4) + "p/k", "v", true},
		{"nameOf64", strings.Repeat("k", 64), "v", false},
		{"valueOf64", "k", strings.Repeat("v", 64), false},
		{"leadingDash", "-k", "v", false},
		{"trailingDash", "k-", "v", false},
		{"twoSlashes", "a/b/c", "v", false},
		{"space", "a b", "v", false},
		{"emptyKey", "", "v", false},
		{"emptyName", "example.com/", "v", false},
		{"emptyPrefix", "/k", "v", false},
		{"reservedPrefix", "hetzner.cloud/k", "v", false},
		{"reservedPrefixAnyCase", "Hetzner.Cloud/k", "v", false},
		{"prefixOf254", strings.Repeat(strings.Repeat("p", 62)+".", 4) + "pp/k", "v", false},
		{"prefixLabelTooLong", strings.Repeat("p", 64) + ".com/k", "v", false},
		{"prefixWithUnderscore", "my_domain.com/k", "v", false},
		{"valueLeadingDot", "k", ".v", false},
		{"valueWithSlash", "k", "a/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := validateLabels(map[string]string{tt.key: tt.value})
			if ok := len(msgs) == 0; ok != tt.wantOK {
				t.Fatalf("validateLabels(%q: %q) = %q, want ok=%t", tt.key, tt.value, msgs, tt.wantOK)
			}
			if !tt.wantOK && !strings.Contains(msgs[0], tt.key) {
				t.Errorf("message %q does not name the key", msgs[0])
			}
		})
	}
}

func TestSelector_matches(t *testing.T) {
	labels := map[string]string{"env": "prod", "tier": "", "example.com/role": "web"}
	tests := []struct {
		selector string
		want     bool
	}{
		{"env=prod", true},
		{"env==prod", true},
		{"env=dev", false},
		{"env!=dev", true},
		{"env!=prod", false},
		{"missing!=x", true},
		{"env", true},
		{"tier", true},
		{"tier=", true},
		{"missing", false},
		{"!missing", true},
		{"!env", false},
		{"env in (dev,prod)", true},
		{"env in (dev)", false},
		{"missing in (x)", false},
		{"env notin (dev,qa)", true},
		{"env notin (prod)", false},
		{"missing notin (x)", true},
		{"example.com/role=web", true},
		{"env=prod,example.com/role in (web,db),!missing", true},
		{"env=prod,missing", false},
		{"  env  in  ( dev , prod )  ,  ! missing ", true},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			sel, err := parseSelector(tt.selector)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := sel.matches(labels); got != tt.want {
				t.Errorf("matches = %t, want %t", got, tt.want)
			}
		})
	}
}
