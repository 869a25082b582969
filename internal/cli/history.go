package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/store"
)

// pruneEvery is how often 'wharf serve' prunes the history.
const pruneEvery = time.Hour

// pruneHistory deletes the history older than keep at once and then every
// pruneEvery, until ctx ends. keep 0 keeps everything.
func pruneHistory(ctx context.Context, st store.Store, keep time.Duration, log *slog.Logger) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		before := time.Now().Add(-keep)
		p, err := st.PruneHistory(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("prune history", "err", err, "keep_history", config.FormatDuration(keep))
		case p != (store.Pruned{}):
			log.Info("pruned history", "before", before.UTC().Format(time.RFC3339),
				"events", p.Events, "sync_runs", p.Runs, "sync_ops", p.Ops)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newEventsPrune(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete events and sync run history older than keep_history (default 90d)",
		Long: `Delete the events, and the sync runs with their per-file records, that are
older than --older-than (default: the keep_history setting, 90 days unless
configured otherwise). 'wharf serve' does the same by itself every hour;
this command is for a data directory that no server runs on, or to free
space now.

What a sync needs is never deleted: each sync's latest run, a run still
marked running and a run with a copy still in progress (the next run's
recovery reads them), and the synced state of every file, which is not
history (a file pushed once stays pushed).`,
		Example: `  wharf events prune
  wharf events prune --older-than 30d
  WHARF_KEEP_HISTORY=365d wharf serve   # keep a year instead`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, _, st, err := a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if cfg.KeepHistory < 0 {
				return fmt.Errorf("--older-than %s: want a positive duration such as 30d", config.FormatDuration(cfg.KeepHistory))
			}
			if cfg.KeepHistory == 0 && cmd.Flags().Changed("older-than") {
				return fmt.Errorf("--older-than 0 would delete all history: give an age such as 30d or 1h (what syncs need is kept either way)")
			}
			if cfg.KeepHistory == 0 {
				return fmt.Errorf("keep_history is 0 (keep everything), so there is nothing to prune: give --older-than, e.g. 90d")
			}
			before := time.Now().Add(-cfg.KeepHistory)
			p, err := st.PruneHistory(ctx, before)
			if err != nil {
				return fmt.Errorf("prune history: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %d events, %d sync runs and %d sync file records from before %s (older than %s)\n",
				p.Events, p.Runs, p.Ops, before.Local().Format(time.RFC3339), config.FormatDuration(cfg.KeepHistory))
			return nil
		},
	}
	configFlag(cmd.Flags(), "older-than", "keep_history", "", "delete what is older than this, e.g. 30d or 12h (default: keep_history)")
	return cmd
}
