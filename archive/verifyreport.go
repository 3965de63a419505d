package archive

import "fmt"

// VerifyReport is a verification (校验) as an operator reads it: the lines
// `wenshu verify` prints, the value it prints with --json, and whether
// every check passed. The command prints Lines (or Result as JSON) and
// exits non-zero when OK is false; it decides nothing else.
type VerifyReport struct {
	OK     bool     // every check passed
	Lines  []string // the human-readable report, one line each, no line ends
	Result any      // the *Verification or *BucketVerification, for JSON
}

// Report is the report of one record's verification: a head line, then one
// line per check, ✓ or ✗, its name and detail.
func (v *Verification) Report() VerifyReport {
	return VerifyReport{OK: v.OK, Lines: v.lines(), Result: v}
}

func (v *Verification) lines() []string {
	out := []string{fmt.Sprintf("record %s: ok=%v", v.RecordID, v.OK)}
	for _, ch := range v.Checks {
		mark := "✓"
		if !ch.OK {
			mark = "✗"
		}
		out = append(out, fmt.Sprintf("  %s %-16s %s", mark, ch.Name, ch.Detail))
	}
	return out
}

// Report is the report of a bucket-only verification: the counts and the
// chain, then every failed record with its checks, then every error met.
func (b *BucketVerification) Report() VerifyReport {
	lines := []string{fmt.Sprintf("records %d, passed %d, voids %d, chain %v (%s)", b.Records, b.Passed, b.Voids, b.Chain.OK, b.Chain.Detail)}
	for i := range b.Failed {
		lines = append(lines, b.Failed[i].lines()...)
	}
	for _, msg := range b.Errors {
		lines = append(lines, "error: "+msg)
	}
	return VerifyReport{OK: b.OK, Lines: lines, Result: b}
}
