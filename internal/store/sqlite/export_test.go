package sqlite

// SetPruneBatch sets PruneHistory's batch size until the returned func
// restores it.
func SetPruneBatch(n int) (restore func()) {
	old := pruneBatch
	pruneBatch = n
	return func() { pruneBatch = old }
}
