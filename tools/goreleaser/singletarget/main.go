// Command singletarget prints a GoReleaser configuration whose builds produce one platform only:
// it reads the configuration as YAML, replaces each build's goos/goarch/goarm/ignore matrix by
// `targets: [TARGET]`, and leaves every other setting as it is. `goreleaser release` has no
// --single-target, and the snapshot of the whole matrix takes many minutes; release-check uses
// this instead of editing the file as text.
//
//	go run ./singletarget CONFIG TARGET >single.yml     (TARGET like linux_amd64_v1)
package main

import (
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: singletarget CONFIG TARGET")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "singletarget:", err)
		os.Exit(1)
	}
}

func run(path, target string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return errors.New(path + " is not a YAML mapping")
	}
	builds := value(doc.Content[0], "builds")
	if builds == nil || builds.Kind != yaml.SequenceNode || len(builds.Content) == 0 {
		return errors.New(path + " has no builds list")
	}
	for _, build := range builds.Content {
		if build.Kind != yaml.MappingNode {
			return errors.New(path + ": a build is not a mapping")
		}
		var kept []*yaml.Node
		for i := 0; i+1 < len(build.Content); i += 2 {
			switch build.Content[i].Value {
			case "goos", "goarch", "goarm", "goamd64", "goarm64", "ignore", "targets":
				continue
			}
			kept = append(kept, build.Content[i], build.Content[i+1])
		}
		build.Content = append(kept,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "targets"},
			&yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: target}}})
	}
	enc := yaml.NewEncoder(os.Stdout)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return enc.Close()
}

// value returns the value of key in a mapping node, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
