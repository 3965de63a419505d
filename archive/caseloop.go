package archive

import (
	"context"
	"sort"
	"strings"

	"wenshu/identity"
)

// The case in the order of the loop (办理进程): each 谈话方案 of the case,
// the letters and talk records that cite it, each letter's service,
// deadline, reply, reports, and the spot-checks that drew the reply.

// LetterStep is one letter and what followed it.
type LetterStep struct {
	Letter     *Record   `json:"letter"`
	Service    *Service  `json:"service,omitempty"`
	Reply      *Record   `json:"reply,omitempty"`
	Reports    []*Record `json:"reports"`
	SpotChecks []*Record `json:"spot_checks"` // lists that drew the reply
}

// PlanStep is one plan and what cites it.
type PlanStep struct {
	Plan        *Record      `json:"plan"`
	Letters     []LetterStep `json:"letters"`
	TalkRecords []*Record    `json:"talk_records"`
}

// CaseLoop is a case's records in loop order; Other holds the case's
// records that fit no step.
type CaseLoop struct {
	CaseNo string     `json:"case_no"`
	Plans  []PlanStep `json:"plans"`
	Other  []*Record  `json:"other"`
}

// CaseLoop returns case caseNo of the caller's unit in loop order, oldest
// first within each step. Records the caller may not read are left out.
func (s *Store) CaseLoop(ctx context.Context, u *identity.User, caseNo string) (*CaseLoop, error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, err
	}
	caseNo = strings.TrimSpace(caseNo)
	recs, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records WHERE unit_id = ? AND (case_no = ? OR kind = ?)
		ORDER BY filed_at, id`, u.UnitID, caseNo, SpotCheckKind)
	if err != nil {
		return nil, err
	}
	by := map[string][]*Record{} // "tpl:" + template or "kind:" + kind
	for _, r := range recs {
		if !identity.CanRead(u, r.UnitID, r.Classification) {
			continue
		}
		key := "tpl:" + r.TemplateID
		if r.TemplateID == "" {
			key = "kind:" + r.Kind
		}
		by[key] = append(by[key], r)
	}
	loop := &CaseLoop{CaseNo: caseNo, Plans: []PlanStep{}, Other: []*Record{}}
	used := map[string]bool{}
	for _, p := range by["tpl:"+PlanTemplateID] {
		step := PlanStep{Plan: p, Letters: []LetterStep{}, TalkRecords: citing(by["tpl:talk-record"], planField, p.ID)}
		for _, l := range citing(by["tpl:"+LetterTemplateID], planField, p.ID) {
			ls, err := s.letterStep(ctx, u, l, by)
			if err != nil {
				return nil, err
			}
			step.Letters = append(step.Letters, ls)
			markUsed(used, ls.Letter, ls.Reply)
			markUsed(used, ls.Reports...)
		}
		markUsed(used, p)
		markUsed(used, step.TalkRecords...)
		loop.Plans = append(loop.Plans, step)
	}
	for _, r := range recs {
		if !used[r.ID] && r.CaseNo == caseNo && identity.CanRead(u, r.UnitID, r.Classification) {
			loop.Other = append(loop.Other, r)
		}
	}
	return loop, nil
}

func (s *Store) letterStep(ctx context.Context, u *identity.User, l *Record, by map[string][]*Record) (LetterStep, error) {
	ls := LetterStep{Letter: l, Reports: citing(by["tpl:inquiry-report"], "letter_record_id", l.ID), SpotChecks: []*Record{}}
	svc, err := s.LetterService(ctx, u, l.ID)
	if err != nil {
		return ls, err
	}
	ls.Service = svc
	if replies := citing(by["kind:"+ReplyKind], replyLetterField, l.ID); len(replies) > 0 {
		ls.Reply = replies[0]
		for _, sc := range by["kind:"+SpotCheckKind] {
			if contains(stringList(sc.Fields["sample"]), ls.Reply.ID) {
				ls.SpotChecks = append(ls.SpotChecks, sc)
			}
		}
	}
	return ls, nil
}

// citing returns the records of list whose field names id.
func citing(list []*Record, field, id string) []*Record {
	out := []*Record{}
	for _, r := range list {
		if strings.TrimSpace(stringField(r.Fields, field)) == id {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FiledAt.Before(out[j].FiledAt) })
	return out
}

func markUsed(used map[string]bool, recs ...*Record) {
	for _, r := range recs {
		if r != nil {
			used[r.ID] = true
		}
	}
}
