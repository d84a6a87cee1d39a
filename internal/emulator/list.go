package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	defaultPerPage = 25
	maxPerPage     = 50
)

// pagination is meta.pagination. Every key is required by the spec; the
// nullable ones are pointers so that "none" is sent as null.
type pagination struct {
	Page         int  `json:"page"`
	PerPage      int  `json:"per_page"`
	PreviousPage *int `json:"previous_page"`
	NextPage     *int `json:"next_page"`
	LastPage     *int `json:"last_page"`
	TotalEntries *int `json:"total_entries"`
}

type listMeta struct {
	Pagination pagination `json:"pagination"`
}

// pageParams reads page and per_page. per_page above 50 is capped rather than
// refused [assumed]; non-integers and values below 1 are invalid_input.
func pageParams(q url.Values) (page, perPage int, err *apiError) {
	page, perPage = 1, defaultPerPage
	if v := q.Get("page"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 1 {
			return 0, 0, invalidInput("page", "must be an integer >= 1")
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 1 {
			return 0, 0, invalidInput("per_page", "must be an integer >= 1")
		}
		perPage = min(n, maxPerPage)
	}
	return page, perPage, nil
}

// paginate returns the slice bounds of the page and its meta. A page past the
// end is empty, not an error.
func paginate(total, page, perPage int) (lo, hi int, p pagination) {
	last := max(1, (total+perPage-1)/perPage)
	p = pagination{Page: page, PerPage: perPage, LastPage: &last, TotalEntries: &total}
	if page > 1 {
		prev := min(page-1, last)
		p.PreviousPage = &prev
	}
	if page < last {
		next := page + 1
		p.NextPage = &next
	}
	lo = min((page-1)*perPage, total)
	hi = min(lo+perPage, total)
	return lo, hi, p
}

// setLink adds the Link header with prev, next and last, each only when it
// applies, keeping the request's other query parameters.
func setLink(h http.Header, r *http.Request, p pagination) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	link := func(page int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(p.PerPage))
		u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var parts []string
	if p.PreviousPage != nil {
		parts = append(parts, link(*p.PreviousPage, "prev"))
	}
	if p.NextPage != nil {
		parts = append(parts, link(*p.NextPage, "next"))
	}
	if p.LastPage != nil && *p.LastPage != p.Page {
		parts = append(parts, link(*p.LastPage, "last"))
	}
	if len(parts) > 0 {
		h.Set("Link", strings.Join(parts, ", "))
	}
}

// sortKey is one sort=field[:asc|:desc] parameter.
type sortKey struct {
	field string
	desc  bool
}

func parseSort(values []string, fields ...string) ([]sortKey, *apiError) {
	keys := make([]sortKey, 0, len(values))
	for _, v := range values {
		field, dir, hasDir := strings.Cut(v, ":")
		if !slices.Contains(fields, field) || hasDir && dir != "asc" && dir != "desc" {
			return nil, invalidInput("sort", fmt.Sprintf("%q is not a valid sort; use one of %s, optionally with :asc or :desc", v, strings.Join(fields, ", ")))
		}
		keys = append(keys, sortKey{field: field, desc: dir == "desc"})
	}
	return keys, nil
}

// sortBy orders items by keys, first key primary, ties by ascending id, so
// that pages are stable. cmp compares two items on one field.
func sortBy[T any](items []T, keys []sortKey, cmp func(a, b T, field string) int) {
	slices.SortStableFunc(items, func(a, b T) int {
		for _, k := range keys {
			c := cmp(a, b, k.field)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp(a, b, "id")
	})
}

// enumParams reads a repeatable enum query parameter.
func enumParams(q url.Values, name string, allowed ...string) ([]string, *apiError) {
	vals := q[name]
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return nil, invalidInput(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
		}
	}
	return vals, nil
}

// idParams reads a repeatable integer id query parameter.
func idParams(q url.Values, name string) ([]int64, *apiError) {
	ids := make([]int64, 0, len(q[name]))
	for _, v := range q[name] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, invalidInput(name, fmt.Sprintf("%q is not a valid ID", v))
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// pageOf sorts items by the request's sort parameters (each one of fields) and cuts out the
// requested page.
func pageOf[T any](rq *request, items []T, compare func(a, b T, field string) int, fields ...string) ([]T, pagination, *apiError) {
	q := rq.http.URL.Query()
	keys, err := parseSort(q["sort"], fields...)
	if err != nil {
		return nil, pagination{}, err
	}
	page, perPage, err := pageParams(q)
	if err != nil {
		return nil, pagination{}, err
	}
	sortBy(items, keys, compare)
	lo, hi, p := paginate(len(items), page, perPage)
	return items[lo:hi], p, nil
}

// listReply is a list response: the page's items under key, meta.pagination, and the Link
// header.
func listReply(rq *request, key string, items any, p pagination) reply {
	rep := jsonReply(http.StatusOK, map[string]any{key: items, "meta": listMeta{p}})
	setLink(rep.header, rq.http, p)
	return rep
}
