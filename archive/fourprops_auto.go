package archive

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
)

// 四性检测 at filing (DA/T 70-2018 归档环节) and the kept reports. Right
// after a record is filed its report is computed in the background and
// kept in the catalog table four_property_reports (stage 归档); a report
// with a failed item raises an alert (audited, in Store.Alerts).

// AlertFourProperties: a 四性检测 report computed at filing failed an item.
const AlertFourProperties = "four_properties"

// StageFiling is the stage of the report computed at filing.
const StageFiling = "归档"

// filedCheckQueueSize bounds the records waiting for their report at
// filing; beyond it a record is logged and left to the fixity scan.
const filedCheckQueueSize = 256

// filedCheckTimeout bounds one report at filing.
const filedCheckTimeout = 2 * time.Minute

// filedCheckQueue is the background queue of records to check.
type filedCheckQueue struct {
	once sync.Once
	ids  chan string
}

// checker is the identity the background checks act and are audited as.
var checker = identity.Operator("wenshu:四性检测")

// queueFiledCheck queues record id for its report at filing; it never
// blocks.
func (s *Store) queueFiledCheck(id string) {
	if !s.opts.FourPropsAtFiling {
		return
	}
	q := &s.filedChecks
	q.once.Do(func() {
		q.ids = make(chan string, filedCheckQueueSize)
		s.wg.Add(1)
		go s.filedCheckWorker(q.ids)
	})
	select {
	case q.ids <- id:
	default:
		s.log.Warn("archive: 四性检测 queue full; the record is left to the fixity scan", "record", id)
	}
}

func (s *Store) filedCheckWorker(ids <-chan string) {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case id := <-ids:
			ctx, cancel := context.WithTimeout(context.Background(), filedCheckTimeout)
			go func() { // Close does not wait out a slow check
				select {
				case <-s.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			if _, err := s.checkAtFiling(ctx, id); err != nil {
				s.log.Error("archive: 四性检测 at filing failed", "record", id, "err", err)
			}
			cancel()
		}
	}
}

// checkAtFiling computes, keeps and (on a failed item) alerts the
// report of record id at filing.
func (s *Store) checkAtFiling(ctx context.Context, id string) (*FourPropReport, error) {
	rep, err := s.RecordFourProperties(ctx, checker, id)
	if err != nil {
		return nil, err
	}
	rep.Stage = StageFiling
	if err := s.keepReportRow(ctx, rep); err != nil {
		return nil, err
	}
	if rep.Result == ResultFail {
		s.raiseAlert(ctx, Alert{Kind: AlertFourProperties, RecordID: id, Detail: "归档四性检测未通过：" + failedItems(rep)})
	}
	return rep, nil
}

// failedItems names the failed items of rep.
func failedItems(rep *FourPropReport) string {
	var out []string
	for _, it := range rep.Items {
		if it.Result == ResultFail {
			out = append(out, it.Group+"·"+it.Title+"（"+it.Reason+"）")
		}
	}
	return strings.Join(out, "；")
}

// keepReportRow appends rep to four_property_reports.
func (s *Store) keepReportRow(ctx context.Context, rep *FourPropReport) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("archive: encode 四性检测 report: %w", err)
	}
	return internal("keep 四性检测 report", s.cat.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO four_property_reports (record_id, stage, result, checked_at, report) VALUES (?, ?, ?, ?, ?)`,
			rep.RecordID, rep.Stage, rep.Result, catalog.FormatTime(rep.CheckedAt), string(b))
		return err
	}))
}

// LatestFourPropReport returns the last kept 四性检测 report of a record
// the caller can read (not found when none was kept).
func (s *Store) LatestFourPropReport(ctx context.Context, u *identity.User, id string) (*FourPropReport, error) {
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	var b string
	err = s.cat.Reader().QueryRowContext(ctx, `SELECT report FROM four_property_reports WHERE record_id = ? ORDER BY id DESC LIMIT 1`, r.ID).Scan(&b)
	if err == sql.ErrNoRows {
		return nil, problem.NotFound("该档案的四性检测报告")
	}
	if err != nil {
		return nil, internal("kept 四性检测 report", err)
	}
	var rep FourPropReport
	if err := json.Unmarshal([]byte(b), &rep); err != nil {
		return nil, internal("kept 四性检测 report", err)
	}
	return &rep, nil
}
