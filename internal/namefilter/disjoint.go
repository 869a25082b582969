package namefilter

import (
	"path"
	"slices"
	"strings"
)

// Disjoint reports whether no base name (one without "/") can pass both a
// and b. It is
// conservative: true means provably disjoint; false means some name may
// pass both (or the check cannot tell). It proves disjointness when every
// include of one filter is either excluded outright by the other or cannot
// match the same name as any of the other's includes: two globs cannot when
// their literal beginnings or literal endings differ ("*.edi" and "*.x12",
// "acme_*" and "bank_*").
func Disjoint(a, b Filter) bool {
	return a.excludesAllOf(b) || b.excludesAllOf(a) || includesDisjoint(a, b)
}

// excludesAllOf reports whether f excludes every name g includes.
func (f Filter) excludesAllOf(g Filter) bool {
	if len(g.include) == 0 {
		return slices.Contains(f.exclude, "*")
	}
	for _, p := range g.include {
		if !f.excludesPattern(p) {
			return false
		}
	}
	return true
}

// excludesPattern reports whether an exclude of f matches every name p
// matches: the same pattern, "*", or "*SUFFIX" where p ends in a literal
// with that suffix.
func (f Filter) excludesPattern(p string) bool {
	_, pSuf := literalEnds(p)
	for _, q := range f.exclude {
		switch {
		case q == p, q == "*":
			return true
		case strings.HasPrefix(q, "*") && !hasMeta(q[1:]) && strings.HasSuffix(pSuf, q[1:]):
			return true
		}
	}
	return false
}

// includesDisjoint reports whether both filters have includes and no
// include of a can match a name an include of b matches.
func includesDisjoint(a, b Filter) bool {
	if len(a.include) == 0 || len(b.include) == 0 {
		return false
	}
	for _, p := range a.include {
		if b.excludesPattern(p) {
			continue
		}
		for _, q := range b.include {
			if a.excludesPattern(q) {
				continue
			}
			if !globsDisjoint(p, q) {
				return false
			}
		}
	}
	return true
}

// globsDisjoint reports whether globs p and q provably match no name in
// common.
func globsDisjoint(p, q string) bool {
	switch {
	case !hasMeta(p) && !hasMeta(q):
		return p != q
	case !hasMeta(p):
		ok, _ := path.Match(q, p)
		return !ok
	case !hasMeta(q):
		ok, _ := path.Match(p, q)
		return !ok
	}
	pPre, pSuf := literalEnds(p)
	qPre, qSuf := literalEnds(q)
	prefixes := strings.HasPrefix(pPre, qPre) || strings.HasPrefix(qPre, pPre)
	suffixes := strings.HasSuffix(pSuf, qSuf) || strings.HasSuffix(qSuf, pSuf)
	return !prefixes || !suffixes
}

const meta = `*?[\`

func hasMeta(p string) bool { return strings.ContainsAny(p, meta) }

// literalEnds returns the literal text before p's first metacharacter and
// after its last one (all of p when it has none). "]" closes a class, so it
// ends the literal tail too. An escaped character counts as a
// metacharacter: the ends are shorter than they could be, never wrong.
func literalEnds(p string) (prefix, suffix string) {
	i := strings.IndexAny(p, meta)
	if i < 0 {
		return p, p
	}
	j := strings.LastIndexAny(p, meta+"]")
	return p[:i], p[j+1:]
}
