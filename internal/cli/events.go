package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-mft/wharf/internal/store"
)

func newEvents(a *app) *cobra.Command {
	var (
		follow, asJSON bool
		sinceID        int64
		limit          int
		kinds          []string
		account        string
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Print the event log: logins, uploads, downloads, deletes",
		Long: `Print the event log, oldest first: logins (and failed ones), files received
and sent, deletes, renames, aborted transfers. Each line shows the event's ID,
time, kind, account, path, size and the client's address. The kinds: login,
login_failed, received, sent, deleted, renamed, mkdir, rmdir, aborted,
session_closed, ip_banned, ip_ban_lifted, sync_run, sync_file.

Without --since-id the last --limit events are shown; with it, up to --limit
events after that ID. --follow then keeps printing new events as they arrive
(checking twice a second) until interrupted. --json prints one JSON object per
line, for scripts. --kind (one or more, comma-separated) and --account
show only those events; the limit counts the events shown.

Events and sync run history older than keep_history (default 90 days) are
deleted by 'wharf serve' every hour; 'wharf events prune' does it now.`,
		Example: `  wharf events
  wharf events --limit 20
  wharf events --since-id 1500
  wharf events --follow
  wharf events --kind received,sent --account acme
  wharf events --account sync:acme-out --limit 10
  wharf events --follow --json | jq -c 'select(.kind == "received")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return fmt.Errorf("--limit %d: want 1 or more", limit)
			}
			if sinceID < 0 {
				return fmt.Errorf("--since-id %d: want 0 or more", sinceID)
			}
			for i, k := range kinds {
				k = strings.TrimSpace(k) // --kind "received, sent"
				kinds[i] = k
				if !slices.Contains(store.EventKinds, k) {
					return fmt.Errorf("--kind %q: want one of %s", k, strings.Join(store.EventKinds, ", "))
				}
			}
			filter := store.EventFilter{Kinds: kinds, Account: account}
			ctx := cmd.Context()
			_, _, st, err := a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			p := &eventPrinter{w: cmd.OutOrStdout(), json: asJSON}
			evs, err := st.FilterEvents(ctx, filter, sinceID, limit, !cmd.Flags().Changed("since-id"))
			if err != nil {
				return fmt.Errorf("read events: %w", err)
			}
			last := p.print(evs, sinceID)
			if !follow {
				switch {
				case len(evs) > 0 || asJSON:
				case cmd.Flags().Changed("since-id"):
					fmt.Fprintf(cmd.OutOrStdout(), "no events after ID %d\n", sinceID)
				case account != "" && !strings.HasPrefix(account, "sync:") && noAccount(ctx, st, account):
					// A removed account's events stay, so this is a typo.
					fmt.Fprintf(cmd.OutOrStdout(), "no matching events: there is no account %q (see `wharf partner list` and `wharf staff list`)\n", account)
				case len(kinds) > 0 || account != "":
					fmt.Fprintln(cmd.OutOrStdout(), "no matching events")
				default:
					fmt.Fprintln(cmd.OutOrStdout(), "no events yet")
				}
				return nil
			}
			return followEvents(ctx, st, filter, p, last, a.opt.PollInterval)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new events until interrupted")
	f.BoolVar(&asJSON, "json", false, "print one JSON object per line")
	f.Int64Var(&sinceID, "since-id", 0, "print events after this ID (default: the last --limit events)")
	f.IntVar(&limit, "limit", 100, "print at most this many events (before following)")
	f.StringSliceVar(&kinds, "kind", nil, "only events of these kinds, e.g. received,sent")
	f.StringVar(&account, "account", "", "only this account's events (sync:NAME for a sync's)")
	cmd.AddCommand(newEventsPrune(a))
	return cmd
}

// followEvents polls for events after last until ctx ends, which is a
// clean stop.
func followEvents(ctx context.Context, st store.Store, f store.EventFilter, p *eventPrinter, last int64, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		evs, err := st.FilterEvents(ctx, f, last, 1000, false)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		last = p.print(evs, last)
	}
}

// eventPrinter writes events as a table (header once) or as JSON lines.
type eventPrinter struct {
	w          io.Writer
	json       bool
	headerDone bool
}

// print writes evs and returns the last ID printed (last when none).
func (p *eventPrinter) print(evs []store.Event, last int64) int64 {
	for _, e := range evs {
		if p.json {
			b, _ := json.Marshal(e) // a struct of plain fields: cannot fail
			fmt.Fprintf(p.w, "%s\n", b)
		} else {
			if !p.headerDone {
				fmt.Fprintf(p.w, "%-6s  %-25s  %-14s  %-16s  %-30s  %10s  %s\n", "ID", "TIME", "KIND", "ACCOUNT", "PATH", "BYTES", "REMOTE")
				p.headerDone = true
			}
			fmt.Fprintf(p.w, "%-6d  %-25s  %-14s  %-16s  %-30s  %10s  %s%s\n",
				e.ID, e.Time.Local().Format(time.RFC3339), e.Kind, dash(e.Account), dash(e.Path), size(e), dash(e.RemoteAddr), detail(e.Detail))
		}
		last = e.ID
	}
	return last
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func size(e store.Event) string {
	if e.Bytes == 0 && e.Kind != store.EventReceived && e.Kind != store.EventSent {
		return "-"
	}
	return fmt.Sprint(e.Bytes)
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return "  " + fmt.Sprintf("%q", s)
}

// noAccount reports whether st has no account called name.
func noAccount(ctx context.Context, st store.Store, name string) bool {
	_, err := st.Account(ctx, name)
	return errors.Is(err, store.ErrNotFound)
}
