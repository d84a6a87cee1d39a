// Package subset cuts the part of the Hetzner Cloud OpenAPI document that the
// emulator serves out of the full document, so that the repository can carry a
// small, reviewable copy instead of the 1.3 MB original.
//
// It lives in its own package (not in package spec) so that the generator does
// not depend on the embedded file it produces: deleting openapi-images.json
// and regenerating it must work.
package subset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Paths are the API paths the emulator serves; every operation under them is kept.
var Paths = []string{
	"/actions",
	"/actions/{id}",
	"/images",
	"/images/actions",
	"/images/actions/{id}",
	"/images/{id}",
	"/images/{id}/actions",
	"/images/{id}/actions/change_protection",
	"/images/{id}/actions/{action_id}",
	"/servers",
	"/servers/{id}",
	"/servers/{id}/actions",
	"/servers/{id}/actions/change_protection",
	"/servers/{id}/actions/change_type",
	"/servers/{id}/actions/create_image",
	"/servers/{id}/actions/disable_backup",
	"/servers/{id}/actions/enable_backup",
	"/servers/{id}/actions/poweroff",
	"/servers/{id}/actions/poweron",
	"/servers/{id}/actions/reboot",
	"/servers/{id}/actions/reset",
	"/servers/{id}/actions/shutdown",
	"/server_types",
	"/server_types/{id}",
	"/ssh_keys",
	"/ssh_keys/{id}",
}

// Source describes where the input document came from. It is recorded in the
// output as info.x-extract so that the committed file explains itself.
type Source struct {
	Repository string // e.g. "MaximilianKoestler/hcloud-openapi"
	Commit     string // commit of Repository the document was taken from
	Path       string // path of the document inside Repository
	File       string // file name the generator read (base name only, so output does not depend on the checkout location)
	License    string
	Generator  string // import path of the generator, so readers know how to regenerate
}

// Default is the provenance of the copy in ../shared/hcloud-api (see its SOURCE.md).
var Default = Source{
	Repository: "MaximilianKoestler/hcloud-openapi",
	Commit:     "5f93a6da71d38a8290f6e7542978a274187268ef",
	Path:       "openapi/hcloud.json",
	File:       "openapi.json",
	License:    "MIT",
	Generator:  "internal/emulator/spec/extract",
}

// Extract returns the subset of the OpenAPI document src: openapi, info (with
// provenance in info.x-extract), servers, the top-level security requirement,
// the tags used by kept operations, the kept paths and the $ref closure of
// components. The output is indented JSON with sorted keys, so the same input
// always yields the same bytes.
func Extract(src []byte, from Source) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(src))
	// UseNumber keeps numbers byte-exact (e.g. 9007199254740991 would become
	// 9.007199254740991e+15 through float64).
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse source: %w", err)
	}

	srcPaths, _ := doc["paths"].(map[string]any)
	srcComponents, _ := doc["components"].(map[string]any)

	info, ok := doc["info"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("source has no info object")
	}
	sum := sha256.Sum256(src)
	info["x-extract"] = map[string]any{
		"source_repository": from.Repository,
		"source_commit":     from.Commit,
		"source_path":       from.Path,
		"source_file":       from.File,
		"source_sha256":     hex.EncodeToString(sum[:]),
		"source_bytes":      len(src),
		"license":           from.License,
		"generator":         from.Generator,
		"paths":             Paths,
	}

	out := map[string]any{
		"openapi": doc["openapi"],
		"info":    info,
		"servers": doc["servers"],
	}
	if s, ok := doc["security"]; ok {
		out["security"] = s
	}

	c := closure{src: srcComponents, keep: map[string]map[string]any{}}
	paths := map[string]any{}
	usedTags := map[string]bool{}
	for _, p := range Paths {
		item, ok := srcPaths[p].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("source has no path %q", p)
		}
		paths[p] = item
		for _, op := range item {
			if op, ok := op.(map[string]any); ok {
				for _, t := range asSlice(op["tags"]) {
					if t, ok := t.(string); ok {
						usedTags[t] = true
					}
				}
				c.security(op["security"])
			}
		}
		if err := c.walk(item); err != nil {
			return nil, fmt.Errorf("path %s: %w", p, err)
		}
	}
	out["paths"] = paths
	c.security(doc["security"])
	if c.err != nil {
		return nil, c.err
	}

	var tags []any
	for _, t := range asSlice(doc["tags"]) {
		if m, ok := t.(map[string]any); ok && usedTags[fmt.Sprint(m["name"])] {
			tags = append(tags, m)
		}
	}
	if len(tags) > 0 {
		out["tags"] = tags
	}

	components := map[string]any{}
	for section, names := range c.keep {
		components[section] = names
	}
	out["components"] = components

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep descriptions and code samples readable
	enc.SetIndent("", "  ")
	// encoding/json writes map keys in sorted order, which makes the output stable.
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// closure collects every component reachable from the values it walks.
type closure struct {
	src  map[string]any            // source components by section
	keep map[string]map[string]any // kept components by section and name
	err  error
}

func (c *closure) walk(v any) error {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			if err := c.add(ref); err != nil {
				return err
			}
		}
		// discriminator.mapping values are references too, written as plain strings.
		if d, ok := v["discriminator"].(map[string]any); ok {
			if m, ok := d["mapping"].(map[string]any); ok {
				for _, ref := range m {
					if ref, ok := ref.(string); ok && strings.HasPrefix(ref, "#/") {
						if err := c.add(ref); err != nil {
							return err
						}
					}
				}
			}
		}
		for _, k := range sortedKeys(v) {
			if err := c.walk(v[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range v {
			if err := c.walk(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// add keeps the component a local reference "#/components/<section>/<name>"
// points to, and walks it once.
func (c *closure) add(ref string) error {
	parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if !strings.HasPrefix(ref, "#/components/") || len(parts) != 3 {
		return fmt.Errorf("unsupported reference %q (only #/components/<section>/<name>)", ref)
	}
	section, name := parts[1], unescapePointer(parts[2])
	if _, done := c.keep[section][name]; done {
		return nil
	}
	sec, _ := c.src[section].(map[string]any)
	target, ok := sec[name]
	if !ok {
		return fmt.Errorf("dangling reference %q", ref)
	}
	if c.keep[section] == nil {
		c.keep[section] = map[string]any{}
	}
	c.keep[section][name] = target // mark before walking: schemas may be recursive
	return c.walk(target)
}

// security keeps the security schemes that a security requirement list names;
// they are referenced by name, not by $ref.
func (c *closure) security(reqs any) {
	for _, req := range asSlice(reqs) {
		m, _ := req.(map[string]any)
		for _, name := range sortedKeys(m) {
			if err := c.add("#/components/securitySchemes/" + escapePointer(name)); err != nil && c.err == nil {
				c.err = err
			}
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// JSON pointer escaping (RFC 6901).
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
