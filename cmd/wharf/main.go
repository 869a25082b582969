// Command wharf is the Wharf managed file-transfer gateway. See
// `wharf --help`; the commands live in internal/cli.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wharf-mft/wharf/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:], cli.Options{})
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "wharf: %v\n", err)
		os.Exit(1)
	}
}
