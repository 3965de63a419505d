package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Numbering. Two sequences, both allocated inside the write transaction
// that also inserts the filing's journal row, so a number exists if and only
// if a filings row holds it (UNIQUE there), and no number is ever handed out
// twice — not by concurrent approvals (the transaction is serialised) and
// not after a crash (the row is durable before anything else happens, and
// rows are never deleted: an unfiled number becomes void, 作废).
//
//   - 文号 (发文字号) per (机关代字, year): 机关代字〔YYYY〕N号, N from 1.
//     A number already taken by an imported record is skipped.
//   - 档号 per (全宗号, year, 保管期限, 机构代码):
//     全宗号-WS·YYYY-保管期限-机构代码-件号 with a 4-digit 件号 from 0001
//     (DA/T 22-2015; the 机构 segment is left out when the unit has none).

// FormatDocNumber returns 机关代字〔YYYY〕N号.
func FormatDocNumber(agency string, year, n int) string {
	return fmt.Sprintf("%s〔%d〕%d号", agency, year, n)
}

var docNumberRE = regexp.MustCompile(`^(.+)〔(\d{4})〕(\d+)号$`)

// ParseDocNumber splits a 文号 into 机关代字, year and N.
func ParseDocNumber(s string) (agency string, year, n int, ok bool) {
	m := docNumberRE.FindStringSubmatch(s)
	if m == nil {
		return "", 0, 0, false
	}
	year, _ = strconv.Atoi(m[2])
	n, err := strconv.Atoi(m[3])
	if err != nil || n <= 0 {
		return "", 0, 0, false
	}
	return m[1], year, n, true
}

// FormatArchiveCode returns the 档号 全宗号-WS·YYYY-保管期限-机构代码-件号.
func FormatArchiveCode(fonds string, year int, r Retention, org string, item int) string {
	if org == "" {
		return fmt.Sprintf("%s-WS·%d-%s-%04d", fonds, year, r, item)
	}
	return fmt.Sprintf("%s-WS·%d-%s-%s-%04d", fonds, year, r, org, item)
}

// allocation is the set of numbers handed to one filing.
type allocation struct {
	DocNumber   string // "" when none
	DocAgency   string
	DocSeq      int
	ArchiveCode string
	Fonds       string
	Year        int
	Retention   Retention
	Org         string
	ItemNo      int
}

// allocDocNumber takes the next free 文号 of (agency, year) inside tx.
func allocDocNumber(ctx context.Context, tx *sql.Tx, agency string, year int) (string, int, error) {
	for i := 0; i < 10000; i++ {
		var n int
		if err := tx.QueryRowContext(ctx, `INSERT INTO doc_number_counters (agency_code, year, last_no) VALUES (?, ?, 1)
			ON CONFLICT (agency_code, year) DO UPDATE SET last_no = doc_number_counters.last_no + 1
			RETURNING last_no`, agency, year).Scan(&n); err != nil {
			return "", 0, err
		}
		num := FormatDocNumber(agency, year, n)
		taken, err := numberTaken(ctx, tx, num)
		if err != nil {
			return "", 0, err
		}
		if !taken {
			return num, n, nil
		}
	}
	return "", 0, errors.New("no free document number")
}

func numberTaken(ctx context.Context, tx *sql.Tx, docNumber string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM filings WHERE doc_number = ?`, docNumber).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// allocItem takes the next 件号 of (fonds, year, retention, org) inside tx.
func allocItem(ctx context.Context, tx *sql.Tx, fonds string, year int, r Retention, org string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO item_counters (fonds, year, retention, org, last_no) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (fonds, year, retention, org) DO UPDATE SET last_no = item_counters.last_no + 1
		RETURNING last_no`, fonds, year, string(r), org).Scan(&n)
	return n, err
}
