package search

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"time"
)

// A synthetic 纪检监察 corpus with known labels, generated from a fixed seed.
// Every label a query asks for is written into the text; other topics' terms
// of art are not, so relevance is decided by the labels alone.

var (
	surnames = []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"}
	given    = []string{"建华", "建国", "建军", "志强", "志明", "晓明", "晓红", "丽华", "国华", "国强", "海燕", "红梅", "秀英", "桂英", "立新", "卫东", "文博", "思远", "雨辰", "子涵", "明辉", "振宇", "春燕", "德胜"}
	staffSur = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫"}
	staffGiv = []string{"敏", "静", "磊", "洋", "勇", "艳", "杰", "娟"}
	cUnits   = []string{"驻财政部纪检监察组", "驻商务部纪检监察组", "驻交通运输部纪检监察组", "驻水利部纪检监察组", "驻农业农村部纪检监察组",
		"驻文化和旅游部纪检监察组", "驻国家卫生健康委纪检监察组", "驻应急管理部纪检监察组", "第一巡察组", "第二巡察组"}
	cUnitCode = []string{"财", "商", "交", "水", "农", "文", "卫", "应", "巡一", "巡二"}
	posts     = []string{"处长", "副处长", "科长", "副局长", "主任", "党支部书记", "财务处负责人", "项目办主任"}
	kinds     = []string{"通知", "函", "报告", "决定", "请示", "通报", "意见", "纪要"}
	classes   = []string{"公开", "内部", "内部", "秘密", "机密"}
	retents   = []string{"Y", "D30", "D10"}
)

// topics: the procedure a record is about. Confusable on purpose (谈话函询 /
// 谈话提醒 / 诫勉谈话 / 函询回复 share characters).
var topics = []struct{ term, title, body string }{
	{"谈话函询", "关于对%s同志进行谈话函询的通知", "经研究，决定对%s同志进行谈话函询，请于收到函询通知书之日起十五个工作日内作出书面说明。"},
	{"谈话提醒", "关于对%s同志开展谈话提醒的报告", "针对%s同志工作中存在的苗头性问题，由分管领导开展谈话提醒，督促其立行立改。"},
	{"诫勉谈话", "关于给予%s同志诫勉处理的决定", "经集体研究，对%s同志进行诫勉谈话，并记入个人廉政档案。"},
	{"函询回复", "%s同志函询回复材料审核意见", "%s同志已按期提交书面回复，承办部门对回复材料进行了抽查核实。"},
	{"初步核实", "关于%s同志问题线索初步核实情况的报告", "按照线索处置程序，成立核查组对%s同志有关问题开展初步核实，调取了相关书证。"},
	{"立案审查", "关于对%s同志立案审查调查的请示", "%s同志涉嫌严重违纪违法，经核查组研究，拟对其立案审查调查并采取相应措施。"},
	{"党风廉政意见回复", "关于%s同志党风廉政意见回复的函", "经查阅廉政档案和信访举报记录，现就%s同志拟提拔任职出具党风廉政意见回复。"},
	{"巡察反馈", "关于巡察反馈%s同志有关问题整改情况的报告", "巡察组反馈指出%s同志分管领域存在突出问题，现将整改落实情况报告如下。"},
	{"警示教育", "关于以%s同志案件开展警示教育的通知", "各单位要以%s同志违纪违法案件为反面教材，深入开展警示教育，做好以案促改。"},
	{"监察建议", "关于%s同志案件暴露问题的监察建议书", "针对%s同志案件暴露出的制度漏洞，依法向驻在部门提出监察建议，督促健全制度。"},
	{"纪律检查建议", "关于%s同志有关问题的纪律检查建议", "%s同志所在单位党组织管党治党责任落实不到位，现提出纪律检查建议。"},
	{"问责", "关于对%s同志失职失责问题进行问责的决定", "%s同志履行一岗双责不力，对分管领域问题负有领导责任，依规依纪予以问责。"},
}

// problems: what the person is said to have done.
var problems = []struct{ term, body string }{
	{"违规收送礼品礼金", "反映其在节假日期间违规收送礼品礼金，涉及购物卡若干张。"},
	{"公款吃喝", "反映其多次违反中央八项规定精神，组织公款吃喝并以会议费名义报销。"},
	{"违规发放津贴补贴", "反映其在担任部门负责人期间违规发放津贴补贴，金额较大。"},
	{"公车私用", "反映其长期公车私用，节假日驾驶公务用车外出旅游。"},
	{"个人有关事项漏报", "反映其在领导干部个人有关事项报告中漏报瞒报房产和投资情况。"},
	{"插手工程建设", "反映其利用职务便利插手工程建设项目招投标，为亲属承揽工程。"},
	{"违规经商办企业", "反映其配偶及子女违规经商办企业，与本单位存在业务往来。"},
	{"三重一大", "反映其所在单位“三重一大”事项未经集体决策，由个人说了算。"},
	{"违规借贷", "反映其向管理服务对象违规借贷，数额较大且长期未还。"},
	{"形式主义官僚主义", "反映其在基层调研中搞形式主义官僚主义，督查检查过多过频。"},
}

type genDoc struct {
	Doc
	topic, problem int
	persons        []string
}

func personName(r *rand.Rand) string {
	return surnames[r.Intn(len(surnames))] + given[r.Intn(len(given))]
}

// staffName draws clerks and approvers from another pool than the people
// the records concern.
func staffName(r *rand.Rand) string {
	return staffSur[r.Intn(len(staffSur))] + staffGiv[r.Intn(len(staffGiv))]
}

// corpusShape says how records are spread over units and time.
type corpusShape struct {
	units  []string
	codes  []string  // 文号 code of each unit
	weight []float64 // relative size of each unit; nil = uniform
	from   time.Time // first filing date
	hours  int       // filing dates fall in [from, from+hours)
}

// qualityShape is the small, uniform shape TestQuality was calibrated on:
// 10 units, 2021–2025.
var qualityShape = corpusShape{
	units: cUnits, codes: cUnitCode,
	from: time.Date(2021, 1, 4, 9, 0, 0, 0, time.UTC), hours: 5 * 365 * 24,
}

// Units of the benchmark corpus: 34 派驻纪检监察组 in central departments and
// 6 巡察组, 40 in all, with Zipf-like sizes (see benchShape).
var (
	benchUnitDepts = []string{"财政部", "国家税务总局", "海关总署", "国家发展改革委", "公安部", "教育部", "国家卫生健康委",
		"交通运输部", "自然资源部", "住房城乡建设部", "农业农村部", "商务部", "水利部", "人力资源社会保障部", "工业和信息化部",
		"国务院国资委", "中国人民银行", "国家市场监管总局", "生态环境部", "应急管理部", "民政部", "司法部", "科技部",
		"文化和旅游部", "审计署", "国家金融监督管理总局", "中国证监会", "国家医保局", "退役军人事务部", "国家统计局",
		"外交部", "中央办公厅", "最高人民法院", "最高人民检察院"}
	benchUnitCodes = []string{"财", "税", "海", "发改", "公", "教", "卫", "交", "自然", "建", "农", "商", "水", "人社", "工信",
		"国资", "人行", "市监", "环", "应", "民", "司", "科", "文", "审", "金", "证", "医保", "退役", "统", "外", "办", "法", "检"}
)

// benchShape: 40 units whose sizes fall off as 1/rank^0.8 (the largest
// holds about 17 % of the records, the smallest about 1 %), records filed
// 2019-01-01 … 2026-06-30.
var benchShape = func() corpusShape {
	s := corpusShape{from: time.Date(2019, 1, 1, 9, 0, 0, 0, time.UTC), hours: (7*365 + 2 + 180) * 24}
	for i, d := range benchUnitDepts {
		s.units = append(s.units, "驻"+d+"纪检监察组")
		s.codes = append(s.codes, benchUnitCodes[i])
	}
	for i, n := range []string{"一", "二", "三", "四", "五", "六"} {
		s.units = append(s.units, "第"+n+"巡察组")
		s.codes = append(s.codes, "巡"+strconv.Itoa(i+1))
	}
	for i := range s.units {
		s.weight = append(s.weight, 1/math.Pow(float64(i+1), 0.8))
	}
	return s
}()

// pick returns a unit index: uniform (one Intn draw, as the quality corpus
// always did) or by weight.
func (s *corpusShape) pick(r *rand.Rand) int {
	if s.weight == nil {
		return r.Intn(len(s.units))
	}
	total := 0.0
	for _, w := range s.weight {
		total += w
	}
	x := r.Float64() * total
	for i, w := range s.weight {
		if x -= w; x < 0 {
			return i
		}
	}
	return len(s.units) - 1
}

// genCorpus returns n records of the quality shape; the same n always gives
// the same records.
func genCorpus(n int) []genDoc { return genCorpusShape(n, qualityShape) }

// genCorpusShape returns n records spread as shape says, from a fixed seed.
func genCorpusShape(n int, shape corpusShape) []genDoc {
	r := rand.New(rand.NewSource(20240601))
	filler := []string{
		"本件按照《中国共产党纪律检查机关监督执纪工作规则》有关规定办理。",
		"请严格遵守保密纪律，不得扩散相关情况。",
		"承办部门应当在规定时限内将办理结果报送。",
		"相关材料已按规定整理归档。",
		"特此报告，请审阅。",
		"各有关部门要提高政治站位，压紧压实主体责任和监督责任。",
	}
	out := make([]genDoc, 0, n)
	units := shape.units
	for i := 0; i < n; i++ {
		ti, pi := r.Intn(len(topics)), r.Intn(len(problems))
		ui := shape.pick(r)
		ps := []string{personName(r)}
		if r.Intn(4) == 0 {
			if p := personName(r); p != ps[0] {
				ps = append(ps, p)
			}
		}
		who := strings.Join(ps, "、")
		filed := shape.from.Add(time.Duration(r.Intn(shape.hours)) * time.Hour)
		year := filed.Year()
		kind := kinds[r.Intn(len(kinds))]
		var b strings.Builder
		fmt.Fprintf(&b, "%s：\n", units[ui])
		fmt.Fprintf(&b, "%s%s%s同志，", units[ui], posts[r.Intn(len(posts))], who)
		b.WriteString("根据信访举报，" + problems[pi].body + "\n")
		fmt.Fprintf(&b, topics[ti].body+"\n", who)
		for k := r.Intn(4); k > 0; k-- {
			b.WriteString(filler[r.Intn(len(filler))])
		}
		d := Doc{
			ID:             fmt.Sprintf("r%05d", i),
			Title:          fmt.Sprintf(topics[ti].title, who),
			Body:           b.String(),
			DocNumber:      fmt.Sprintf("驻%s纪%s〔%d〕%d号", shape.codes[ui], []string{"函", "发", "报"}[r.Intn(3)], year, 1+i),
			ArchiveCode:    fmt.Sprintf("Z109-WS·%d-%s-JJ-%04d", year, retents[r.Intn(3)], i+1),
			Kind:           kind,
			Template:       "t" + fmt.Sprint(ti),
			Unit:           units[ui],
			Year:           year,
			Persons:        ps,
			CaseNo:         fmt.Sprintf("JJ-%d-%03d", year, r.Intn(300)),
			Classification: classes[r.Intn(len(classes))],
			Retention:      retents[r.Intn(3)],
			FiledAt:        filed,
			Author:         staffName(r),
			Approver:       staffName(r),
		}
		out = append(out, genDoc{Doc: d, topic: ti, problem: pi, persons: ps})
	}
	return out
}

type labeledQuery struct {
	q   string
	rel map[string]bool
}

// genQueries derives queries with known relevant ids from the corpus labels.
func genQueries(docs []genDoc) []labeledQuery {
	has := func(d genDoc, p string) bool {
		for _, x := range d.persons {
			if x == p {
				return true
			}
		}
		return false
	}
	collect := func(q string, pred func(genDoc) bool) labeledQuery {
		lq := labeledQuery{q: q, rel: map[string]bool{}}
		for _, d := range docs {
			if pred(d) {
				lq.rel[d.ID] = true
			}
		}
		return lq
	}
	var out []labeledQuery
	// people (bare name; 张建华 vs 张建国 vs 李建华 are all in the corpus)
	seenP := map[string]bool{}
	for i := 0; len(seenP) < 10 && i < len(docs); i += 37 {
		p := docs[i].persons[0]
		if seenP[p] {
			continue
		}
		seenP[p] = true
		out = append(out, collect(p, func(d genDoc) bool { return has(d, p) }))
	}
	// procedure + person
	for i, k := 5, 0; k < 10 && i < len(docs); i, k = i+53, k+1 {
		d0 := docs[i]
		t, p := d0.topic, d0.persons[0]
		out = append(out, collect(topics[t].term+" "+p, func(d genDoc) bool { return d.topic == t && has(d, p) }))
	}
	// problem + procedure
	for k := 0; k < 8; k++ {
		t, pr := (k*5)%len(topics), (k*3+1)%len(problems)
		out = append(out, collect(problems[pr].term+" "+topics[t].term, func(d genDoc) bool { return d.topic == t && d.problem == pr }))
	}
	// an exact phrase + person
	for i, k := 11, 0; k < 5 && i < len(docs); i, k = i+97, k+1 {
		d0 := docs[i]
		t, p := d0.topic, d0.persons[0]
		out = append(out, collect(`"`+topics[t].term+`" `+p, func(d genDoc) bool { return d.topic == t && has(d, p) }))
	}
	// 文号, typed as a bare term
	for i := 3; i < len(docs) && i < 3+5*71; i += 71 {
		id := docs[i].ID
		out = append(out, collect(docs[i].DocNumber, func(d genDoc) bool { return d.ID == id }))
	}
	// a problem the text words differently: 违反八项规定 (text: 违反中央八项规定精神)
	for k, p := range []string{docs[7].persons[0], docs[21].persons[0]} {
		_ = k
		p := p
		out = append(out, collect("违反八项规定精神 "+p, func(d genDoc) bool { return d.problem == 1 && has(d, p) }))
	}
	// part of a term of art, and one worded unlike the text (收受 vs 收送)
	for k, qp := range []struct {
		word    string
		problem int
	}{{"八项规定", 1}, {"礼金", 0}, {"招投标", 5}, {"漏报", 4}, {"收受礼金", 0}} {
		p := ""
		for i := 13 + k*29; i < len(docs); i++ {
			if docs[i].problem == qp.problem {
				p = docs[i].persons[0]
				break
			}
		}
		pr := qp.problem
		out = append(out, collect(qp.word+" "+p, func(d genDoc) bool { return d.problem == pr && has(d, p) }))
	}
	// keep only queries with something to find; stable order
	kept := out[:0]
	for _, q := range out {
		if len(q.rel) > 0 {
			kept = append(kept, q)
		}
	}
	return kept
}
