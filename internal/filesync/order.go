package filesync

import (
	"cmp"
	"path"
	"slices"
)

// largeFile is the size from which a copy is started ahead of the rest.
const largeFile = 1 << 20

// workOrder returns the order in which the workers take copies: large
// files first, largest first, so that none is left running alone at the
// end of the run; then the rest taken from each folder in turn, so that
// parallel transfers land in different folders. A server creating and
// renaming files for several sessions in one folder serializes them on
// that folder's lock (vsftpd on Linux spent a tenth of its time spinning
// on it in a push of 100 files a folder). Within a folder the plan's order
// is kept.
func workOrder(items []Item) []Item {
	var large, small []Item
	for _, it := range items {
		if s := copySize(it); s >= largeFile {
			large = append(large, it)
		} else {
			small = append(small, it)
		}
	}
	slices.SortStableFunc(large, func(a, b Item) int { return cmp.Compare(copySize(b), copySize(a)) })

	var dirs []string
	byDir := map[string][]Item{}
	for _, it := range small {
		d := path.Dir(it.Path)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], it)
	}
	out := append(make([]Item, 0, len(items)), large...)
	for len(out) < len(items) {
		for _, d := range dirs {
			if q := byDir[d]; len(q) > 0 {
				out = append(out, q[0])
				byDir[d] = q[1:]
			}
		}
	}
	return out
}

// copySize is the size of the file a copy or conflict moves: the source's.
func copySize(it Item) int64 {
	switch {
	case it.Action == Push && it.Local != nil:
		return it.Local.Size
	case it.Action == Pull && it.Remote != nil:
		return it.Remote.Size
	}
	return 0
}
