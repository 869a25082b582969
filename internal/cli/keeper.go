package cli

import (
	"context"

	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
)

// openKeeper opens the data directory's secrets keeper. When its local
// key is missing while remotes in st have passwords sealed with it, it
// refuses (secret.OpenSealed) instead of making a new key none of them
// would open under.
func openKeeper(ctx context.Context, root, keeperURL string, st store.Store) (*secret.Keeper, error) {
	return secret.OpenSealed(ctx, root, keeperURL, func(ctx context.Context) ([]string, error) {
		rs, err := st.Remotes(ctx)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, r := range rs {
			if len(r.PasswordEnc) > 0 {
				names = append(names, r.Name)
			}
		}
		return names, nil
	})
}
