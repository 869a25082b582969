package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-mft/wharf/internal/store"
)

const banLong = `List and lift the bans of client IPs. 'wharf serve' bans an IP after
server.ban_after failed logins from it (default 10) within server.ban_for
(default 15m), for ban_for: until the ban ends the IP is refused (421) as it
connects, even with the right password. Bans are kept in DATA/wharf.db, so
restarting serve does not lift them.

'wharf ban list' shows the banned IPs; 'wharf ban lift IP' lifts a ban, for
instance for a partner who mistyped its password, and records an
ip_ban_lifted event. A running 'wharf serve' needs no restart: it admits the
IP again from the IP's next connection.`

func newBan(a *app) *cobra.Command {
	n := bans{a: a}
	cmd := &cobra.Command{
		Use:   "ban",
		Short: "List and lift bans of IPs after repeated failed logins",
		Long:  banLong,
		Example: `  wharf ban list
  wharf ban lift 203.0.113.7
  wharf ban lift --all`,
	}
	cmd.AddCommand(n.listCmd(), n.liftCmd())
	return cmd
}

// bans implements the ban commands.
type bans struct{ a *app }

func (n bans) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the banned IPs",
		Long: `List the IPs 'wharf serve' refuses after failed logins, soonest to be let in
first: the IP, when its ban ends (UTC, and how long from now) and the failed
logins that started it. Bans that have ended are not shown.

--json prints a JSON array, one object per ban: "ip", "until", "failures"
and "created_at" (when the ban started).`,
		Example: `  wharf ban list
  wharf ban list --json | jq -r '.[].ip'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.Bans(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				views := make([]store.Ban, 0, len(list))
				for _, b := range list {
					b.Until, b.CreatedAt = b.Until.UTC(), b.CreatedAt.UTC()
					views = append(views, b)
				}
				return writeJSON(out, views)
			}
			if len(list) == 0 {
				fmt.Fprintln(out, "no IPs are banned")
				return nil
			}
			now := time.Now()
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "IP\tBANNED UNTIL\tFAILURES")
			for _, b := range list {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", b.IP, untilText(b.Until, now), b.Failures)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func (n bans) liftCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "lift {IP | --all}",
		Short: "Lift the ban of an IP, so it may log in again",
		Long: `Lift the ban of an IP (as 'wharf ban list' shows it), or with --all of every
banned IP, and record an ip_ban_lifted event for each. A running 'wharf
serve' admits the IP again from its next connection, with no restart, and
counts its failed logins from zero.`,
		Example: `  wharf ban list
  wharf ban lift 203.0.113.7
  wharf ban lift 2001:db8::7
  wharf ban lift --all`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return fmt.Errorf("give one IP or --all, not both")
			case !all && len(args) != 1:
				return fmt.Errorf("want one IP, e.g. `%s 203.0.113.7`, or --all: `wharf ban list` shows the banned IPs", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var ip string
			if !all {
				var err error
				if ip, err = parseIP(args[0]); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if all {
				return liftAll(ctx, st, cmd.OutOrStdout())
			}
			b, err := st.Ban(ctx, ip)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s is not banned: `wharf ban list` shows the banned IPs", ip)
			}
			if err != nil {
				return err
			}
			if err := lift(ctx, st, cmd.OutOrStdout(), b); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "a running wharf serve admits it from its next connection")
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "lift every ban")
	return cmd
}

// parseIP returns s as the server writes an IP (an IPv4 address mapped
// into IPv6 as IPv4), or an error saying what an IP looks like.
func parseIP(s string) (string, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an IP address: want one such as 203.0.113.7 or 2001:db8::7, with no port or /prefix, as `wharf ban list` shows it", s)
	}
	return addr.Unmap().String(), nil
}

// liftAll lifts every ban.
func liftAll(ctx context.Context, st store.Store, out io.Writer) error {
	list, err := st.Bans(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(out, "no IPs are banned")
		return nil
	}
	for _, b := range list {
		if err := lift(ctx, st, out, b); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "a running wharf serve admits each from its next connection")
	return nil
}

// lift lifts b, records it in the event log and says so on out. A ban
// that ended meanwhile is reported as such.
func lift(ctx context.Context, st store.Store, out io.Writer, b store.Ban) error {
	ok, err := st.LiftBan(ctx, b.IP)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(out, "the ban of %s ended meanwhile\n", b.IP)
		return nil
	}
	detail := fmt.Sprintf("ban of %s lifted with wharf ban lift; it would have ended %s", b.IP, b.Until.UTC().Format(time.RFC3339))
	if b.Failures > 0 {
		detail += fmt.Sprintf(" (it followed %d failed logins)", b.Failures)
	}
	e := store.Event{Kind: store.EventBanLifted, RemoteAddr: b.IP, Detail: detail}
	if _, err := st.AddEvent(ctx, e); err != nil {
		return fmt.Errorf("lifted the ban of %s, but recording the event failed: %w", b.IP, err)
	}
	fmt.Fprintf(out, "lifted the ban of %s, which would have ended %s\n", b.IP, untilText(b.Until, time.Now()))
	return nil
}

// untilText is when a ban ends, in UTC and from now: 2026-12-03T17:00:00Z
// (in 12m).
func untilText(until, now time.Time) string {
	return fmt.Sprintf("%s (in %s)", until.UTC().Format(time.RFC3339), roughDuration(until.Sub(now)))
}

// roughDuration is d in its two largest units, truncated: 45s, 12m, 1h05m,
// 3d4h.
func roughDuration(d time.Duration) string {
	switch d = max(d, time.Second); {
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}
