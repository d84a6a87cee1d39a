package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Images added on top of the seed for the list tests.
const (
	snapProd    int64 = 2001 // snapshot x86, env=prod team=a
	snapStaging int64 = 2002 // snapshot x86, env=staging
	backupDB    int64 = 2003 // backup bound to db-1, no labels
	snapARM     int64 = 2004 // snapshot arm, creating, env=prod example.com/role=web
)

func withListFixtures(t *testing.T, opts ...Options) *harness {
	h := newHarness(t, append(opts, Options{})[0])
	h.emu.AddImage(Image{ID: snapProd, Description: "prod", Labels: map[string]string{"env": "prod", "team": "a"}, Created: testEpoch.Add(-time.Hour)})
	h.emu.AddImage(Image{ID: snapStaging, Description: "staging", Labels: map[string]string{"env": "staging"}, Created: testEpoch.Add(-3 * time.Hour)})
	h.emu.AddImage(Image{ID: backupDB, Type: ImageTypeBackup, BoundTo: ptr(SeedServerBackups), Created: testEpoch.Add(-2 * time.Hour)})
	h.emu.AddImage(Image{ID: snapARM, Status: ImageStatusCreating, Architecture: "arm", Labels: map[string]string{"env": "prod", "example.com/role": "web"}})
	return h
}

func TestListImages_filters(t *testing.T) {
	h := withListFixtures(t)
	system := []int64{1001, 1002, 1003, 1004, 1006}
	tests := []struct {
		name  string
		query string
		want  []int64
	}{
		{"deprecatedHiddenByDefault", "", append(slices.Clone(system), 2001, 2002, 2003, 2004)},
		{"includeDeprecatedShowsThem", "?include_deprecated=true&type=system", []int64{1001, 1002, 1003, 1004, 1005}},
		{"nameIsExact", "?name=ubuntu-24.04", []int64{1001, 1002}},
		{"nameAndArchitecture", "?architecture=arm&include_deprecated=true&name=ubuntu-24.04", []int64{1002}},
		{"deprecatedNameNeedsIncludeDeprecated", "?name=ubuntu-20.04", []int64{}},
		{"typeRepeats", "?type=snapshot&type=backup", []int64{2001, 2002, 2003, 2004}},
		{"typeApp", "?type=app", []int64{1006}},
		{"status", "?status=creating", []int64{2004}},
		{"statusRepeats", "?status=creating&status=available&type=snapshot", []int64{2001, 2002, 2004}},
		{"boundTo", "?bound_to=102", []int64{2003}},
		{"boundToOtherServer", "?bound_to=101", []int64{}},
		{"architectureRepeats", "?architecture=x86&architecture=arm&type=snapshot", []int64{2001, 2002, 2004}},
		{"selectorEquals", "?label_selector=env%3Dprod", []int64{2001, 2004}},
		{"selectorDoubleEquals", "?label_selector=env%3D%3Dprod", []int64{2001, 2004}},
		{"selectorNotEqualsMatchesMissingKey", "?type=snapshot&type=backup&label_selector=env!%3Dprod", []int64{2002, 2003}},
		{"selectorExists", "?label_selector=team", []int64{2001}},
		{"selectorNotExists", "?type=snapshot&type=backup&label_selector=!env", []int64{2003}},
		{"selectorIn", "?label_selector=env+in+(prod,staging)", []int64{2001, 2002, 2004}},
		{"selectorInWithSpaces", "?label_selector=env+in+(+prod+,+staging+)", []int64{2001, 2002, 2004}},
		{"selectorNotInMatchesMissingKey", "?type=snapshot&type=backup&label_selector=env+notin+(prod)", []int64{2002, 2003}},
		{"selectorPrefixedKey", "?label_selector=example.com/role%3Dweb", []int64{2004}},
		{"selectorAnd", "?label_selector=env%3Dprod,team%3Da", []int64{2001}},
		{"selectorSetThenNot", "?label_selector=env+in+(prod,staging),!team", []int64{2002, 2004}},
		{"selectorWhitespaceAroundOperators", "?label_selector=+env+%3D+prod+,+team+", []int64{2001}},
		{"emptySelectorIsNoFilter", "?label_selector=&type=backup", []int64{2003}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			if got := h.listImageIDs(tt.query + sep(tt.query) + "per_page=50"); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

func sep(q string) string {
	if q == "" {
		return "?"
	}
	return "&"
}

func TestListImages_invalidQueryIsInvalidInput(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		query string
		field string
	}{
		{"type=iso", "type"},
		{"status=ready", "status"},
		{"architecture=mips", "architecture"},
		{"bound_to=web-1", "bound_to"},
		{"include_deprecated=maybe", "include_deprecated"},
		{"sort=size", "sort"},
		{"sort=id:up", "sort"},
		{"sort=id&sort=disk_size:asc", "sort"},
		{"page=0", "page"},
		{"page=x", "page"},
		{"per_page=0", "per_page"},
		{"per_page=-5", "per_page"},
		{"label_selector=%3Dprod", "label_selector"},
		{"label_selector=env+in+(prod", "label_selector"},
		{"label_selector=env+in+()", "label_selector"},
		{"label_selector=env+notin+prod", "label_selector"},
		{"label_selector=env+prod", "label_selector"},
		{"label_selector=env%3Dprod,", "label_selector"},
		{"label_selector=,env", "label_selector"},
		{"label_selector=!", "label_selector"},
		{"label_selector=a/b/c%3Dx", "label_selector"},
		{"label_selector=env%3Da+b", "label_selector"},
		{"label_selector=env%3D%3D%3Dx", "label_selector"},
		{"label_selector=hetzner.cloud/x%3D1", "label_selector"},
		{"label_selector=-env%3Dx", "label_selector"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h.t = t
			e := h.do("GET", "/v1/images?"+tt.query, "").wantError(t, http.StatusUnprocessableEntity, "invalid_input")
			if got := e.fieldNames(t); !slices.Equal(got, []string{tt.field}) {
				t.Errorf("fields = %v, want [%s]", got, tt.field)
			}
		})
	}
}

func TestListImages_sort(t *testing.T) {
	h := withListFixtures(t)
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{2001, 2002, 2003, 2004}},
		{"&sort=id:desc", []int64{2004, 2003, 2002, 2001}},
		{"&sort=created", []int64{2002, 2003, 2001, 2004}},
		{"&sort=created:desc", []int64{2004, 2001, 2003, 2002}},
		// Snapshots have no name: the secondary key decides.
		{"&sort=name&sort=created:desc", []int64{2004, 2001, 2003, 2002}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h.t = t
			if got := h.listImageIDs("?type=snapshot&type=backup" + tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("nameDescendingTiesByID", func(t *testing.T) {
		h.t = t
		want := []int64{1001, 1002, 1006, 1003, 1004}
		if got := h.listImageIDs("?type=system&type=app&sort=name:desc"); !slices.Equal(got, want) {
			t.Errorf("ids = %v, want %v", got, want)
		}
	})
}

func TestListImages_pagination(t *testing.T) {
	h := newHarness(t, Options{NoSeed: true})
	for range 60 {
		h.emu.AddImage(Image{})
	}
	page := func(query string) (imageList, result) {
		res := h.do("GET", "/v1/images"+query, "")
		res.wantStatus(t, http.StatusOK)
		var l imageList
		res.decode(t, &l)
		return l, res
	}
	intp := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	meta := func(p pagination) string {
		return fmt.Sprintf("page=%d per_page=%d prev=%s next=%s last=%s total=%s",
			p.Page, p.PerPage, intp(p.PreviousPage), intp(p.NextPage), intp(p.LastPage), intp(p.TotalEntries))
	}
	tests := []struct {
		name, query, wantMeta string
		wantLen               int
		wantFirst             int64
		wantLinks             []string
	}{
		{"defaultIs25", "", "page=1 per_page=25 prev=null next=2 last=3 total=60", 25, 1001, []string{`page=2&per_page=25>; rel="next"`, `page=3&per_page=25>; rel="last"`}},
		{"middlePage", "?page=2", "page=2 per_page=25 prev=1 next=3 last=3 total=60", 25, 1026, []string{`rel="prev"`, `rel="next"`, `rel="last"`}},
		{"lastPage", "?page=3", "page=3 per_page=25 prev=2 next=null last=3 total=60", 10, 1051, []string{`page=2&per_page=25>; rel="prev"`}},
		{"perPageCappedAt50", "?per_page=100", "page=1 per_page=50 prev=null next=2 last=2 total=60", 50, 1001, []string{`page=2&per_page=50>; rel="next"`}},
		{"pageBeyondEndIsEmpty", "?page=9&per_page=50", "page=9 per_page=50 prev=2 next=null last=2 total=60", 0, 0, []string{`page=2&per_page=50>; rel="prev"`}},
		{"onePageHasNoLink", "?per_page=50&type=system", "page=1 per_page=50 prev=null next=null last=1 total=0", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, res := page(tt.query)
			if got := meta(l.Meta.Pagination); got != tt.wantMeta {
				t.Errorf("meta = %s, want %s", got, tt.wantMeta)
			}
			if len(l.Images) != tt.wantLen || tt.wantLen > 0 && l.Images[0].ID != tt.wantFirst {
				t.Errorf("got %d images starting at %v, want %d from %d", len(l.Images), l.Images, tt.wantLen, tt.wantFirst)
			}
			link := res.header.Get("Link")
			if tt.wantLinks == nil && link != "" {
				t.Errorf("Link = %q, want none", link)
			}
			for _, want := range tt.wantLinks {
				if !strings.Contains(link, want) {
					t.Errorf("Link = %q, want it to contain %q", link, want)
				}
			}
			if tt.wantLinks != nil && !strings.Contains(link, "<"+h.srv.URL+"/v1/images?") {
				t.Errorf("Link = %q does not point at the emulator", link)
			}
		})
	}
}

func TestGetImage(t *testing.T) {
	h := newHarness(t, Options{})
	img := h.getImage(SeedImageUbuntu2404ARM)
	if deref(img.Name) != "ubuntu-24.04" || img.Architecture != "arm" || img.Type != ImageTypeSystem || !img.RapidDeploy || deref(img.OSVersion) != "24.04" {
		t.Errorf("image = %+v", img)
	}
	h.do("GET", "/v1/images/999999", "").wantError(t, http.StatusNotFound, "not_found")
	h.do("GET", "/v1/images/"+itoa(SeedServerNoBackups), "").wantError(t, http.StatusNotFound, "not_found")
}

func TestUpdateImage(t *testing.T) {
	tests := []struct {
		name       string
		image      int64
		body       string
		wantStatus int
		wantCode   string
		check      func(t *testing.T, img Image)
	}{
		{"descriptionChanges", snapProd, `{"description":"new"}`, 200, "", func(t *testing.T, img Image) {
			if img.Description != "new" || img.Labels["env"] != "prod" {
				t.Errorf("image = %+v", img)
			}
		}},
		{"emptyDescriptionIsAllowed", snapProd, `{"description":""}`, 200, "", func(t *testing.T, img Image) {
			if img.Description != "" {
				t.Errorf("description = %q", img.Description)
			}
		}},
		{"nullDescriptionIsAbsent", snapProd, `{"description":null}`, 200, "", func(t *testing.T, img Image) {
			if img.Description != "prod" {
				t.Errorf("description = %q", img.Description)
			}
		}},
		{"labelsReplaceTheWholeSet", snapProd, `{"labels":{"tier":"gold","example.com/x":""}}`, 200, "", func(t *testing.T, img Image) {
			if len(img.Labels) != 2 || img.Labels["tier"] != "gold" || img.Labels["example.com/x"] != "" {
				t.Errorf("labels = %v", img.Labels)
			}
		}},
		{"emptyLabelsClear", snapProd, `{"labels":{}}`, 200, "", func(t *testing.T, img Image) {
			if len(img.Labels) != 0 {
				t.Errorf("labels = %v", img.Labels)
			}
		}},
		{"typeSnapshotConvertsBackupAndUnbinds", backupDB, `{"type":"snapshot"}`, 200, "", func(t *testing.T, img Image) {
			if img.Type != ImageTypeSnapshot || img.BoundTo != nil {
				t.Errorf("type = %s bound_to = %v", img.Type, img.BoundTo)
			}
		}},
		{"typeSnapshotOnSnapshotIsNoOp", snapProd, `{"type":"snapshot"}`, 200, "", func(t *testing.T, img Image) {
			if img.Type != ImageTypeSnapshot || img.Description != "prod" {
				t.Errorf("image = %+v", img)
			}
		}},
		{"backupLabelsCanChange", backupDB, `{"labels":{"a":"b"}}`, 200, "", func(t *testing.T, img Image) {
			if img.Type != ImageTypeBackup || img.BoundTo == nil || img.Labels["a"] != "b" {
				t.Errorf("image = %+v", img)
			}
		}},
		{"typeBackupIsInvalid", snapProd, `{"type":"backup"}`, 422, "invalid_input", nil},
		{"descriptionMustBeString", snapProd, `{"description":5}`, 422, "invalid_input", nil},
		{"labelValuesMustBeStrings", snapProd, `{"labels":{"a":1}}`, 422, "invalid_input", nil},
		{"labelsMustBeObject", snapProd, `{"labels":["a"]}`, 422, "invalid_input", nil},
		{"bodyMustBeObject", snapProd, `[1]`, 422, "invalid_input", nil},
		{"invalidLabelKey", snapProd, `{"labels":{"-bad":"x"}}`, 422, "invalid_input", nil},
		{"reservedLabelPrefix", snapProd, `{"labels":{"hetzner.cloud/x":"y"}}`, 422, "invalid_input", nil},
		{"malformedJSON", snapProd, `{"description":`, 400, "json_error", nil},
		{"systemImageIsForbidden", SeedImageDebian12, `{"description":"x"}`, 403, "forbidden", nil},
		{"appImageIsForbidden", SeedImageDockerCEApp, `{"description":"x"}`, 403, "forbidden", nil},
		{"unknownImageIsNotFound", 999999, `{"description":"x"}`, 404, "not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := withListFixtures(t)
			res := h.do("PUT", "/v1/images/"+itoa(tt.image), tt.body)
			if tt.wantCode != "" {
				res.wantError(t, tt.wantStatus, tt.wantCode)
				if tt.image == snapProd {
					if img, _ := h.emu.Image(snapProd); img.Description != "prod" || len(img.Labels) != 2 {
						t.Errorf("a refused update changed the image: %+v", img)
					}
				}
				return
			}
			res.wantStatus(t, tt.wantStatus)
			var got imageResponse
			res.decode(t, &got)
			tt.check(t, got.Image)
			stored, _ := h.emu.Image(tt.image)
			tt.check(t, stored)
		})
	}
}

func TestUpdateImage_invalidLabelNamesTheKey(t *testing.T) {
	h := withListFixtures(t)
	e := h.do("PUT", "/v1/images/2001", `{"labels":{"ok":"fine","bad key":"x"}}`).wantError(t, 422, "invalid_input")
	if got := e.fieldNames(t); !slices.Equal(got, []string{"labels"}) {
		t.Errorf("fields = %v", got)
	}
	if !strings.Contains(string(e.Error.Details), `bad key`) || strings.Contains(string(e.Error.Details), `\"ok\"`) {
		t.Errorf("details = %s, want a message naming only the bad key", e.Error.Details)
	}
}

func TestDeleteImage(t *testing.T) {
	h := withListFixtures(t)
	res := h.do("DELETE", "/v1/images/2001", "")
	res.wantStatus(t, http.StatusNoContent)
	if len(res.raw) != 0 {
		t.Errorf("204 body = %q", res.raw)
	}
	h.do("GET", "/v1/images/2001", "").wantError(t, 404, "not_found")
	h.do("DELETE", "/v1/images/2001", "").wantError(t, 404, "not_found")
	h.do("DELETE", "/v1/images/2003", "").wantStatus(t, http.StatusNoContent)
	h.do("DELETE", "/v1/images/1001", "").wantError(t, 403, "forbidden")
	h.do("DELETE", "/v1/images/1006", "").wantError(t, 403, "forbidden")
}

func TestDeleteImage_protectedIsRefused(t *testing.T) {
	h := withListFixtures(t)
	h.do("POST", "/v1/images/2002/actions/change_protection", `{"delete":true}`).wantStatus(t, 201)
	h.do("DELETE", "/v1/images/2002", "").wantError(t, 423, "protected")
	h.do("POST", "/v1/images/2002/actions/change_protection", `{"delete":false}`).wantStatus(t, 201)
	h.do("DELETE", "/v1/images/2002", "").wantStatus(t, 204)
}

func TestDeleteImage_whileCreatingIsLocked(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Minute})
	c := h.createImage(SeedServerNoBackups, `{}`)
	h.do("DELETE", "/v1/images/"+itoa(c.Image.ID), "").wantError(t, 423, "locked")
	h.clock.Advance(time.Minute)
	h.do("DELETE", "/v1/images/"+itoa(c.Image.ID), "").wantStatus(t, 204)
}
