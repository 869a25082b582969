package store

import "time"

// Ban is a client IP that the FTP server refuses until Until, after
// repeated failed logins from it. The store holds the bans that count: the
// server keeps a copy in memory and checks it against the store before
// refusing, so a ban lifted in the store (wharf ban lift) ends at the
// banned IP's next connection, and a ban outlives a restart.
//
// A ban has ended once Until is past; the store's methods never return an
// ended ban, and drop ended ones when they write.
type Ban struct {
	IP        string    `json:"ip"` // as the server sees it: 203.0.113.7, 2001:db8::7 (no port)
	Until     time.Time `json:"until"`
	Failures  int       `json:"failures"` // failed logins that started it; 0 when not known
	CreatedAt time.Time `json:"created_at"`
}
