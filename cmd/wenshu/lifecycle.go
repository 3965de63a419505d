package main

import (
	"context"
	"errors"
	"fmt"

	"wenshu/archive"
)

func init() {
	register("four-properties", command{"四性检测 report of a record, or of a unit's year (--unit --year); --keep files it", cmdFourProperties})
}

// cmdFourProperties prints the 四性检测 report (DA/T 70-2018) of one record
// or of a unit's year, as text or JSON; --keep files it as a record. It
// exits non-zero when an item failed.
func cmdFourProperties(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("four-properties", e)
	c.storeFlags(fs)
	unit := fs.String("unit", "", "the unit's full name (batch report, with --year)")
	year := fs.Int("year", 0, "the 年度 (batch report, with --unit)")
	keep := fs.Bool("keep", false, "file the report as a signed permanent record")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if (fs.NArg() == 1) == (*unit != "") {
		fmt.Fprintln(e.stderr, "usage: wenshu four-properties RECORD-ID | wenshu four-properties --unit 全称 --year YYYY")
		return errUsage
	}
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	who := operator()
	var rep *archive.FourPropReport
	if *unit != "" {
		rep, err = a.store.BatchFourProperties(ctx, who, *unit, *year)
	} else {
		rep, err = a.store.RecordFourProperties(ctx, who, fs.Arg(0))
	}
	if err != nil {
		return err
	}
	if *keep {
		rec, err := a.store.KeepFourPropertiesReport(ctx, who, rep)
		if err != nil {
			return err
		}
		rep.KeptAs = rec.ID
	}
	if *asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(e.stdout, archive.FourPropText(rep))
		if rep.KeptAs != "" {
			fmt.Fprintf(e.stdout, "kept as record %s\n", rep.KeptAs)
		}
	}
	if rep.Result == archive.ResultFail {
		return errors.New("four-properties check failed")
	}
	return nil
}
