package migrate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Kind is the kind of a record of the source.
type Kind string

// The kinds of records.
const (
	// KindIdentity is the device's identity key pair and registration id.
	KindIdentity Kind = "identity"
	// KindSignedPreKey is one of the device's signed prekeys.
	KindSignedPreKey Kind = "signed-prekey"
	// KindPreKey is one of the device's one-time prekeys.
	KindPreKey Kind = "prekey"
	// KindKyberPreKey is one of the device's KEM (Kyber) prekeys.
	KindKyberPreKey Kind = "kyber-prekey"
	// KindPeerIdentity is the identity key stored for a peer's address.
	KindPeerIdentity Kind = "peer-identity"
	// KindSession is the session record of a peer's address.
	KindSession Kind = "session"
	// KindSenderKey is the sender-key record of a (group, sender).
	KindSenderKey Kind = "sender-key"
	// KindDevice is another device of a store that holds several.
	KindDevice Kind = "device"
	// KindOther is something of the source that is not Signal protocol
	// state: a table or a file the migration does not read.
	KindOther Kind = "other"
)

// Outcome is what became of a record.
type Outcome string

// The outcomes.
const (
	// Imported records are in the target (or, for a dry run, would be).
	Imported Outcome = "imported"
	// Skipped records are left out on purpose; Entry.Reason says why.
	Skipped Outcome = "skipped"
	// Failed records could not be read or written; Entry.Reason says
	// why.
	Failed Outcome = "failed"
)

// Entry is the report of one record.
type Entry struct {
	// Kind is the record's kind.
	Kind Kind `json:"kind"`
	// Source names the record in the source: a table and its key, or a
	// file name relative to the directory.
	Source string `json:"source"`
	// Target names what it became in the target (imported records only):
	// a session address "name.device", a key id, a sender and
	// distribution id.
	Target string `json:"target,omitempty"`
	// Outcome is what became of it.
	Outcome Outcome `json:"outcome"`
	// Reason says why it was skipped or failed, or adds a note to an
	// imported record.
	Reason string `json:"reason,omitempty"`
}

// Report is the record-by-record account of a run.
type Report struct {
	// Source and Target name the run's source and target (without
	// passwords).
	Source string `json:"source"`
	Target string `json:"target"`
	// DryRun is set for a dry run, which writes nothing.
	DryRun bool `json:"dry_run"`
	// Committed is set when the records imported are in the target.
	Committed bool `json:"committed"`
	// Entries lists every record, in the order they were read.
	Entries []Entry `json:"entries"`
}

func (r *Report) add(e Entry) { r.Entries = append(r.Entries, e) }

func (r *Report) count(o Outcome) int {
	n := 0
	for _, e := range r.Entries {
		if e.Outcome == o {
			n++
		}
	}
	return n
}

// Imported counts the imported entries.
func (r *Report) Imported() int { return r.count(Imported) }

// Skipped counts the skipped entries.
func (r *Report) Skipped() int { return r.count(Skipped) }

// Failed counts the failed entries.
func (r *Report) Failed() int { return r.count(Failed) }

// Count returns how many entries have kind k and outcome o.
func (r *Report) Count(k Kind, o Outcome) int {
	n := 0
	for _, e := range r.Entries {
		if e.Kind == k && e.Outcome == o {
			n++
		}
	}
	return n
}

// kinds lists the kinds in the order the summary prints them.
var kinds = []Kind{KindIdentity, KindSignedPreKey, KindPreKey, KindKyberPreKey, KindPeerIdentity,
	KindSession, KindSenderKey, KindDevice, KindOther}

// WriteText writes the report for people: one line per entry, then a
// summary per kind and the outcome of the run.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, e := range r.Entries {
		fmt.Fprintf(&b, "%-8s  %-13s  %s", e.Outcome, e.Kind, e.Source)
		if e.Target != "" {
			fmt.Fprintf(&b, " -> %s", e.Target)
		}
		if e.Reason != "" {
			fmt.Fprintf(&b, ": %s", e.Reason)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nsource: %s\ntarget: %s\n", r.Source, r.Target)
	for _, k := range kinds {
		i, s, f := r.Count(k, Imported), r.Count(k, Skipped), r.Count(k, Failed)
		if i+s+f == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-13s  %5d imported  %5d skipped  %5d failed\n", k, i, s, f)
	}
	fmt.Fprintf(&b, "total: %d imported, %d skipped, %d failed; %s\n", r.Imported(), r.Skipped(), r.Failed(), r.outcome())
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) outcome() string {
	switch {
	case r.DryRun:
		return "dry run: nothing written"
	case r.Committed && r.Failed() > 0:
		return "written without the failed records (-allow-failures)"
	case r.Committed:
		return "written"
	case r.Failed() > 0:
		return "nothing written (records failed; -allow-failures writes the others)"
	}
	return "nothing written"
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}
