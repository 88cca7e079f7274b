// Command signal-migrate moves a device's Signal state (its identity,
// prekeys, peers' identities, sessions and sender keys) from another
// library's store into a sqlstore database, so that the device's
// conversations go on with this library. It reports what became of every
// record (imported, skipped and why, failed and why) and never writes to its
// input.
//
//	signal-migrate -from whatsmeow-sqlite:whatsmeow.db -to sqlite:signal.db
//	signal-migrate -from whatsmeow-postgres:'postgres://...' -whatsmeow-jid 491511234567:12@s.whatsapp.net -to postgres:'postgres://...'
//	signal-migrate -from libsignal-dir:./exported -dry-run
//
// Sources:
//
//	whatsmeow-sqlite:PATH    the SQLite file of go.mau.fi/whatsmeow's SQL store
//	                         (opened read-only and immutable: stop whatsmeow first)
//	whatsmeow-postgres:DSN   its PostgreSQL database (read in one READ ONLY transaction)
//	libsignal-dir:DIR        a directory of libsignal-serialized records (layout below)
//
// Targets: sqlite:PATH or postgres:DSN, a database that holds no device yet
// (the command refuses one that does). A run writes in one transaction:
// when a record fails, nothing is written unless -allow-failures is given.
// -dry-run reads everything and writes it into a temporary database, which
// it deletes: the report is that of a real run, and -to is not opened.
//
// Addresses: whatsmeow keeps a peer's session and identity under
// go.mau.fi/libsignal's "NAME:DEVICE" (NAME the JID's user part, with
// "_1" for LID and "_128" for hosted addresses); the session address here is
// {Name: NAME, DeviceID: DEVICE}, the name kept as stored, so an app
// addresses it as jid.SignalAddressUser() and jid.Device. Sender keys of
// the chat CHAT (a group JID) are stored under the distribution id
// uuid.NewSHA1(uuid.NameSpaceURL, []byte("xmpp:"+CHAT)), which the report
// lists; decrypt the group's messages with senderkey.Cipher.DecryptLegacy and
// that id. What whatsmeow keeps besides Signal state (app state, contacts,
// pairing keys) is reported and left behind.
//
// The libsignal-dir layout (the Export functions of package compat/libsignal
// write each file):
//
//	identity_key_pair              IdentityKeyPair.serialize() (required)
//	registration_id                decimal text (required)
//	signed_prekeys/ID              SignedPreKeyRecord
//	prekeys/ID                     PreKeyRecord
//	kyber_prekeys/ID               KyberPreKeyRecord (one-time)
//	last_resort_kyber_prekeys/ID   KyberPreKeyRecord (last resort)
//	identities/NAME.DEVICE         IdentityKey (33 bytes)
//	sessions/NAME.DEVICE           SessionRecord (current or legacy layout)
//	sender_keys/NAME.DEVICE/UUID   SenderKeyRecord of that sender and distribution id
//
// with NAME path-escaped (url.PathEscape).
//
// Exit status: 0 when every record imported or was skipped, 1 when a record
// failed (nothing written unless -allow-failures), 2 when the run could not
// start or stopped (bad usage, a source that cannot be read, a target that
// already holds a device): nothing written.
//
// The target holds private keys in the clear, as the source did: protect it
// as such, and retire the source once the migrated device runs (a session
// continued from two copies reuses message keys).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/forwardsecret/signal/internal/migrate"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("signal-migrate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	from := fl.String("from", "", "source: whatsmeow-sqlite:PATH, whatsmeow-postgres:DSN or libsignal-dir:DIR")
	to := fl.String("to", "", "target: sqlite:PATH or postgres:DSN, a database without a device (not needed with -dry-run)")
	dryRun := fl.Bool("dry-run", false, "read and check everything, write into a temporary database, report; -to is not opened")
	jid := fl.String("whatsmeow-jid", "", "the device of a whatsmeow store that holds several (its jid in whatsmeow_device)")
	allow := fl.Bool("allow-failures", false, "write the records that imported even if others failed")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: signal-migrate -from SOURCE -to TARGET [-dry-run] [-whatsmeow-jid JID] [-allow-failures] [-json]\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "signal-migrate: unexpected arguments %q\n", fl.Args())
		fl.Usage()
		return 2
	}
	opts := migrate.Options{DryRun: *dryRun, WhatsmeowJID: *jid, AllowFailures: *allow}
	var err error
	if opts.From, err = migrate.ParseSource(*from); err != nil {
		fmt.Fprintf(stderr, "signal-migrate: -from: %v\n", err)
		fl.Usage()
		return 2
	}
	if *to != "" || !*dryRun {
		if opts.To, err = migrate.ParseTarget(*to); err != nil {
			fmt.Fprintf(stderr, "signal-migrate: -to: %v\n", err)
			fl.Usage()
			return 2
		}
	}
	rep, err := migrate.Run(ctx, opts)
	if rep != nil && (err == nil || len(rep.Entries) > 0) {
		if *asJSON {
			rep.WriteJSON(stdout)
		} else {
			rep.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "signal-migrate: %v\n", err)
		if errors.Is(err, migrate.ErrUsage) {
			fl.Usage()
		}
		return 2
	}
	if rep.Failed() > 0 {
		return 1
	}
	return 0
}
