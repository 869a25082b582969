// Package filesync keeps a local folder and a path on a remote FTP/FTPS
// server in step: push, pull or two-way, keeping or deleting the source
// after a verified copy, on a schedule, on demand or when a file arrives.
//
// # State
//
// For every path a sync has handled, the store keeps what each side looked
// like when the two were last in step (store.SyncFile). A side has changed
// when its size or modification time differs from that record; remote times
// from a minute-precision LIST are compared at minute precision. Where the
// server can tell a digest (HASH, XSHA256, ...), two files of the same size
// whose times differ are compared by content before one is copied over the
// other or a conflict is raised. A pushed
// file that the partner has since deleted is therefore not pushed again
// unless the local copy changes (exactly-once delivery), and two-way syncs
// can tell a deletion from a file that never arrived. A source removed
// after its copy, or by anyone else, is recorded as gone: a file that
// appears under its name again is a new delivery and is copied, even when
// the target still holds the earlier one with the same size and time (a
// partner that uploads daily.edi every day, its time preserved with MFMT).
// Only the record says a file was delivered, never a target file that
// looks like it. A source that lists no file at all records nothing gone:
// its files may be away for a while, and their return must not deliver
// every one again. A recorded path the
// sync's filter (or temp extensions) now leaves out keeps its record and is
// planned as a Skip, so narrowing a filter and restoring it delivers
// nothing again.
//
// A push whose local files are all as last synced does not list the remote:
// whatever the remote shows, such a run does nothing (a push never deletes
// remotely, and a copy the partner consumed is not sent again), so it plans
// from the journal alone (Plan.FromJournal).
//
// # Safety
//
// A run otherwise first lists both sides completely; a listing that fails
// or is cut short stops the run before anything changes, so it never
// counts as deletions. A remote folder that does not exist (vsftpd lists
// one as empty, so an empty listing is checked with a Stat: see
// rootExists) fails a pull's run, whose error names the folder and says
// how to fix the sync's remote path or create the folder: a run reporting
// "ok, copied 0" would hide a mistyped path for ever. It fails a push's or
// a two-way sync's run too once remote files are on record, whatever
// Force says: a vanished folder is not every file deleted there. Only a new
// push or two-way sync takes it for empty, and its first copy creates it.
// A run that would delete, on one side, more than the
// sync's MaxDelete percent of the files that side holds now (as listed)
// because they are gone from the other
// side stops with ErrTooManyDeletes unless forced (MaxDelete 0: any such
// delete); the error names both sides and the commands to look and to go
// on. A two-way run never deletes a local file on the strength of an
// absence from the remote's listing alone: a Stat must agree it is gone
// (see confirmGone), and names the remote's listings cannot show (a "\"
// in a name, dot names on a LIST-only server such as vsftpd) are left
// alone on both sides (see lister.unseen). A push that replaces a remote
// file checks it is still as listed before the rename that publishes it
// (see pushOver), so a partner's change made meanwhile becomes a conflict.
// Sources removed after their copy (after-copy delete) are not weighed by
// the guard: they count in a run's Deleted, and apart as its
// SourcesRemoved (see RemovedSource).
// Files still being written (hidden ".wharf-" names, remote ".wharf-part"
// upload temporaries, and the configured temp receive extensions) are never
// picked up.
//
// # Crash safety
//
// Every action is journaled (store.SyncOp) as started before it touches
// anything and finished in the same transaction as the state it leaves.
// Copies are journaled as started a chunk at a time just before workers
// take them, and writes that queue up while one commits share the next
// commit (group commit); each still waits for its own commit. Copies land
// under a temporary name, recorded in the journal before the copy starts,
// and are renamed into place only when verified: remote.Pool.Upload does so
// on the remote (with the time set before the rename), and pulls write
// ".wharf-sync-*" files next to their target. A local file that changes
// while its push reads it fails the upload before the rename, so no copy
// torn between two versions is published. A source is deleted only after
// its copy is verified and journaled, by the run or by an earlier one whose
// record says so (recovery, a delete tried again), or after the server's
// digest showed the target holds its content; never because a target file
// has its name, size and time. A source that cannot be deleted (a
// 550 for a file still there, a read-only remote) is kept: the copy is
// recorded, the delete fails with the server's reply, and each later run
// tries the delete again without copying. A run that finds ops still started
// (the process died) recovers each one before listing: its temporary file
// is deleted; a copy whose verified result is in place is completed (its
// source deleted if asked) and counted once; any other is marked aborted
// and planned afresh. Runs of
// one sync never overlap: each holds a lease in the store, renewed while it
// runs (a renewal the store fails is tried again while the lease lasts),
// and its context ends when the lease is lost.
//
// # Conflicts
//
// A file changed on both sides of a two-way sync is settled by the sync's
// policy. With "newer" (the default) the later modification time wins,
// compared at the precision the remote gives: the second where it tells
// one (MLSD, MDTM), else the minute of a LIST line, or the day of one that
// shows a date only. A conflict that a LIST time cannot settle asks the
// remote for the file's exact time (MDTM, or Stat); conflicts are rare, so
// the extra commands cost little. Versions whose times cannot be told
// apart even so are a tie: which is newer is not known, so both are kept
// under conflict names, as with keep-both. The same exact time tells two
// edits of one size made within one listed minute from the same change
// made on both sides.
//
// # Scheduling
//
// A Scheduler runs syncs on their Every or Cron schedule, and syncs with
// OnReceive when a "received" or "renamed" event for their folder appears
// in the store's event log (or Received is called). A sync due while it
// runs runs once more when that run ends, and the log says so. A run that
// fails is tried again at doubling delays (firstRetry up to maxRetry); one
// refused because another process holds the sync (ErrBusy: a `wharf sync
// run` while serve runs) every firstRetry, so a file received meanwhile
// goes soon after that run ends. Cron times
// of day cross daylight saving changes as cron does (dstSchedule). At
// start, a sync whose last run left work undone (stopped, killed, failed)
// runs at once.
package filesync
