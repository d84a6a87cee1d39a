package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	const doc = `{"image":{"id":1000123,"labels":{"a":"1","b":"2"}},"images":[{"id":1},{"id":2}],"total":37}`
	for path, want := range map[string]string{
		"image.id":       "1000123\n",
		"image.labels.#": "2\n",
		"images.#":       "2\n",
		"images.1.id":    "2\n",
		"total":          "37\n",
	} {
		var out bytes.Buffer
		if err := run([]string{"get", path}, strings.NewReader(doc), &out); err != nil {
			t.Errorf("get %s: %v", path, err)
			continue
		}
		if out.String() != want {
			t.Errorf("get %s = %q, want %q", path, out.String(), want)
		}
	}
	for _, path := range []string{"image.name", "images.2", "total.x"} {
		if err := run([]string{"get", path}, strings.NewReader(doc), &bytes.Buffer{}); err == nil {
			t.Errorf("get %s: no error for a path that is not there", path)
		}
	}
}

func TestImages(t *testing.T) {
	const doc = `{"images":[{"id":7,"type":"snapshot","status":"available","created_from":{"id":101,"name":"web-1"},
		"protection":{"delete":true},"labels":{"role":"web","env":"demo"}}]}`
	var out bytes.Buffer
	if err := run([]string{"images"}, strings.NewReader(doc), &out); err != nil {
		t.Fatal(err)
	}
	want := "  image 7: snapshot of web-1, available, protected true, labels env=demo,role=web\n  (1 image)\n"
	if out.String() != want {
		t.Fatalf("images printed\n%s\nwant\n%s", out.String(), want)
	}
}
