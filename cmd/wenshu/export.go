package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"wenshu/archive"
	"wenshu/transfer"
)

func init() {
	register("export", command{"write a transfer package (归档信息包) of a unit's year as a signed .zip", cmdExport})
	register("verify-package", command{"verify a transfer package offline: no server, catalog or bucket", cmdVerifyPackage})
}

// cmdExport writes a transfer package (归档信息包) of a unit × 年度
// [× 保管期限]: archive.Store.OpenExport selects and audits, transfer.Write
// writes. The zip is written beside -o and renamed into place when
// complete, so a failed export leaves no package behind.
func cmdExport(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("export", e)
	c.storeFlags(fs)
	unitName := fs.String("unit", "", "单位全称 whose records are exported (required)")
	year := fs.Int("year", 0, "年度 (required)")
	retention := fs.String("retention", "", "only this 保管期限: Y | D30 | D10 (default: all)")
	out := fs.String("o", "", "output .zip (required)")
	var attach []string
	fs.Func("attach", "add a file under reports/ (e.g. the 四性检测 report; repeatable)", func(s string) error {
		attach = append(attach, s)
		return nil
	})
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *unitName == "" || *year == 0 || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: wenshu export --unit 单位全称 --year YYYY [--retention D30] [--attach FILE]… -o FILE.zip")
		return errUsage
	}
	extra, err := attachments(attach)
	if err != nil {
		return err
	}
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	unit, err := a.store.Identity().UnitByName(ctx, strings.TrimSpace(*unitName))
	if err != nil {
		return describe(err)
	}
	x, err := a.store.OpenExport(ctx, operator(), archive.ExportSelection{UnitID: unit.ID, Year: *year, Retention: archive.Retention(*retention)})
	if err != nil {
		return describe(err)
	}
	pm, err := writePackage(ctx, *out, x, transfer.WriteOptions{Extra: extra})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: package %s, %d records, %d files, %d bytes, signed by key %s\n",
		*out, pm.PackageID, pm.Counts.Records, pm.Counts.Files, pm.Counts.Bytes, pm.SignerKeyID)
	return nil
}

// attachments reads the --attach files as reports/<base name>.
func attachments(paths []string) ([]transfer.ExtraFile, error) {
	var out []transfer.ExtraFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, transfer.ExtraFile{Path: transfer.ReportsDir + filepath.Base(p), Data: b})
	}
	return out, nil
}

// writePackage streams the package into a temporary file beside path and
// renames it into place once complete.
func writePackage(ctx context.Context, path string, x *archive.Export, opts transfer.WriteOptions) (*transfer.Manifest, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".wenshu-export-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	pm, err := transfer.Write(ctx, f, x, opts)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o640)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return pm, nil
}

// cmdVerifyPackage checks a transfer package with nothing but the file:
// no data directory, catalog or bucket. transfer.Verify decides; this
// prints its report and exits 1 on any finding.
func cmdVerifyPackage(ctx context.Context, e *env, args []string) error {
	fs := newFlags("verify-package", e)
	pubFile := fs.String("pubkey", "", "public key PEM the package must be signed with (from `wenshu keys export`)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: wenshu verify-package [--pubkey FILE] [--json] FILE.zip")
		return errUsage
	}
	var opts transfer.VerifyOptions
	if *pubFile != "" {
		b, err := os.ReadFile(*pubFile)
		if err != nil {
			return fmt.Errorf("public key: %w", err)
		}
		if _, err := archive.ParsePublicKeyPEM(b); err != nil {
			return fmt.Errorf("--pubkey %s: %w", *pubFile, err)
		}
		opts.PublicKeyPEM = b
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep := transfer.Verify(f, st.Size(), opts)
	if *asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		for _, line := range rep.Lines() {
			fmt.Fprintln(e.stdout, line)
		}
	}
	if !rep.OK {
		return errors.New("package verification failed: " + strings.Join(rep.Paths(), ", "))
	}
	return nil
}
