package archive

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
)

// The ≥5 % spot-check of replies (抽查核实, "全年不少于5%"). The draw is
// reproducible and checkable by anyone holding the list:
//
//  1. the population is the ids of the unit's 函询回复 records of the year,
//     sorted ascending (byte order);
//  2. each id is keyed by SM3(seed ‖ 0x00 ‖ id) — the seed as the approver
//     stated it, UTF-8, then one zero byte, then the id's ASCII bytes;
//  3. the sample is the k ids with the smallest keys (compared as bytes;
//     equal keys, which SM3 makes practically impossible, by id), where
//     k = max(1, ⌈0.05·N⌉) for N > 0, listed in key order.
//
// The seed, the population and the sample are filed as a signed record
// (抽查名单, a UTF-8 text listing them, the same values in the signed
// manifest's fields); VerifySpotCheck recomputes the sample from them.

// SpotCheckKind is the 文种 of a spot-check list.
const SpotCheckKind = "抽查名单"

// SpotCheckProcedure names the draw, as written in the record.
const SpotCheckProcedure = "sm3(seed||0x00||id), ascending; k = max(1, ceil(0.05*N))"

// SampleSize is max(1, ⌈0.05·n⌉) for n > 0, 0 for n = 0.
func SampleSize(n int) int {
	if n <= 0 {
		return 0
	}
	return max(1, int(math.Ceil(0.05*float64(n))))
}

// DrawSample draws the sample of population for seed (see the package
// comment above); population need not be sorted and is not changed.
func DrawSample(seed string, population []string) []string {
	ids := append([]string(nil), population...)
	sort.Strings(ids)
	keys := make(map[string]string, len(ids))
	for _, id := range ids {
		keys[id] = sm3Hex(append(append([]byte(seed), 0), id...))
	}
	sort.SliceStable(ids, func(i, j int) bool {
		if keys[ids[i]] != keys[ids[j]] {
			return keys[ids[i]] < keys[ids[j]]
		}
		return ids[i] < ids[j]
	})
	return ids[:SampleSize(len(ids))]
}

// SpotCheck is a filed spot-check list.
type SpotCheck struct {
	ID         string            `json:"id"`
	Year       int               `json:"year"`
	Seed       string            `json:"seed"`
	Population int               `json:"population"`
	Sample     []string          `json:"sample"`
	Record     *Record           `json:"record,omitempty"`
	Results    []SpotCheckResult `json:"results"`
}

// SpotCheckResult is the 核实结论 recorded against one sampled reply.
type SpotCheckResult struct {
	ReplyID    string `json:"reply_id"`
	Conclusion string `json:"conclusion"`
	By         string `json:"recorded_by"`
	At         string `json:"recorded_at"`
}

// replyPopulation is the sorted ids of the unit's replies of year.
func (s *Store) replyPopulation(ctx context.Context, unitID int64, year int) ([]string, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id FROM records WHERE unit_id = ? AND year = ? AND kind = ? ORDER BY id`,
		unitID, year, ReplyKind)
	if err != nil {
		return nil, internal("spot-check population", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, internal("spot-check population", err)
		}
		ids = append(ids, id)
	}
	return ids, internal("spot-check population", rows.Err())
}

// CreateSpotCheck draws the year's sample of the caller's unit with seed
// and files the list as a signed record. Approvers and auditors; 422 for a
// bad year or seed, or a year without replies (empty_population).
func (s *Store) CreateSpotCheck(ctx context.Context, u *identity.User, year int, seed string) (*SpotCheck, error) {
	if err := identity.RequireRole(u, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return nil, err
	}
	seed = strings.TrimSpace(seed)
	switch this := s.Today().Year(); {
	case year < 1949 || year > this:
		return nil, problem.Invalid("bad_year", "year", fmt.Sprintf("年度须在1949至%d之间", this))
	case seed == "" || utf8.RuneCountInString(seed) > 200:
		return nil, problem.Invalid("bad_seed", "seed", "请填写抽取依据（如抽取日期和会议），不超过200字")
	}
	if err := checkText("seed", "抽取依据", seed, false); err != nil {
		return nil, err
	}
	unit, err := s.id.GetUnit(ctx, u.UnitID)
	if err != nil {
		return nil, err
	}
	pop, err := s.replyPopulation(ctx, unit.ID, year)
	if err != nil {
		return nil, err
	}
	if len(pop) == 0 {
		return nil, problem.Invalid("empty_population", "year", fmt.Sprintf("%d年度本单位没有已归档的函询回复", year))
	}
	sample := DrawSample(seed, pop)
	text := spotCheckText(unit.Name, year, seed, pop, sample)
	req := ImportRequest{FileName: "spot-check.txt", Data: []byte(text), Title: fmt.Sprintf("%d年度函询回复抽查名单", year),
		Kind: SpotCheckKind, Year: s.Today().Year(), Classification: identity.ClearanceInternal, Retention: Retention30}
	im := &checkedImport{unit: unit, mediaType: MediaTypeText, ext: ".txt", text: text, originalName: req.FileName}
	fields := map[string]any{"year": year, "seed": seed, "population": pop, "sample": sample, "procedure": SpotCheckProcedure}
	rec, err := s.fileAttached(ctx, u, req, im, fields)
	if err != nil {
		return nil, err
	}
	return &SpotCheck{ID: rec.ID, Year: year, Seed: seed, Population: len(pop), Sample: sample, Record: rec, Results: []SpotCheckResult{}}, nil
}

// spotCheckText is the human-readable list that is filed.
func spotCheckText(unit string, year int, seed string, pop, sample []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%d年度函询回复抽查名单\n\n", unit, year)
	fmt.Fprintf(&b, "抽取依据（种子）：%s\n抽取方法：%s\n总数：%d件　抽取：%d件（不少于5%%）\n\n抽中的函询回复：\n", seed, SpotCheckProcedure, len(pop), len(sample))
	for i, id := range sample {
		fmt.Fprintf(&b, "%d. %s\n", i+1, id)
	}
	b.WriteString("\n全部函询回复（按编号排序）：\n")
	for _, id := range pop {
		b.WriteString(id + "\n")
	}
	return b.String()
}

// GetSpotCheck returns a spot-check list with its recorded results.
func (s *Store) GetSpotCheck(ctx context.Context, u *identity.User, id string) (*SpotCheck, error) {
	rec, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if rec.Kind != SpotCheckKind || rec.Fields["procedure"] != SpotCheckProcedure {
		return nil, problem.NotFound("抽查名单")
	}
	year, _ := strconv.Atoi(fmt.Sprint(rec.Fields["year"]))
	sc := &SpotCheck{ID: rec.ID, Year: year, Seed: stringField(rec.Fields, "seed"), Record: rec,
		Sample: stringList(rec.Fields["sample"]), Population: len(stringList(rec.Fields["population"]))}
	if sc.Results, err = s.spotCheckResults(ctx, rec.ID); err != nil {
		return nil, err
	}
	return sc, nil
}

func stringList(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// SpotCheckVerification says whether a filed draw is reproducible.
type SpotCheckVerification struct {
	ID                  string   `json:"id"`
	Matches             bool     `json:"matches"`              // the recorded sample is the draw of the recorded seed and population
	Recomputed          []string `json:"recomputed"`           // that draw
	PopulationUnchanged bool     `json:"population_unchanged"` // the year's replies are still exactly the recorded population
	SignatureOK         bool     `json:"signature_ok"`         // the record passes Verify (digests, signature, lock)
}

// VerifySpotCheck recomputes the draw of spot-check id from its signed
// seed and population, compares the current population, and verifies the
// record itself.
func (s *Store) VerifySpotCheck(ctx context.Context, u *identity.User, id string) (*SpotCheckVerification, error) {
	sc, err := s.GetSpotCheck(ctx, u, id)
	if err != nil {
		return nil, err
	}
	pop := stringList(sc.Record.Fields["population"])
	v := &SpotCheckVerification{ID: id, Recomputed: DrawSample(sc.Seed, pop)}
	v.Matches = strings.Join(v.Recomputed, ",") == strings.Join(sc.Sample, ",")
	cur, err := s.replyPopulation(ctx, sc.Record.UnitID, sc.Year)
	if err != nil {
		return nil, err
	}
	sort.Strings(pop)
	v.PopulationUnchanged = strings.Join(cur, ",") == strings.Join(pop, ",")
	ver, err := s.Verify(ctx, u, id)
	if err != nil {
		return nil, err
	}
	v.SignatureOK = ver.OK
	return v, nil
}

// RecordSpotCheckResult records the 核实结论 of a sampled reply, once.
// Approvers and auditors of the list's unit.
func (s *Store) RecordSpotCheckResult(ctx context.Context, u *identity.User, id, replyID, conclusion string) (*SpotCheckResult, error) {
	if err := identity.RequireRole(u, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return nil, err
	}
	sc, err := s.GetSpotCheck(ctx, u, id)
	if err != nil {
		return nil, err
	}
	conclusion = strings.TrimSpace(conclusion)
	if conclusion == "" || utf8.RuneCountInString(conclusion) > 2000 {
		return nil, problem.Invalid("bad_conclusion", "conclusion", "请填写核实结论（不超过2000字）")
	}
	if err := checkText("conclusion", "核实结论", conclusion, true); err != nil {
		return nil, err
	}
	if !strings.Contains(","+strings.Join(sc.Sample, ",")+",", ","+strings.TrimSpace(replyID)+",") || strings.TrimSpace(replyID) == "" {
		return nil, problem.Invalid("not_in_sample", "reply_id", "该函询回复不在本次抽查名单中")
	}
	r := &SpotCheckResult{ReplyID: strings.TrimSpace(replyID), Conclusion: conclusion, By: u.Name, At: catalog.FormatTime(s.now())}
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO spot_check_results (spot_check_id, reply_id, conclusion, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?)`, id, r.ReplyID, conclusion, u.ID, r.At); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "spotcheck.result", r.ReplyID, "", "抽查 "+id+"："+conclusion)
	})
	if catalog.IsUniqueViolation(err) {
		return nil, problem.FieldError(problem.ErrConflict, "already_recorded", "reply_id", "该函询回复的核实结论已登记")
	}
	if err != nil {
		return nil, internal("spot-check result", err)
	}
	return r, nil
}

func (s *Store) spotCheckResults(ctx context.Context, id string) ([]SpotCheckResult, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT r.reply_id, r.conclusion, COALESCE(u.name, ''), r.recorded_at
		FROM spot_check_results r LEFT JOIN users u ON u.id = r.recorded_by WHERE r.spot_check_id = ? ORDER BY r.recorded_at`, id)
	if err != nil {
		return nil, internal("spot-check results", err)
	}
	defer rows.Close()
	out := []SpotCheckResult{}
	for rows.Next() {
		var r SpotCheckResult
		if err := rows.Scan(&r.ReplyID, &r.Conclusion, &r.By, &r.At); err != nil {
			return nil, internal("spot-check results", err)
		}
		out = append(out, r)
	}
	return out, internal("spot-check results", rows.Err())
}
