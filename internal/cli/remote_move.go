package cli

import (
	"context"
	"fmt"
	"path"

	"github.com/wharf-mft/wharf/internal/store"
)

// syncsOf returns the syncs of the remote called name.
func syncsOf(ctx context.Context, st store.Store, name string) ([]store.Sync, error) {
	all, err := st.Syncs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list syncs: %w", err)
	}
	var out []store.Sync
	for _, sy := range all {
		if sy.Remote == name {
			out = append(out, sy)
		}
	}
	return out, nil
}

// remotePlace is the URL of the folder remotePath (relative to the root)
// of a remote with settings s: where a sync of it kept its files.
func remotePlace(s store.RemoteSettings, remotePath string) string {
	s.Root = path.Join("/", s.Root, remotePath)
	if s.Root == "/" {
		s.Root = ""
	}
	return remoteURL(s)
}
