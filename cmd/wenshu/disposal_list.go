package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"wenshu/archive"
	"wenshu/identity"
)

func printDisposal(w io.Writer, l *archive.DisposalList) {
	fmt.Fprintf(w, "销毁清册 %s: %s (%s), %d records, proposed by %s at %s\n", l.ID, l.Status, archive.DisposalStatusName(l.Status),
		len(l.RecordIDs), l.CreatedBy.Name, l.CreatedAt.Format(time.RFC3339))
	approval := func(role string, p *archive.PersonRef) {
		if p == nil {
			fmt.Fprintf(w, "  %s: awaited (待批准)\n", role)
			return
		}
		fmt.Fprintf(w, "  %s: %s\n", role, p.Name)
	}
	approval("档案员", l.Archivist)
	approval("单位负责人", l.Head)
	if l.ListRecordID != "" {
		fmt.Fprintf(w, "  filed as record %s\n", l.ListRecordID)
	}
	if l.DisposedAt != nil {
		fmt.Fprintf(w, "  disposed at %s\n", l.DisposedAt.Format(time.RFC3339))
	}
	for _, id := range l.RecordIDs {
		fmt.Fprintf(w, "  - %s\n", id)
	}
}

func cmdDisposalPropose(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("disposal propose", e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	var records []string
	fs.Func("record", "record id appraised 销毁 (repeatable)", func(s string) error {
		records = append(records, s)
		return nil
	})
	if err := c.parse(fs, args); err != nil {
		return err
	}
	records = append(records, fs.Args()...)
	if len(records) == 0 || *f.as == "" {
		fmt.Fprintln(e.stderr, "usage: wenshu disposal propose --record ID [--record ID]… --as 姓名 [--json]")
		return errUsage
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		l, err := st.ProposeDisposal(ctx, u, records)
		return l, func(w io.Writer) { printDisposal(w, l) }, err
	})
}

func cmdDisposalApprove(ctx context.Context, e *env, args []string) error {
	return disposalStep(ctx, e, args, "disposal approve", (*archive.Store).ApproveDisposal)
}

func cmdDisposalExecute(ctx context.Context, e *env, args []string) error {
	return disposalStep(ctx, e, args, "disposal execute", (*archive.Store).ExecuteDisposal)
}

type disposalAction func(*archive.Store, context.Context, *identity.User, string) (*archive.DisposalList, error)

// disposalStep runs one step on the 销毁清册 named by --list.
func disposalStep(ctx context.Context, e *env, args []string, name string, step disposalAction) error {
	var c config
	fs := newFlags(name, e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	list := fs.String("list", "", "销毁清册 id (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *list == "" || *f.as == "" || fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "usage: wenshu %s --list ID --as 姓名 [--json]\n", name)
		return errUsage
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		l, err := step(st, ctx, u, *list)
		return l, func(w io.Writer) { printDisposal(w, l) }, err
	})
}

func cmdDisposalShow(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("disposal show", e)
	c.storeFlags(fs)
	f := newActorFlags(fs)
	list := fs.String("list", "", "销毁清册 id (default: every list of the unit)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *f.as == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: wenshu disposal show [--list ID] --as 姓名 [--json]")
		return errUsage
	}
	return lifecycleRun(ctx, e, &c, f, func(st *archive.Store, u *identity.User) (any, func(io.Writer), error) {
		if *list != "" {
			l, err := st.GetDisposalList(ctx, u, *list)
			return l, func(w io.Writer) { printDisposal(w, l) }, err
		}
		ls, err := st.ListDisposalLists(ctx, u)
		if ls == nil {
			ls = []*archive.DisposalList{}
		}
		return map[string]any{"disposals": ls}, func(w io.Writer) {
			if len(ls) == 0 {
				fmt.Fprintln(w, "no 销毁清册 (无销毁清册)")
			}
			for _, l := range ls {
				printDisposal(w, l)
			}
		}, err
	})
}
