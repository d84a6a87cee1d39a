// Command scriptutil does for the scripts what would otherwise need python3 or jq: it reads the
// API's JSON answers for the demo and lists a zip file for the release check.
//
//	scriptutil get PATH <answer.json    one value; PATH is keys joined by dots, "#" is a length
//	scriptutil images <images.json      one line per image of GET /images, then the count
//	scriptutil zip FILE                 the names of the files in a zip, one a line
package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scriptutil:", err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out io.Writer) error {
	switch {
	case len(args) == 2 && args[0] == "get":
		var doc any
		if err := json.NewDecoder(in).Decode(&doc); err != nil {
			return err
		}
		v, err := get(doc, args[1]) //nolint:gosec // G602: this case holds only when len(args) == 2
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, v)
		return err
	case len(args) == 1 && args[0] == "images":
		return images(in, out)
	case len(args) == 2 && args[0] == "zip":
		r, err := zip.OpenReader(args[1])
		if err != nil {
			return err
		}
		defer func() { _ = r.Close() }()
		for _, f := range r.File {
			if _, err := fmt.Fprintln(out, f.Name); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("usage: scriptutil get PATH | images | zip FILE (got %q)", args)
}

// get follows a dotted path of object keys; "#" gives the length of an array or object.
func get(doc any, path string) (any, error) {
	v := doc
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			if key == "#" {
				v = len(x)
				continue
			}
			next, ok := x[key]
			if !ok {
				return nil, fmt.Errorf("%s: no key %q", path, key)
			}
			v = next
		case []any:
			if key == "#" {
				v = len(x)
				continue
			}
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%s: no element %q in a list of %d", path, key, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%s: %q is below a value that is neither an object nor a list", path, key)
		}
	}
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return int64(f), nil // ids and counts, not 1.01e+06
	}
	return v, nil
}

func images(in io.Reader, out io.Writer) error {
	var answer struct {
		Images []struct {
			ID          int64  `json:"id"`
			Type        string `json:"type"`
			Status      string `json:"status"`
			CreatedFrom struct {
				Name string `json:"name"`
			} `json:"created_from"`
			Protection struct {
				Delete bool `json:"delete"`
			} `json:"protection"`
			Labels map[string]string `json:"labels"`
		} `json:"images"`
	}
	if err := json.NewDecoder(in).Decode(&answer); err != nil {
		return err
	}
	for _, i := range answer.Images {
		labels := make([]string, 0, len(i.Labels))
		for k, v := range i.Labels {
			labels = append(labels, k+"="+v)
		}
		sort.Strings(labels)
		if _, err := fmt.Fprintf(out, "  image %d: %s of %s, %s, protected %t, labels %s\n",
			i.ID, i.Type, i.CreatedFrom.Name, i.Status, i.Protection.Delete, strings.Join(labels, ",")); err != nil {
			return err
		}
	}
	plural := "s"
	if len(answer.Images) == 1 {
		plural = ""
	}
	_, err := fmt.Fprintf(out, "  (%d image%s)\n", len(answer.Images), plural)
	return err
}
