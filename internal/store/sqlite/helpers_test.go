package sqlite_test

import "github.com/wharf-mft/wharf/internal/store"

func storeEvent() store.Event { return store.Event{Kind: store.EventLogin, Account: "acme"} }
