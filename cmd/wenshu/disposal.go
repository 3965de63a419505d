package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"wenshu/archive"
	"wenshu/identity"
)

// The archive's later life from the command line (issue 13): legal holds
// (法律保全), the expiry list, appraisal (鉴定) and the 销毁清册. Each
// command acts as the user named by --as, so the archive checks that
// user's role and unit exactly as it checks an API caller's; an operator
// identity would pass every role check and could give both approvals of
// a 销毁清册 alone.
func init() {
	register("legal-hold place", command{"place a legal hold (法律保全) on a record, as an archivist or auditor (--as)", cmdLegalHoldPlace})
	register("legal-hold lift", command{"lift a record's legal hold, as an archivist or auditor (--as)", cmdLegalHoldLift})
	register("legal-hold show", command{"list a record's legal holds", cmdLegalHoldShow})
	register("retention expired", command{"list the records whose retention has passed (--unit 全称 to narrow)", cmdRetentionExpired})
	register("appraise", command{"appraise (鉴定) an expired record: 续存 (--extend-years N) or 销毁, as an archivist (--as)", cmdAppraise})
	register("disposal propose", command{"draft a 销毁清册 of records appraised 销毁 (--record, repeatable), as an archivist (--as)", cmdDisposalPropose})
	register("disposal approve", command{"give one approval of a 销毁清册 (archivist or the unit's head), as --as", cmdDisposalApprove})
	register("disposal execute", command{"carry out an approved 销毁清册: file it, then delete the records' objects", cmdDisposalExecute})
	register("disposal show", command{"show one 销毁清册 (--list ID) or all of the --as user's unit", cmdDisposalShow})
}

// actorFlags are the flags every lifecycle command shares.
type actorFlags struct {
	as     *string
	asJSON *bool
}

func newActorFlags(fs *flag.FlagSet) actorFlags {
	return actorFlags{
		as:     fs.String("as", "", "姓名 of the acting user (required): the archive checks that user's role and unit"),
		asJSON: fs.Bool("json", false, "print the result as JSON"),
	}
}

// actor looks up the --as user; a disabled user cannot act.
func (f actorFlags) actor(ctx context.Context, st *archive.Store) (*identity.User, error) {
	u, err := st.Identity().UserByName(ctx, strings.TrimSpace(*f.as))
	if err != nil {
		return nil, describe(err)
	}
	if u.Disabled {
		return nil, fmt.Errorf("用户「%s」已停用 (user_disabled)", u.Name)
	}
	return u, nil
}

// lifecycleRun opens the store, resolves --as and runs do; refusals come
// back as their Chinese message and code.
func lifecycleRun(ctx context.Context, e *env, c *config, f actorFlags, do func(*archive.Store, *identity.User) (any, func(io.Writer), error)) error {
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	u, err := f.actor(ctx, a.store)
	if err != nil {
		return err
	}
	v, text, err := do(a.store, u)
	if err != nil {
		return describe(err)
	}
	if *f.asJSON {
		return writeJSON(e.stdout, v)
	}
	text(e.stdout)
	return nil
}

func cmdLegalHoldPlace(ctx context.Context, e *env, args []string) error {
	return legalHoldChange(ctx, e, args, "legal-hold place", (*archive.Store).PlaceLegalHold)
}

func cmdLegalHoldLift(ctx context.Context, e *env, args []string) error {
	return legalHoldChange(ctx, e, args, "legal-hold lift", (*archive.Store).LiftLegalHold)
}

type holdChange func(*archive.Store, context.Context, *identity.User, string, string) (*archive.LegalHold, error)

func legalHoldChange(ctx context.Context, e *env, args []string, name string, change holdChange) error {
	var c config
	fs := newFlags(name, e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	record := fs.String("record", "", "record id (required)")
	reason := fs.String("reason", "", "理由 (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *record == "" || *f.as == "" || fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "usage: wenshu %s --record ID --reason 理由 --as 姓名 [--json]\n", name)
		return errUsage
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		h, err := change(st, ctx, u, *record, *reason)
		if err != nil {
			return nil, nil, err
		}
		return h, func(w io.Writer) { printHold(w, h) }, nil
	})
}

func printHold(w io.Writer, h *archive.LegalHold) {
	state := "in force (保全中)"
	if !h.InForce() {
		state = fmt.Sprintf("lifted (已解除) by %s at %s: %s", h.LiftedBy.Name, h.LiftedAt.Format(time.RFC3339), h.LiftReason)
	}
	fmt.Fprintf(w, "hold %d on %s: %s — placed by %s at %s; %s", h.ID, h.RecordID, h.Reason, h.PlacedBy.Name, h.PlacedAt.Format(time.RFC3339), state)
	if h.Versions > 0 {
		fmt.Fprintf(w, " (%d object versions)", h.Versions)
	}
	fmt.Fprintln(w)
}

func cmdLegalHoldShow(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("legal-hold show", e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	record := fs.String("record", "", "record id (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *record == "" || *f.as == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: wenshu legal-hold show --record ID --as 姓名 [--json]")
		return errUsage
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		hs, err := st.LegalHolds(ctx, u, *record)
		if hs == nil {
			hs = []archive.LegalHold{}
		}
		return map[string]any{"holds": hs}, func(w io.Writer) {
			if len(hs) == 0 {
				fmt.Fprintf(w, "%s has no legal hold (无法律保全)\n", *record)
			}
			for i := range hs {
				printHold(w, &hs[i])
			}
		}, err
	})
}

func cmdRetentionExpired(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("retention expired", e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	unit := fs.String("unit", "", "only this unit's records (全称)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *f.as == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: wenshu retention expired [--unit 全称] --as 姓名 [--json]")
		return errUsage
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		rs, err := st.ExpiredRecords(ctx, u)
		if err != nil {
			return nil, nil, err
		}
		out := []archive.ExpiredRecord{}
		for _, r := range rs {
			if *unit == "" || r.Record.UnitName == strings.TrimSpace(*unit) {
				out = append(out, r)
			}
		}
		return map[string]any{"records": out}, func(w io.Writer) { printExpired(w, out) }, nil
	})
}

func printExpired(w io.Writer, rs []archive.ExpiredRecord) {
	if len(rs) == 0 {
		fmt.Fprintln(w, "no expired records (无到期档案)")
		return
	}
	for _, r := range rs {
		note := ""
		if r.Held {
			note += " 保全中"
		}
		if a := r.Appraisal; a != nil {
			note += " 已鉴定:" + decisionName(a.Decision)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t期满 %s%s\n", r.Record.ID, r.Record.ArchiveCode, r.Record.Title, r.RetainUntil.Format(time.DateOnly), note)
	}
}

// decisionName is the Chinese word of an appraisal decision.
func decisionName(d string) string {
	switch d {
	case archive.AppraiseExtend:
		return "续存"
	case archive.AppraiseDispose:
		return "销毁"
	}
	return d
}

// appraisalDecision maps the --decision word (Chinese or English) to the
// archive's decision.
func appraisalDecision(v string) (string, error) {
	switch strings.TrimSpace(v) {
	case "续存", archive.AppraiseExtend:
		return archive.AppraiseExtend, nil
	case "销毁", archive.AppraiseDispose:
		return archive.AppraiseDispose, nil
	}
	return "", errors.New("decision: 鉴定结论须为 续存 或 销毁 (bad_decision)")
}

func cmdAppraise(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("appraise", e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	record := fs.String("record", "", "record id (required)")
	decision := fs.String("decision", "", "续存 | 销毁 (required)")
	years := fs.Int("extend-years", 0, "for 续存: years from now the lock is extended to")
	reason := fs.String("reason", "", "鉴定意见 (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *record == "" || *decision == "" || *f.as == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: wenshu appraise --record ID --decision 续存|销毁 [--extend-years N] --reason 意见 --as 姓名 [--json]")
		return errUsage
	}
	d, err := appraisalDecision(*decision)
	if err != nil {
		return err
	}
	in := archive.AppraisalInput{Decision: d, Reason: *reason}
	switch {
	case d == archive.AppraiseExtend && (*years < 1 || *years > 1000):
		return errors.New("extend-years: 续存须给出 1 至 1000 年的新保管年限 (bad_extend_years)")
	case d == archive.AppraiseDispose && *years != 0:
		return errors.New("extend-years: 销毁不能同时续存 (bad_extend_years)")
	case d == archive.AppraiseExtend:
		in.RetainUntil = time.Now().AddDate(*years, 0, 0)
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		a, err := st.Appraise(ctx, u, *record, in)
		if err != nil {
			return nil, nil, err
		}
		return a, func(w io.Writer) {
			fmt.Fprintf(w, "appraised %s: %s", a.RecordID, decisionName(a.Decision))
			if a.RetainUntil != nil {
				fmt.Fprintf(w, " until %s", a.RetainUntil.Format(time.DateOnly))
			}
			fmt.Fprintf(w, " — %s (%s)\n", a.Reason, a.By.Name)
		}, nil
	})
}
