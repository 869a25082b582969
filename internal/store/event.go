package store

import "time"

// Event kinds.
const (
	EventLogin       = "login"
	EventLoginFailed = "login_failed"
	EventReceived    = "received" // a file completely uploaded under its final name
	EventSent        = "sent"     // a file completely downloaded
	EventDeleted     = "deleted"
	EventRenamed     = "renamed"
	EventMkdir       = "mkdir"
	EventRmdir       = "rmdir"
	EventAborted     = "aborted" // a transfer that did not complete
	// EventSessionClosed: the server closed a logged-in session because
	// its account was disabled, removed or given a new password.
	EventSessionClosed = "session_closed"
	// EventBanned: an IP banned after repeated failed logins.
	EventBanned = "ip_banned"
	// EventBanLifted: an operator lifted an IP's ban (wharf ban lift).
	EventBanLifted = "ip_ban_lifted"
)

// EventKinds lists every event kind, in the order help texts show them.
var EventKinds = []string{EventLogin, EventLoginFailed, EventReceived, EventSent, EventDeleted, EventRenamed,
	EventMkdir, EventRmdir, EventAborted, EventSessionClosed, EventBanned, EventBanLifted, EventSyncRun, EventSyncFile}

// Event is a durable record of something that happened.
type Event struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	Account    string    `json:"account,omitempty"`
	Path       string    `json:"path,omitempty"`
	Bytes      int64     `json:"bytes,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// EventFilter narrows an event query; the zero value matches every event.
type EventFilter struct {
	Kinds   []string // any of these kinds; none: every kind
	Account string   // only this account's, ignoring case ("sync:NAME" for a sync's); "": every account
}

// Pruned counts what PruneHistory deleted.
type Pruned struct {
	Events int64 // events
	Runs   int64 // sync runs
	Ops    int64 // their per-file ops
}
